package app

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestIncidentEndToEnd: a service's monitor fails, its paged alert opens
// an incident whose timeline holds the alert's log; the on-call
// acknowledgement appears on it and sets the acknowledgement time; the
// monitor recovers, the incident is in monitoring and resolves after
// incidents.resolve_after.
func TestIncidentEndToEnd(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			room := testkit.NewWebhook(t)
			public := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, driver)+`
channels:
  - {id: room, type: webhook, webhook: {url: `+room.URL+`}}
  - {id: status, type: webhook, events: [incident.resolved], webhook: {url: `+public.URL+`}}
people:
  - {id: ana, name: Ana, email: ana@example.org}
escalation_policies:
  - id: support
    steps:
      - {notify: ["person:ana"]}
services:
  - {id: shop, name: Shop, escalation_policy: support, channels: [room]}
incidents:
  resolve_after: 1s
  severity: p1
monitors:
  - id: site
    service: shop
    type: http
    interval: 200ms
    timeout: 150ms
    http: {url: `+target.URL+`}
`)
			target.SetFailing(true)
			r := runApp(t, Options{ConfigPath: path})
			st := r.app.Store()
			ctx := context.Background()
			wait := func(what string, ok func(store.Incident) bool) store.Incident {
				t.Helper()
				deadline := time.Now().Add(30 * time.Second)
				for {
					list, err := st.Incidents(ctx, "", store.Page{Limit: 10})
					if err != nil {
						t.Fatal(err)
					}
					if len(list) > 0 {
						in, err := st.Incident(ctx, list[0].ID)
						if err != nil {
							t.Fatal(err)
						}
						if ok(in) {
							return in
						}
						if time.Now().After(deadline) {
							t.Fatalf("waiting for %s; incident %+v", what, in)
						}
					} else if time.Now().After(deadline) {
						t.Fatalf("waiting for %s: no incident", what)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			in := wait("the incident to open", func(in store.Incident) bool { return len(in.Alerts) == 1 })
			if in.State != store.IncidentInvestigating || in.Severity != "p1" || in.ReportedKind != store.ReportedByMonitor ||
				!slices.Equal(in.Services, []string{"shop"}) || in.DetectedAt.IsZero() {
				t.Errorf("opened incident = %+v", in)
			}
			if _, err := st.Act(ctx, in.Alerts[0], store.AlertAct{Kind: store.ActAcknowledge, Who: "user:ana", At: time.Now()}); err != nil {
				t.Fatal(err)
			}
			r.app.inc.Wake()
			in = wait("the acknowledgement", func(in store.Incident) bool { return !in.AcknowledgedAt.IsZero() })
			if in.AcknowledgedAt.Before(in.DetectedAt) {
				t.Errorf("acknowledged %v before detected %v", in.AcknowledgedAt, in.DetectedAt)
			}
			target.SetFailing(false)
			in = wait("resolution", func(in store.Incident) bool { return in.State == store.IncidentResolved })
			if in.ResolvedBy != "system" || !in.MonitoringSince.IsZero() {
				t.Errorf("resolved incident = %+v", in)
			}
			opened := room.WaitFor(t, 20*time.Second, func(d testkit.Delivery) bool { return d.Event["event"] == "incident.opened" })
			if opened.Event["incident_id"] != float64(in.ID) || opened.Event["severity"] != "p1" || opened.Event["service_id"] != "shop" || opened.Event["reason"] != "shop is failing" {
				t.Errorf("incident.opened = %v", opened.Event)
			}
			isResolved := func(d testkit.Delivery) bool {
				return d.Event["event"] == "incident.resolved" && d.Event["incident_id"] == float64(in.ID)
			}
			room.WaitFor(t, 20*time.Second, isResolved)
			public.WaitFor(t, 20*time.Second, isResolved)
			for _, d := range public.Deliveries() {
				if d.Event["event"] != "incident.resolved" {
					t.Errorf("a channel subscribed to incident.resolved only got %v", d.Event["event"])
				}
			}
			var kinds, states []string
			for _, e := range in.Timeline {
				kinds = append(kinds, e.Kind)
				if e.Kind == store.EntryState {
					states = append(states, e.Text)
				}
			}
			for _, k := range []string{"alert.opened", store.EntryOpened, "alert.acknowledged", "alert.recovered", "alert.resolved"} {
				if !slices.Contains(kinds, k) {
					t.Errorf("timeline %v lacks %s", kinds, k)
				}
			}
			if want := []string{"investigating → monitoring: every monitor is up", "monitoring → resolved: quiet for 1s"}; !slices.Equal(states, want) {
				t.Errorf("state changes = %q, want %q", states, want)
			}
		})
	}
}
