package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/webhook"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// BenchmarkDispatcherWebhook delivers a storm of webhook notifications,
// stored in the outbox first, to an in-process receiver and reports the
// process CPU per delivered notification (the receiver's share included)
// and deliveries per second. Each round stores 2,000 messages for one
// webhook channel and runs the dispatcher until the receiver has them all.
func BenchmarkDispatcherWebhook(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchDispatcher(b, "sqlite", filepath.Join(b.TempDir(), "bench.db"))
	})
	b.Run("postgres", func(b *testing.B) {
		benchDispatcher(b, "postgres", storetest.PostgresDSN(b))
	})
}

func benchDispatcher(b *testing.B, driver, dsn string) {
	const n = 2000
	db := openSQL(b, driver, dsn)
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
	}))
	b.Cleanup(srv.Close)
	ch := &config.Channel{ID: "hook", Type: "webhook", Webhook: &config.WebhookConfig{URL: srv.URL}}
	hook, err := webhook.Kind().Build(ch, &config.Config{})
	if err != nil {
		b.Fatal(err)
	}
	d := notify.NewDispatcher(notify.DispatcherOptions{
		Store:        db,
		Notifiers:    map[string]notify.Notifier{"hook": hook},
		Owner:        "bench",
		PollInterval: 50 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })

	var cpu time.Duration
	var wall time.Duration
	delivered := 0
	start := time.Now().UTC()
	for round := 0; b.Loop(); round++ {
		b.StopTimer()
		msgs := make([]notify.OutboxMessage, n)
		at := start.Add(time.Duration(round) * time.Second)
		for i := range msgs {
			m := notify.OutboxMessage{
				ID: fmt.Sprintf("r%d-m%d", round, i), Channel: "hook", State: notify.StatePending,
				NextAttempt: at, CreatedAt: at,
				Event: notify.Event{Event: notify.EventMonitorDown, MonitorID: fmt.Sprintf("monitor-%05d", i), ServiceID: "shop",
					Status: "down", Reason: "GET https://shop.example/: 503, expected 200", Time: at},
			}
			m.Event.ID = m.ID
			msgs[i] = m
		}
		if err := db.SaveBatch(ctx, store.Batch{Outbox: msgs}); err != nil {
			b.Fatal(err)
		}
		want := got.Load() + n
		b.StartTimer()
		c0, t0 := cpuTime(), time.Now()
		d.Wake()
		for got.Load() < want {
			time.Sleep(time.Millisecond)
		}
		// Delivered is not done: wait until every attempt is recorded.
		for {
			depth, err := db.OutboxDepth(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if depth == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cpu += cpuTime() - c0
		wall += time.Since(t0)
		delivered += n
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(delivered), "cpu-µs/delivery")
	b.ReportMetric(float64(delivered)/wall.Seconds(), "deliveries/s")
}

// openSQL opens a store on driver and dsn, closed when tb ends.
func openSQL(tb testing.TB, driver, dsn string) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: driver, DSN: dsn, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
