package engine

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// outageStore keeps the batches it is given, and fails every write while
// down is set: a database away or failing over.
type outageStore struct {
	mu      sync.Mutex
	down    bool
	written []store.Batch
}

func (s *outageStore) SaveBatch(_ context.Context, b store.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return errors.New("dial tcp 10.0.0.5:5432: connection refused")
	}
	s.written = append(s.written, b)
	return nil
}

func (s *outageStore) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// results returns the results written of monitor id, in order.
func (s *outageStore) results(id string) []probe.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []probe.Result
	for _, b := range s.written {
		for _, r := range b.Results {
			if r.MonitorID == id {
				out = append(out, r)
			}
		}
	}
	return out
}

func (s *outageStore) transitions(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, b := range s.written {
		for _, t := range b.Transitions {
			if t.MonitorID == id {
				n++
			}
		}
	}
	return n
}

// leases is a Fencing ownership whose answer for each monitor the test
// sets: a monitor absent is owned.
type leases struct {
	mu    sync.Mutex
	fates map[string]fate
}

func (l *leases) set(id string, f fate) {
	l.mu.Lock()
	l.fates[id] = f
	l.mu.Unlock()
}

func (l *leases) Owns(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fates[id] == write
}

func (l *leases) Fenced(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.fates[id] == hold
}

var _ Fencing = (*leases)(nil)

func bufferEngine(t *testing.T, st Store, own Ownership, max int) (*Engine, *prometheus.Registry, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	reg := prometheus.NewRegistry()
	e := New(Options{Store: st, Ownership: own, MaxBuffered: max, Registerer: reg, Logger: slog.New(slog.NewTextHandler(&log, nil))}, nil)
	cfg := &config.Config{Monitors: []config.Monitor{{ID: "a", Type: "http"}, {ID: "b", Type: "http"}}}
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	return e, reg, &log
}

// TestFencedRowsWaitForTheirLease: rows a replica could not write are held
// while their monitor's lease is fenced — not written, though the store is
// back, since another replica may have taken the monitor meanwhile — then
// written once the lease is renewed, or dropped once another replica
// holds it.
func TestFencedRowsWaitForTheirLease(t *testing.T) {
	st := &outageStore{down: true}
	own := &leases{fates: map[string]fate{}}
	e, _, log := bufferEngine(t, st, own, 0)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e.evaluate(probe.Result{MonitorID: "a", Time: at, Status: probe.Critical, Reason: "503"})
	e.evaluate(probe.Result{MonitorID: "b", Time: at, Status: probe.Critical, Reason: "503"})
	// As Submit and Run count them.
	e.dur.submitted.Add(2)
	e.dur.evaluated = 2
	e.flushNow(ctx)
	if b := e.Backlog(); b.Results != 2 || b.Transitions != 2 {
		t.Fatalf("after a failed write the backlog is %+v, want both results and transitions", b)
	}

	own.set("a", hold)
	own.set("b", hold)
	st.setDown(false)
	e.flushNow(ctx)
	if len(st.written) != 0 {
		t.Fatalf("rows of fenced monitors written: %+v", st.written)
	}
	if b := e.Backlog(); b.Results != 2 || b.Transitions != 2 {
		t.Fatalf("rows of fenced monitors not held: backlog %+v", b)
	}
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := e.Durable(short); err == nil {
		t.Error("Durable returned while results were held unwritten")
	}

	own.set("a", write) // renewed
	own.set("b", drop)  // taken over by another replica
	e.flushNow(ctx)
	if n := len(st.results("a")); n != 1 || st.transitions("a") != 1 {
		t.Errorf("a renewed: %d results and %d transitions written, want 1 and 1", n, st.transitions("a"))
	}
	if n := len(st.results("b")); n != 0 || st.transitions("b") != 0 {
		t.Errorf("b taken over: %d results and %d transitions written, want none", n, st.transitions("b"))
	}
	if b := e.Backlog(); b.Total() != 0 {
		t.Errorf("backlog after the leases were settled: %+v", b)
	}
	if !strings.Contains(log.String(), "rows of monitors another replica took over meanwhile dropped") {
		t.Errorf("the dropped rows were not logged:\n%s", log.String())
	}
	if err := e.Durable(ctx); err != nil {
		t.Errorf("Durable after everything was written or dropped: %v", err)
	}
}

// TestBufferKeepsTheNewestResults: while the store cannot write, at most
// MaxBuffered results wait; past it the oldest go, counted in a metric and
// logged with the counts, and transitions are kept. When the store is
// back what was kept is written.
func TestBufferKeepsTheNewestResults(t *testing.T) {
	st := &outageStore{down: true}
	e, reg, log := bufferEngine(t, st, Single{}, 10)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 25 {
		status := probe.OK
		if i == 3 {
			status = probe.Critical
		}
		e.evaluate(probe.Result{MonitorID: "a", Time: at.Add(time.Duration(i) * time.Second), Status: status})
		if i%5 == 4 {
			e.flushNow(ctx)
		}
	}
	if b := e.Backlog(); b.Results != 10 || b.Transitions != 3 {
		t.Fatalf("backlog %+v, want the 10 newest results and the 3 transitions (pending→up, up→down, down→up)", b)
	}
	if got := testkit.Metric(t, reg, "tocsin_result_buffer_dropped_total", "", ""); got != 15 {
		t.Errorf("tocsin_result_buffer_dropped_total = %v, want 15", got)
	}
	if !strings.Contains(log.String(), "overflowed the buffer") || !strings.Contains(log.String(), "dropped_since_last_write=15") {
		t.Errorf("the overflow was not logged with its counts:\n%s", log.String())
	}

	st.setDown(false)
	e.flushNow(ctx)
	rs := st.results("a")
	if len(rs) != 10 || !rs[0].Time.Equal(at.Add(15*time.Second)) {
		t.Fatalf("written %d results from %v, want the 10 newest, from the 16th", len(rs), rs[0].Time)
	}
	if n := st.transitions("a"); n != 3 {
		t.Errorf("%d transitions written, want 3", n)
	}
	var states []monitor.Status
	for _, b := range st.written {
		states = append(states, b.States["a"].Status)
	}
	if len(states) != 1 || states[0] != monitor.StatusUp {
		t.Errorf("states written %v, want the newest (up)", states)
	}
}
