package sqlstore_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/replica"
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

// BenchmarkSaveBatchFenced measures what the fence of a replica's batch
// write costs on PostgreSQL: the same batches, of 1,000 monitors (a busy
// flush) and of 50 (a flush every 200 ms at 250 checks/s), written with
// and without the check of their buckets' leases. Besides ns/op it
// reports this process's CPU per batch (cpu-us/op).
func BenchmarkSaveBatchFenced(b *testing.B) {
	for _, n := range []int{1000, 50} {
		for _, fenced := range []bool{false, true} {
			b.Run(fmt.Sprintf("n=%d/fenced=%v", n, fenced), func(b *testing.B) {
				db := openStore(b, "postgres", storetest.PostgresDSN(b), nil)
				var fence func([]string) *store.Fence
				if fenced {
					now := time.Now()
					all := make([]int, replica.DefaultBuckets)
					for i := range all {
						all[i] = i
					}
					if _, err := db.BucketLeases(b.Context(), replica.DefaultBuckets); err != nil {
						b.Fatal(err)
					}
					if _, err := db.Heartbeat(b.Context(), store.Replica{ID: "r1", Instance: "1", Seen: now}, now); err != nil {
						b.Fatal(err)
					}
					if _, err := db.ClaimBuckets(b.Context(), "r1", all, now, now.Add(time.Hour)); err != nil {
						b.Fatal(err)
					}
					fence = func(ids []string) *store.Fence {
						m := replica.New(replica.Options{ID: "r1"})
						return m.Fence(slices.Values(ids))
					}
				}
				benchBatches(b, db, n, fence)
			})
		}
	}
}

// BenchmarkFenceCheck isolates the statement the fence adds: a batch of
// one monitor state, written alone and with a fence of 512 buckets (a
// replica's share of two).
func BenchmarkFenceCheck(b *testing.B) {
	for _, fenced := range []bool{false, true} {
		b.Run(fmt.Sprintf("fenced=%v", fenced), func(b *testing.B) {
			db := openStore(b, "postgres", storetest.PostgresDSN(b), nil)
			ctx := b.Context()
			var f *store.Fence
			if fenced {
				now := time.Now()
				f = &store.Fence{Owner: "r1", Margin: 3 * time.Second}
				for i := 0; i < replica.DefaultBuckets; i += 2 {
					f.Buckets = append(f.Buckets, i)
				}
				if _, err := db.BucketLeases(ctx, replica.DefaultBuckets); err != nil {
					b.Fatal(err)
				}
				if _, err := db.Heartbeat(ctx, store.Replica{ID: "r1", Instance: "1", Seen: now}, now); err != nil {
					b.Fatal(err)
				}
				if _, err := db.ClaimBuckets(ctx, "r1", f.Buckets, now, now.Add(time.Hour)); err != nil {
					b.Fatal(err)
				}
			}
			st := monitor.State{Status: monitor.StatusUp}
			var cpu time.Duration
			for b.Loop() {
				before := cpuTime()
				if err := db.SaveBatch(ctx, store.Batch{States: map[string]monitor.State{"web": st}, Fence: f}); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - before
			}
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
		})
	}
}

func benchSaveBatch(b *testing.B, db *sqlstore.DB) { benchBatches(b, db, 1000, nil) }

// benchBatches writes batches of n results and states, with the fence
// fence returns for their monitors when fence is not nil.
func benchBatches(b *testing.B, db *sqlstore.DB, n int, fence func([]string) *store.Fence) {
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
		if fence != nil {
			bt.Fence = fence(ids)
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
	var cpu time.Duration
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
		before := cpuTime()
		if err := db.SaveBatch(ctx, batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - before
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "results/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/op")
}
