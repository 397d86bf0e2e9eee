package sqlstore_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// BenchmarkSaveBatch1000 writes what the engine flushes at 1,000 checks/s
// every second: 1,000 HTTPS results (timings, certificate expiry, two
// metrics) and 1,000 monitor states. It reports results/s.
func BenchmarkSaveBatch1000(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchSaveBatch(b, openStore(b, "sqlite", filepath.Join(b.TempDir(), "bench.db"), nil))
	})
	b.Run("postgres", func(b *testing.B) {
		benchSaveBatch(b, openStore(b, "postgres", storetest.PostgresDSN(b), nil))
	})
}

func benchSaveBatch(b *testing.B, db *sqlstore.DB) {
	const n = 1000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("monitor-%04d", i)
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cert := start.AddDate(0, 3, 0)
	batch := func(round int) store.Batch {
		bt := store.Batch{Results: make([]probe.Result, n), States: make(map[string]monitor.State, n)}
		at := start.Add(time.Duration(round) * time.Minute)
		for i, id := range ids {
			r := probe.Result{
				MonitorID: id, Time: at.Add(time.Duration(i) * 60 * time.Millisecond), Status: probe.OK,
				Duration: time.Duration(20000+i*7) * time.Microsecond, Reason: "200 OK",
				Timing:     probe.Timing{DNS: 400 * time.Microsecond, Connect: 1200 * time.Microsecond, TLS: 6 * time.Millisecond, FirstByte: 18 * time.Millisecond},
				CertExpiry: cert,
				Metrics:    []probe.Metric{{Name: "status_code", Value: 200}, {Name: "size", Value: float64(5000 + i), Unit: "B"}},
			}
			bt.Results[i] = r
			bt.States[id] = monitor.State{Status: monitor.StatusUp, Since: start, ConsecutiveSuccesses: round + 1, LastResultAt: r.Time, LastStatus: probe.OK, LastReason: "200 OK", Recent: "ooooooooooooooooooooo"}
		}
		return bt
	}
	ctx := b.Context()
	// The first batch registers the monitors and metric kinds.
	if err := db.SaveBatch(ctx, batch(0)); err != nil {
		b.Fatal(err)
	}
	batches := make([]store.Batch, 8)
	round := 1
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if i%len(batches) == 0 {
			for j := range batches {
				batches[j] = batch(round)
				round++
			}
		}
		b.StartTimer()
		if err := db.SaveBatch(ctx, batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "results/s")
}
