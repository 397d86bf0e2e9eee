package engine

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// TestDependencySuppression: shop depends on db and on host h1, search on
// shop. While db is down, shop's and search's failures join db's alert
// as impacted by it instead of paging; when db recovers, those still
// failing open shop's alert (search's joining it, as shop is down).
func TestDependencySuppression(t *testing.T) {
	engineOnDrivers(t, func(t *testing.T, st store.Store, _ *Engine, at time.Time) {
		ctx := context.Background()
		policy := config.EscalationPolicy{ID: "p", Steps: []config.EscalationStep{{Notify: []string{"person:ana"}}}}
		e := New(Options{
			Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return at },
			Registerer: prometheus.NewRegistry(), FlushInterval: time.Second,
			Policies: func(string) (config.EscalationPolicy, bool) { return policy, true },
		}, nil)
		cfg := &config.Config{
			Services: []config.Service{
				{ID: "db"},
				{ID: "shop", DependsOn: []string{"db", "host:h1"}},
				{ID: "search", DependsOn: []string{"shop"}},
			},
			Hosts: []config.Host{{ID: "h1", Monitors: []string{"h1ping"}}},
			Monitors: []config.Monitor{
				{ID: "db1", Service: "db"}, {ID: "s1", Service: "shop"}, {ID: "s2", Service: "shop"},
				{ID: "q1", Service: "search"}, {ID: "h1ping"},
			},
		}
		if err := e.Apply(cfg, nil); err != nil {
			t.Fatal(err)
		}
		step := func(st probe.Status, ids ...string) {
			t.Helper()
			at = at.Add(time.Minute)
			for _, id := range ids {
				e.evaluate(probe.Result{MonitorID: id, Time: at, Status: st, Reason: id + " " + st.String()})
			}
			e.flushNow(ctx)
			if b := e.Backlog(); b.Total() != 0 {
				t.Fatalf("backlog after flush: %+v", b)
			}
		}
		members := func(group string) []string {
			t.Helper()
			a, err := st.ActiveAlert(ctx, group)
			if errs.Code(err) == errs.ENOTFOUND {
				return nil
			}
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range a.Monitors {
				s := m.MonitorID + "=" + m.Status
				if m.ImpactedBy != "" {
					s += "<" + m.ImpactedBy
				}
				out = append(out, s)
			}
			sort.Strings(out)
			return out
		}
		want := func(group string, ms ...string) {
			t.Helper()
			if got := members(group); !slices.Equal(got, ms) {
				t.Errorf("alert %q lists %v, want %v", group, got, ms)
			}
		}

		step(probe.Critical, "db1")
		step(probe.Critical, "s1", "s2", "q1")
		want("db", "db1=down", "q1=down<service:db", "s1=down<service:db", "s2=down<service:db")
		want("shop")
		want("search")

		step(probe.OK, "db1")
		want("db")
		want("shop", "q1=down<service:shop", "s1=down", "s2=down")
		want("search")
		list, err := st.Alerts(ctx, store.AlertResolved, store.Page{})
		if err != nil || len(list) != 1 || list[0].GroupKey != "db" {
			t.Errorf("resolved alerts = %+v, %v; want db's", list, err)
		}

		// The host goes down: shop's new failures are put down to it,
		// but what already failed on its own stays where it is.
		step(probe.OK, "s1", "s2", "q1")
		want("shop")
		step(probe.Critical, "h1ping")
		step(probe.Critical, "s1")
		want("monitor:h1ping", "h1ping=down", "s1=down<host:h1")
		step(probe.OK, "h1ping")
		want("monitor:h1ping")
		want("shop", "s1=down")
	})
}
