package engine

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// savedBatches records when each batch was saved and what it held.
type savedBatches struct {
	mu    sync.Mutex
	saves []savedBatch
}

type savedBatch struct {
	at          time.Time
	results     int
	transitions int
}

func (s *savedBatches) SaveBatch(_ context.Context, b store.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.saves = append(s.saves, savedBatch{at: time.Now(), results: len(b.Results), transitions: len(b.Transitions)})
	return nil
}

func (s *savedBatches) list() []savedBatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]savedBatch(nil), s.saves...)
}

// TestQuietResultsWaitTransitionsDoNot: results that change nothing wait
// for the quiet flush, one write for many flush intervals; a result that
// moves a monitor's status is written at the next flush interval, and so
// is one somebody waits for (Durable), quiet or not.
func TestQuietResultsWaitTransitionsDoNot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const every, quiet = 100 * time.Millisecond, time.Second
		rec := &savedBatches{}
		start := time.Now()
		up := monitor.State{Status: monitor.StatusUp, Since: start.Add(-time.Hour), LastStatus: probe.OK, ConsecutiveSuccesses: 5, StatusStreak: 5}
		e := New(Options{Store: rec, FlushInterval: every, QuietFlush: quiet}, map[string]monitor.State{"a": up, "b": up})
		cfg := &config.Config{Monitors: []config.Monitor{{ID: "a", Type: "http"}, {ID: "b", Type: "http"}}}
		if err := e.Apply(cfg, nil); err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		done := make(chan struct{})
		go func() { e.Run(ctx); close(done) }()
		defer func() { e.Close(); <-done }()

		// Ten quiet results over 2.5 s: written about once a second.
		for range 10 {
			e.Submit(ctx, probe.Result{MonitorID: "a", Time: time.Now(), Status: probe.OK})
			time.Sleep(250 * time.Millisecond)
		}
		synctest.Wait()
		saves := rec.list()
		if len(saves) < 2 || len(saves) > 3 {
			t.Fatalf("10 quiet results over 2.5 s were written in %d batches, want 2 or 3 (one a second): %+v", len(saves), saves)
		}
		for _, s := range saves {
			if s.transitions != 0 {
				t.Fatalf("a quiet batch held %d transitions", s.transitions)
			}
		}

		// A failure moves b to down (one failure is the default
		// threshold): written at the next flush interval.
		before := len(saves)
		at := time.Now()
		e.Submit(ctx, probe.Result{MonitorID: "b", Time: at, Status: probe.Critical, Reason: "refused"})
		time.Sleep(every)
		synctest.Wait()
		saves = rec.list()
		if len(saves) != before+1 || saves[before].transitions == 0 {
			t.Fatalf("the transition of b was not written within %v: %+v", every, saves[before:])
		}

		// Durable does not wait for the quiet flush.
		e.Submit(ctx, probe.Result{MonitorID: "a", Time: time.Now(), Status: probe.OK})
		asked := time.Now()
		if err := e.Durable(ctx); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(asked); waited > every {
			t.Errorf("Durable waited %v for a quiet result, want at most the flush interval %v", waited, every)
		}
	})
}
