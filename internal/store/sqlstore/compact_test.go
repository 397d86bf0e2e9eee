package sqlstore

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// TestCompactionPacksRows: on PostgreSQL, compaction leaves in results only
// the rows of open slices and late results, and packs the rest one row per
// monitor and slice; two processes compacting while a third writes lose
// and repeat nothing.
func TestCompactionPacksRows(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	ctx := context.Background()
	start := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := start
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	open := func() *DB {
		db, err := Open(ctx, Options{Driver: DriverPostgres, DSN: dsn, Now: clock, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b, w := open(), open(), open()
	counts := func() (rows, packs, packed int64) {
		t.Helper()
		if err := a.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM results").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if err := a.read.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(n), 0) FROM result_packs").Scan(&packs, &packed); err != nil {
			t.Fatal(err)
		}
		return rows, packs, packed
	}

	// Four monitors every 10 s for an hour, written a minute at a time
	// while a and b compact what has closed.
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	done := make(chan struct{})
	for _, db := range []*DB{a, b} {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := db.CompactResults(ctx, clock().Add(-time.Minute)); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	for m := range 60 {
		var rs []probe.Result
		for sec := 0; sec < 60; sec += 10 {
			for _, id := range []string{"w", "x", "y", "z"} {
				rs = append(rs, probe.Result{MonitorID: id, Time: start.Add(time.Duration(m)*time.Minute + time.Duration(sec)*time.Second), Duration: time.Millisecond, Status: probe.OK})
			}
		}
		// An agent's result for the first minute, long since packed.
		rs = append(rs, probe.Result{MonitorID: "w", Time: start.Add(time.Duration(m) * time.Second), Duration: 2 * time.Millisecond, Status: probe.Critical, Reason: "late"})
		if err := w.SaveBatch(ctx, store.Batch{Results: rs}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		now = start.Add(time.Duration(m+1) * time.Minute)
		mu.Unlock()
	}
	close(done)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("CompactResults: %v", err)
	}
	n, err := a.CompactResults(ctx, start.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rows, packs, packed := counts()
	if rows != 0 || packs != 4*6 || packed != 4*360+60 {
		t.Errorf("after compacting the whole hour (%d moved by the last step): %d rows, %d packs of %d results; want 0, 24, %d", n, rows, packs, packed, 4*360+60)
	}
	got, err := a.Results(ctx, "w", store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 420 {
		t.Fatalf("w has %d results, want 420", len(got))
	}
	seen := map[int64]bool{}
	late := 0
	for _, r := range got {
		if seen[r.ID] {
			t.Fatalf("result %d listed twice", r.ID)
		}
		seen[r.ID] = true
		if r.Reason == "late" {
			late++
		}
	}
	if late != 60 {
		t.Errorf("w has %d late results, want 60", late)
	}
}
