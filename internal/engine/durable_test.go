package engine

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// failingStore refuses every batch while down is set, as a full disk does.
type failingStore struct {
	store.Store
	down atomic.Bool
}

func (f *failingStore) SaveBatch(ctx context.Context, b store.Batch) error {
	if f.down.Load() {
		return errors.New("disk full")
	}
	return f.Store.SaveBatch(ctx, b)
}

// TestDurableWaitsForTheWrite: Durable returns only once the results
// submitted before it are in the store. While the store cannot write it
// does not return (the caller's deadline ends the wait), and once the store
// is back the held results are written and it returns — so an agent's push
// is answered only for what is stored.
func TestDurableWaitsForTheWrite(t *testing.T) {
	engineOnDrivers(t, func(t *testing.T, st store.Store, _ *Engine, at time.Time) {
		fs := &failingStore{Store: st}
		e := testEngine(t, fs, func() time.Time { return at })
		e.o.FlushInterval = 20 * time.Millisecond
		ctx := t.Context()
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		defer func() { e.Close(); <-done }()

		// Nothing submitted: nothing to wait for.
		if err := e.Durable(ctx); err != nil {
			t.Fatalf("Durable with nothing submitted: %v", err)
		}

		fs.down.Store(true)
		e.Submit(ctx, probe.Result{MonitorID: "a", Time: at, Status: probe.OK})
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		err := e.Durable(short)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Durable while the store fails = %v, want the deadline's error", err)
		}
		if rs, _ := st.Results(ctx, "a", store.Page{}); len(rs) != 0 {
			t.Fatalf("%d results stored while the store failed", len(rs))
		}

		fs.down.Store(false)
		e.Submit(ctx, probe.Result{MonitorID: "b", Time: at, Status: probe.OK})
		long, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := e.Durable(long); err != nil {
			t.Fatalf("Durable once the store works: %v", err)
		}
		for _, id := range []string{"a", "b"} {
			if rs, err := st.Results(ctx, id, store.Page{}); err != nil || len(rs) != 1 {
				t.Errorf("results of %s after Durable: %d, %v; want 1", id, len(rs), err)
			}
		}
	})
}
