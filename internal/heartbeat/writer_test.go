package heartbeat_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/store"
)

// refusingStore is a real store that refuses, as a database refuses a row,
// any batch holding a ping whose user agent is "refuse me", and holds its
// first write until gate is closed, so the pings sent meanwhile share the
// next group commit.
type refusingStore struct {
	heartbeat.PingStore
	gate  chan struct{}
	once  sync.Once
	mu    sync.Mutex
	sizes []int
}

func (s *refusingStore) SavePings(ctx context.Context, b store.PingBatch) error {
	s.once.Do(func() { <-s.gate })
	s.mu.Lock()
	s.sizes = append(s.sizes, len(b.Pings))
	s.mu.Unlock()
	for _, p := range b.Pings {
		if p.UserAgent == "refuse me" {
			return errs.Errorf(errs.EINVALID, "save pings: value refused")
		}
	}
	return s.PingStore.SavePings(ctx, b)
}

// TestRefusedPingAloneFails sends nine pings that share one group commit,
// one of which the store refuses: the eight others are stored and answered
// OK, the bad one gets an error naming the refusal, and it leaves its
// heartbeat's state alone.
func TestRefusedPingAloneFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		st := &refusingStore{PingStore: db, gate: make(chan struct{})}
		const uuidB = "1c8b5d3f-2a4e-4b6c-9d7e-8f9a0b1c2d3e"
		defs := []heartbeat.Definition{
			{ID: "a", UUID: uuidA, Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}},
			{ID: "b", UUID: uuidB, Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}},
		}
		h := heartbeat.New(heartbeat.Options{Store: st})
		if err := h.Load(t.Context()); err != nil {
			t.Fatal(err)
		}
		h.SetDefinitions(defs)
		go h.Run()
		defer stop(h)

		// The first ping holds the writer at the gate.
		first := make(chan error, 1)
		go func() {
			first <- h.Receive(context.Background(), heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindSuccess, Transport: "http"})
		}()
		synctest.Wait()
		answers := make([]error, 9)
		var wg sync.WaitGroup
		for i := range answers {
			p := heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindSuccess, Transport: "http", UserAgent: "curl/8"}
			if i == 4 {
				p = heartbeat.Ping{UUID: uuidB, Kind: heartbeat.KindFail, Transport: "http", UserAgent: "refuse me"}
			}
			wg.Go(func() { answers[i] = h.Receive(context.Background(), p) })
		}
		synctest.Wait()
		if n := h.Queued(); n != 9 {
			t.Fatalf("%d pings queued, want 9", n)
		}
		close(st.gate)
		wg.Wait()
		if err := <-first; err != nil {
			t.Fatalf("first ping: %v", err)
		}
		for i, err := range answers {
			switch {
			case i == 4 && (errs.Code(err) != errs.EINVALID || !errors.Is(err, heartbeat.ErrRefused)):
				t.Errorf("refused ping answered %v, want EINVALID wrapping ErrRefused", err)
			case i != 4 && err != nil:
				t.Errorf("good ping %d of the group answered %v", i, err)
			}
		}
		if st.sizes[1] != 9 {
			t.Errorf("second commit wrote %d pings, want the group of 9 (commits: %v)", st.sizes[1], st.sizes)
		}
		n, err := db.CountPings(t.Context(), "a")
		if err != nil || n != 9 {
			t.Errorf("stored pings of a: %d, %v; want 9", n, err)
		}
		if n, _ := db.CountPings(t.Context(), "b"); n != 0 {
			t.Errorf("stored pings of b: %d; want 0", n)
		}
		if v, _ := h.View("b"); !v.State.LastPing.IsZero() {
			t.Errorf("the refused ping changed b's state: %+v", v.State)
		}
		if v, _ := h.View("a"); v.Status != heartbeat.StatusUp {
			t.Errorf("a is %s after its pings, want up", v.Status)
		}
	})
}
