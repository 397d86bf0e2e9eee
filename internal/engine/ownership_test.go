package engine

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// TestAdoptTakesOverState: a monitor taken over from another replica is
// judged from the state that replica stored, so a failure it already
// paged is not paged again.
func TestAdoptTakesOverState(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e := New(Options{Now: func() time.Time { return at.Add(time.Minute) }}, nil)
	cfg := &config.Config{Monitors: []config.Monitor{{ID: "web", Type: "http"}, {ID: "db", Type: "http"}}}
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	down := monitor.State{Status: monitor.StatusDown, Since: at, LastResultAt: at, LastStatus: probe.Critical, LastReason: "503"}
	e.Adopt(map[string]monitor.State{"web": down, "gone": down})
	v, _ := e.View("web")
	if v.State.Status != monitor.StatusDown || v.Last == nil || v.Last.Reason != "503" {
		t.Fatalf("after Adopt: state %+v, last %+v; want the stored down state", v.State, v.Last)
	}
	if v, _ := e.View("db"); v.State.Status != monitor.StatusPending {
		t.Fatalf("a monitor not adopted changed: %+v", v.State)
	}
	if _, ok := e.View("gone"); ok {
		t.Fatal("Adopt added a monitor not configured")
	}
	// The list and its counts see it down too, as every replica's pages
	// show the monitors the others run.
	p, err := e.Page(Query{Status: string(monitor.StatusDown), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Views) != 1 || p.Views[0].Config.ID != "web" || p.Counts["http"].Down != 1 {
		t.Fatalf("monitors down after Adopt: %d listed, counts %+v; want web", len(p.Views), p.Counts["http"])
	}
	// The next failing result finds it down already: no transition.
	e.evaluate(probe.Result{MonitorID: "web", Time: at.Add(time.Minute), Status: probe.Critical, Reason: "503"})
	if b := e.Backlog(); b.Transitions != 0 || b.Outbox != 0 {
		t.Fatalf("a failure of a monitor adopted down made %d transitions and %d notifications", b.Transitions, b.Outbox)
	}
}

func TestSortRows(t *testing.T) {
	fates := map[string]fate{"a": write, "b": drop, "c": hold}
	b := store.Batch{
		Results:     []probe.Result{{MonitorID: "a"}, {MonitorID: "b"}, {MonitorID: "c"}},
		States:      map[string]monitor.State{"a": {}, "b": {}, "c": {}},
		Transitions: []monitor.Transition{{MonitorID: "b"}, {MonitorID: "c"}},
		Outbox:      []notify.OutboxMessage{{ID: "1", Event: notify.Event{MonitorID: "b"}}, {ID: "2", Event: notify.Event{MonitorID: "a"}}, {ID: "3"}},
		Alerts:      []store.AlertChange{{MonitorID: "a"}, {MonitorID: "b"}},
	}
	got := sortRows(b, func(id string) fate {
		if id == "" {
			return write
		}
		return fates[id]
	})
	for f, want := range map[fate]int{write: 5, hold: 3, drop: 5} {
		if n := rowCount(got[f]); n != want {
			t.Errorf("fate %d: %d rows %+v, want %d", f, n, got[f], want)
		}
	}
	if len(got[write].Outbox) != 2 {
		t.Errorf("written notifications %+v, want a's and the one of no monitor", got[write].Outbox)
	}
}

// TestOverdue: of the monitors picked, those probed here whose newest
// result is older than their interval (or that have none) are overdue;
// a fresh one, a paused one, one fed from outside and one not picked are
// not.
func TestOverdue(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e := New(Options{Now: func() time.Time { return at }}, nil)
	minute := config.Duration(time.Minute)
	var mons []config.Monitor
	for _, id := range []string{"late", "fresh", "never", "paused", "push", "other"} {
		mons = append(mons, config.Monitor{ID: id, Type: "http", Interval: minute})
	}
	mons[4].Type = "heartbeat"
	ok := probe.ProberFunc(func(context.Context) probe.Result { return probe.Result{} })
	probers := map[string]probe.Prober{"late": ok, "fresh": ok, "never": ok, "paused": ok, "other": ok}
	if err := e.Apply(&config.Config{Monitors: mons}, probers); err != nil {
		t.Fatal(err)
	}
	old := monitor.State{Status: monitor.StatusUp, LastResultAt: at.Add(-61 * time.Second)}
	paused := old
	paused.Status = monitor.StatusPaused
	e.Adopt(map[string]monitor.State{
		"late": old, "fresh": {Status: monitor.StatusUp, LastResultAt: at.Add(-59 * time.Second)},
		"paused": paused, "push": old, "other": old,
	})
	got := e.Overdue(at, func(id string) bool { return id != "other" })
	if want := []string{"late", "never"}; !slices.Equal(got, want) {
		t.Errorf("Overdue = %v, want %v", got, want)
	}
}
