package engine

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// mutedEngine is an engine over st with monitor "db" (service "data",
// channel "hook") and monitor "web" (channel "hook"), both failing at the
// first failed result; a window "upgrade" covers service "data" from at to
// at+1h.
func mutedEngine(t *testing.T, st store.Store, now func() time.Time, at time.Time, onMuted func(string, string, mute.Mute)) (*Engine, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	e := New(Options{
		Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now,
		Registerer: reg, FlushInterval: time.Second, OnMuted: onMuted,
	}, nil)
	cfg := &config.Config{
		Channels: []config.Channel{{ID: "hook", Type: "webhook"}},
		Services: []config.Service{{ID: "data", Channels: []string{"hook"}}},
		Monitors: []config.Monitor{{ID: "db", Type: "tcp", Service: "data"}, {ID: "web", Type: "http", Channels: []string{"hook"}}},
	}
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	w := mute.Window{ID: "upgrade", Reason: "PostgreSQL 18", Match: config.MaintenanceMatch{Services: []string{"data"}}, Start: at, End: at.Add(time.Hour)}
	e.SetMutes(mute.New(cfg, []mute.Window{w}, nil))
	return e, reg
}

// TestMaintenanceHoldsNotifications: a monitor that goes down inside a
// maintenance window records its result and transition but sends nothing,
// while an unmuted monitor failing at the same moment notifies; the first
// result after the window ends, still down, notifies once as a fresh
// failure, and the next result notifies nothing more.
func TestMaintenanceHoldsNotifications(t *testing.T) {
	engineOnDrivers(t, func(t *testing.T, st store.Store, _ *Engine, at time.Time) {
		ctx := context.Background()
		clock := at
		now := func() time.Time { return clock }
		var heard []string
		e, reg := mutedEngine(t, st, now, at, func(id, event string, m mute.Mute) { heard = append(heard, id+" "+event+" "+m.ID) })
		step := func(d time.Duration, id string, s probe.Status) {
			clock = at.Add(d)
			e.evaluate(probe.Result{MonitorID: id, Time: clock, Status: s, Reason: "connection refused"})
			e.flushNow(ctx)
		}
		outbox := func() map[string]int {
			ms, err := st.OutboxMessages(ctx, "", store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			n := map[string]int{}
			for _, m := range ms {
				n[m.Event.MonitorID+" "+m.Event.Event]++
			}
			return n
		}

		step(time.Minute, "db", probe.Critical)
		step(time.Minute, "web", probe.Critical)
		if got := outbox(); got["db monitor.down"] != 0 || got["web monitor.down"] != 1 {
			t.Fatalf("outbox in the window: %v, want only web's down", got)
		}
		ts, err := st.Transitions(ctx, "db", store.Page{})
		if err != nil || len(ts) != 1 || ts[0].To != monitor.StatusDown {
			t.Fatalf("transitions of db: %v %v, want its down stored", ts, err)
		}
		if len(heard) != 1 || heard[0] != "db monitor.down upgrade" {
			t.Errorf("OnMuted heard %q", heard)
		}
		if n := mutedCount(t, reg); n != 1 {
			t.Errorf("tocsin_notifications_muted_total{kind=maintenance} = %v, want 1", n)
		}

		step(30*time.Minute, "db", probe.Critical) // still inside: nothing
		if got := outbox(); got["db monitor.down"] != 0 {
			t.Fatalf("outbox later in the window: %v", got)
		}
		step(time.Hour+time.Minute, "db", probe.Critical) // the window has ended
		ms, err := st.OutboxMessages(ctx, "db", store.Page{})
		if err != nil || len(ms) != 1 {
			t.Fatalf("db's messages after the window: %d %v, want 1", len(ms), err)
		}
		ev := ms[0].Event
		if ev.Event != "monitor.down" || !ev.Time.Equal(at.Add(time.Hour+time.Minute)) || ev.PreviousStatus != "pending" {
			t.Errorf("the released failure: %+v", ev)
		}
		step(time.Hour+2*time.Minute, "db", probe.Critical)
		if got := outbox(); got["db monitor.down"] != 1 {
			t.Errorf("after the next result: %v, want db's down once", got)
		}
		if ts, _ := st.Transitions(ctx, "db", store.Page{}); len(ts) != 1 {
			t.Errorf("db has %d transitions stored, want 1: the release is a notification, not a transition", len(ts))
		}
	})
}

// TestMaintenanceRecoveryInsideSendsNothing: down and up again inside the
// window: nothing is sent, during or after.
func TestMaintenanceRecoveryInsideSendsNothing(t *testing.T) {
	engineOnDrivers(t, func(t *testing.T, st store.Store, _ *Engine, at time.Time) {
		ctx := context.Background()
		clock := at
		e, _ := mutedEngine(t, st, func() time.Time { return clock }, at, nil)
		for _, s := range []struct {
			d  time.Duration
			st probe.Status
		}{{time.Minute, probe.Critical}, {10 * time.Minute, probe.OK}, {2 * time.Hour, probe.OK}} {
			clock = at.Add(s.d)
			e.evaluate(probe.Result{MonitorID: "db", Time: clock, Status: s.st})
		}
		e.flushNow(ctx)
		if ms, _ := st.OutboxMessages(ctx, "db", store.Page{}); len(ms) != 0 {
			t.Errorf("%d messages, want none", len(ms))
		}
		if ts, _ := st.Transitions(ctx, "db", store.Page{}); len(ts) != 2 {
			t.Errorf("%d transitions stored, want 2 (down, up)", len(ts))
		}
	})
}

func mutedCount(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "tocsin_notifications_muted_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == mute.KindMaintenance {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
