package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// routeConfig has one monitor, "home", whose service routes to "hook" and
// "mail" and which routes to "pager" and "hook" itself; "mail" and
// "pager" want only some events.
func routeConfig() *config.Config {
	return &config.Config{
		Server: config.Server{BaseURL: "https://tocsin.example"},
		Channels: []config.Channel{
			{ID: "hook", Type: "webhook"},
			{ID: "mail", Type: "email", Events: []string{"monitor.down", "monitor.up"}},
			{ID: "pager", Type: "webhook", Events: []string{"monitor.down"}},
		},
		Services: []config.Service{{ID: "web", Name: "Website", Channels: []string{"hook", "mail"}}},
		Monitors: []config.Monitor{{ID: "home", Name: "Home page", Service: "web", Channels: []string{"pager", "hook"}}},
	}
}

// counter returns ids id-1, id-2, … so tests can tell messages apart.
func counter() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("id-%d", n)
	}
}

// routeOne runs one transition through the stages after the state
// machine, with notification ids from counter.
func routeOne(cfg *config.Config, t monitor.Transition) []notify.OutboxMessage {
	var m *config.Monitor
	if cfg != nil {
		var ok bool
		if m, ok = cfg.Monitor(t.MonitorID); !ok {
			return nil
		}
	}
	out, _ := New(Options{NewID: counter()}, nil).route(cfg, m, []monitor.Transition{t}, nil)
	return out
}

// TestRoute: a transition goes through the alert stage (which event, which
// channels: internal/alert tests every rule) and the notify stage (one
// pending message per channel: internal/notify tests its shape). The
// engine's part is the chain: every channel the alert names gets its
// message, in the alert's order, with an id of its own, and a transition
// the alert stage drops causes nothing.
func TestRoute(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	utc := at.UTC()
	msg := func(id, channel, event string, from, to monitor.Status) notify.OutboxMessage {
		e := notify.Event{
			ID: id, Event: event, MonitorID: "home", MonitorName: "Home page", ServiceID: "web", ServiceName: "Website",
			Status: string(to), PreviousStatus: string(from), Reason: "GET https://x/: 503, expected 200",
			Time: utc, URL: "https://tocsin.example/monitors/home",
		}
		return notify.OutboxMessage{ID: id, Channel: channel, Event: e, State: "pending", NextAttempt: utc, CreatedAt: utc}
	}
	up, down, pending := monitor.StatusUp, monitor.StatusDown, monitor.StatusPending
	tests := []struct {
		name     string
		from, to monitor.Status
		want     []notify.OutboxMessage
	}{
		{"down goes to every channel, service's first", up, down, []notify.OutboxMessage{
			msg("id-1", "hook", "monitor.down", up, down),
			msg("id-2", "mail", "monitor.down", up, down),
			msg("id-3", "pager", "monitor.down", up, down),
		}},
		{"up skips the channel that wants only down", down, up, []notify.OutboxMessage{
			msg("id-1", "hook", "monitor.up", down, up),
			msg("id-2", "mail", "monitor.up", down, up),
		}},
		{"first result up is not notified", pending, up, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := monitor.Transition{MonitorID: "home", From: tt.from, To: tt.to, Time: at, Reason: "GET https://x/: 503, expected 200"}
			if diff := cmp.Diff(tt.want, routeOne(routeConfig(), tr)); diff != "" {
				t.Errorf("route mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRouteIDsAreUniquePerChannel(t *testing.T) {
	tr := monitor.Transition{MonitorID: "home", From: monitor.StatusUp, To: monitor.StatusDown, Time: time.Now()}
	msgs := routeOne(routeConfig(), tr)
	seen := map[string]bool{}
	for _, m := range msgs {
		if m.ID != m.Event.ID {
			t.Errorf("message id %q differs from event id %q", m.ID, m.Event.ID)
		}
		if seen[m.ID] {
			t.Errorf("id %q used twice", m.ID)
		}
		seen[m.ID] = true
	}
	if len(msgs) != 3 {
		t.Fatalf("got %d messages, want 3", len(msgs))
	}
}

func TestRouteNilConfig(t *testing.T) {
	tr := monitor.Transition{MonitorID: "home", From: monitor.StatusUp, To: monitor.StatusDown}
	if got := routeOne(nil, tr); got != nil {
		t.Errorf("route(nil config) = %v, want nil", got)
	}
}

// TestTransitionStoredWithItsNotifications runs a failing result through
// the engine into a real store: one flush stores the result, the down
// transition and the outbox messages it causes together, and wakes the
// dispatcher.
func TestTransitionStoredWithItsNotifications(t *testing.T) {
	for _, driver := range []string{sqlstore.DriverSQLite, sqlstore.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			now := func() time.Time { return at }
			st := openTestStore(t, driver, now)
			woken := 0
			e := New(Options{Store: st, Now: now, NewID: counter(), Wake: func() { woken++ }}, nil)
			cfg := routeConfig()
			cfg.Monitors[0].FailureThreshold = 1
			if err := e.Apply(cfg, nil); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			e.evaluate(probe.Result{MonitorID: "home", Time: at, Status: probe.Critical, Reason: "503"})
			e.flushNow(ctx)
			if b := e.Backlog(); b.Total() != 0 {
				t.Errorf("still waiting after the flush: %+v", b)
			}
			ts, err := st.Transitions(ctx, "home", store.Page{})
			if err != nil || len(ts) != 1 || ts[0].To != monitor.StatusDown {
				t.Fatalf("transitions of home: %+v, %v; want the one to down", ts, err)
			}
			msgs, err := st.OutboxMessages(ctx, "home", store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range msgs {
				got = append(got, m.Channel+" "+m.ID+" "+m.Event.Event+" "+m.State)
			}
			want := []string{"pager id-3 monitor.down pending", "mail id-2 monitor.down pending", "hook id-1 monitor.down pending"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("outbox (newest first) (-want +got):\n%s", diff)
			}
			if woken != 1 {
				t.Errorf("the dispatcher was woken %d times, want once", woken)
			}
		})
	}
}

// owns is an Ownership that owns the monitors listed.
type owns []string

func (o owns) Owns(id string) bool {
	for _, m := range o {
		if m == id {
			return true
		}
	}
	return false
}

// TestOwnership: a monitor another process owns is neither run nor
// evaluated here, though it stays configured and shown; a monitor of its
// own runs and its results are taken.
func TestOwnership(t *testing.T) {
	e := New(Options{Ownership: owns{"a"}}, nil)
	cfg := &config.Config{Monitors: []config.Monitor{{ID: "a", Type: "http"}, {ID: "b", Type: "http"}}}
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	if !e.Runs("a") || e.Runs("b") {
		t.Errorf("Runs(a), Runs(b) = %v, %v; want true, false", e.Runs("a"), e.Runs("b"))
	}
	if e.Runs("missing") {
		t.Error("Runs(missing) = true for a monitor not configured")
	}
	ctx := context.Background()
	e.Submit(ctx, probe.Result{MonitorID: "b", Status: probe.OK})
	e.Submit(ctx, probe.Result{MonitorID: "a", Status: probe.OK})
	if n := len(e.results); n != 1 {
		t.Fatalf("%d results queued, want only the one of a", n)
	}
	if r := <-e.results; r.MonitorID != "a" {
		t.Errorf("queued a result of %q, want a", r.MonitorID)
	}
	if len(e.Views()) != 2 {
		t.Errorf("views: %d, want both configured monitors", len(e.Views()))
	}
	if err := e.SetPaused("a", true); err != nil || e.Runs("a") {
		t.Errorf("a paused: err %v, runs %v; want it not to run", err, e.Runs("a"))
	}
}

var _ Ownership = owns(nil)
