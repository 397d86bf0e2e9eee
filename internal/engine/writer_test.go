package engine

import (
	"context"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/batch"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// openTestStore opens a real store on driver, private to the test.
func openTestStore(t *testing.T, driver string, now func() time.Time) *sqlstore.DB {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "tocsin.db")
	if driver == sqlstore.DriverPostgres {
		dsn = storetest.PostgresDSN(t)
	}
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: driver, DSN: dsn, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// engineOnDrivers runs f, once on SQLite and once on PostgreSQL, with an
// engine writing to a real store. Two http monitors, "a" and "b",
// run; the clock stands still at at.
func engineOnDrivers(t *testing.T, f func(t *testing.T, st store.Store, e *Engine, at time.Time)) {
	for _, driver := range []string{sqlstore.DriverSQLite, sqlstore.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			now := func() time.Time { return at }
			st := openTestStore(t, driver, now)
			f(t, st, testEngine(t, st, now), at)
		})
	}
}

// testEngine returns an engine writing to st with two http monitors, "a"
// and "b", running.
func testEngine(t *testing.T, st store.Store, now func() time.Time) *Engine {
	t.Helper()
	e := New(Options{
		Store:         st,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:           now,
		Registerer:    prometheus.NewRegistry(),
		FlushInterval: time.Second,
	}, nil)
	cfg := &config.Config{Monitors: []config.Monitor{{ID: "a", Type: "http"}, {ID: "b", Type: "http"}}}
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestPauseResumeKeepsWriting pauses and resumes a monitor, then checks
// that the pause and resume transitions are stored under that monitor and
// that later results of another monitor are stored too: a transition
// without its monitor once made every later batch fail.
func TestPauseResumeKeepsWriting(t *testing.T) {
	engineOnDrivers(t, func(t *testing.T, st store.Store, e *Engine, at time.Time) {
		ctx := context.Background()
		if err := e.SetPaused("a", true); err != nil {
			t.Fatal(err)
		}
		if err := e.SetPaused("a", false); err != nil {
			t.Fatal(err)
		}
		e.flushNow(ctx)
		e.evaluate(probe.Result{MonitorID: "b", Time: at, Status: probe.OK})
		e.flushNow(ctx)
		if n := e.pending(); n != 0 {
			t.Errorf("%d rows still waiting to be written", n)
		}
		rs, err := st.Results(ctx, "b", store.Page{})
		if err != nil || len(rs) != 1 {
			t.Fatalf("results of b after pausing and resuming a: %d, %v; want 1", len(rs), err)
		}
		ts, err := st.Transitions(ctx, "a", store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var got []monitor.Status
		for _, tr := range ts {
			got = append(got, tr.To)
		}
		if len(got) != 2 || got[0] != monitor.StatusPending || got[1] != monitor.StatusPaused {
			t.Errorf("transitions stored for a: %v, want [pending paused] (newest first)", got)
		}
	})
}

// TestRefusedRowDoesNotBlockTheBatch gives the engine a result whose
// transition the store refuses (a metric that is not a number cannot be
// encoded) in the same batch as good results: the good ones are stored,
// the bad transition is dropped, and nothing waits to be retried.
func TestRefusedRowDoesNotBlockTheBatch(t *testing.T) {
	engineOnDrivers(t, func(t *testing.T, st store.Store, e *Engine, at time.Time) {
		ws := batch.New(batch.Options{Now: func() time.Time { return at }})
		e.o.Writer = ws.Add("results", func() int { return e.Backlog().Total() }, 0)
		ctx := context.Background()
		e.evaluate(probe.Result{MonitorID: "a", Time: at, Status: probe.OK, Metrics: []probe.Metric{{Name: "load", Value: math.NaN()}}})
		for i := range 5 {
			e.evaluate(probe.Result{MonitorID: "b", Time: at.Add(time.Duration(i) * time.Second), Status: probe.OK})
		}
		e.flushNow(ctx)
		if n := e.pending(); n != 0 {
			t.Errorf("%d rows still waiting to be written", n)
		}
		rs, err := st.Results(ctx, "b", store.Page{})
		if err != nil || len(rs) != 5 {
			t.Errorf("results of b: %d, %v; want 5", len(rs), err)
		}
		if rs, _ := st.Results(ctx, "a", store.Page{}); len(rs) != 1 {
			t.Errorf("results of a: %d; want its one result (only the transition is bad)", len(rs))
		}
		if ts, _ := st.Transitions(ctx, "b", store.Page{}); len(ts) != 1 {
			t.Errorf("transitions of b: %d; want 1", len(ts))
		}
		if p := ws.Problems(); len(p) != 0 {
			t.Errorf("a refused row made the writer unhealthy: %q", p)
		}
	})
}
