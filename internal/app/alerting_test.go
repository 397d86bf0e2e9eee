package app

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// The paging scenarios below run the whole app with whom to page read from
// the configuration (the real catalog): grouping, dependency suppression
// and maintenance windows, each on both databases.

// scenarioConfig is a configuration with one webhook contact per person:
// person P is reached at hooks[P].
func scenarioConfig(t *testing.T, driver string, hooks map[string]*testkit.Webhook, rest string) string {
	var b strings.Builder
	b.WriteString("server:\n  listen: 127.0.0.1:0\n" + storageYAML(t, driver) + "channels:\n")
	ids := make([]string, 0, len(hooks))
	for id := range hooks {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, "  - {id: %s-phone, type: webhook, webhook: {url: %s}}\n", id, hooks[id].URL)
	}
	b.WriteString("people:\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "  - {id: %s, contacts: [{channel: %s-phone}]}\n", id, id)
	}
	b.WriteString(rest)
	return b.String()
}

func httpMonitor(id, service, url string) string {
	// A timeout as long as the interval: on a loaded machine a healthy
	// local target can take longer than 150ms, and a false failure
	// changes what pages.
	return fmt.Sprintf("  - {id: %s, service: %s, type: http, interval: 300ms, timeout: 300ms, http: {url: %s}}\n", id, service, url)
}

// events returns the events of the given names h received, in order.
func events(h *testkit.Webhook, names ...string) []map[string]any {
	var out []map[string]any
	for _, d := range h.Deliveries() {
		for _, n := range names {
			if d.Event["event"] == n {
				out = append(out, d.Event)
			}
		}
	}
	return out
}

func monitorIDs(ev map[string]any) []string {
	ms, _ := ev["monitors"].([]any)
	var out []string
	for _, m := range ms {
		if m, ok := m.(map[string]any); ok {
			out = append(out, fmt.Sprint(m["id"]))
		}
	}
	sort.Strings(out)
	return out
}

// pagesQueued counts the alert.opened notifications in the outbox.
func pagesQueued(t *testing.T, st store.Store) int {
	t.Helper()
	ms, err := st.OutboxMessages(context.Background(), "", store.Page{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range ms {
		if m.Event.Event == notify.EventAlertOpened {
			n++
		}
	}
	return n
}

// failures is how many times in a row monitor id has failed.
func failures(a *App, id string) int {
	en, _ := a.eng.View(id)
	return en.State.ConsecutiveFailures
}

// waitFailures waits until monitor id has failed n times in a row.
func waitFailures(t *testing.T, a *App, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if en, ok := a.eng.View(id); ok && en.State.ConsecutiveFailures >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("monitor %q did not fail %d times in a row", id, n)
}

// TestGroupingPagesOnce: five monitors of a service failing together page
// once, listing all five; a sixth joins the alert as an update, not a page.
func TestGroupingPagesOnce(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			five, sixth := testkit.NewTarget(t), testkit.NewTarget(t)
			ana := testkit.NewWebhook(t)
			rest := `escalation_policies:
  - {id: p, steps: [{notify: ["person:ana"]}]}
alerting: {group_wait: 2s, group_interval: 1s}
services:
  - {id: shop, escalation_policy: p}
monitors:
`
			for i := 1; i <= 5; i++ {
				rest += httpMonitor(fmt.Sprintf("m%d", i), "shop", five.URL)
			}
			rest += httpMonitor("m6", "shop", sixth.URL)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, scenarioConfig(t, driver, map[string]*testkit.Webhook{"ana": ana}, rest))
			r := start(t, path)
			st := r.app.Store()

			five.SetFailing(true)
			opened := ana.WaitFor(t, 20*time.Second, isEvent(notify.EventAlertOpened))
			if got := strings.Join(monitorIDs(opened.Event), ","); got != "m1,m2,m3,m4,m5" {
				t.Errorf("the page lists %q, want the five failing monitors", got)
			}
			sixth.SetFailing(true)
			upd := ana.WaitFor(t, 20*time.Second, isEvent(notify.EventAlertUpdated))
			if upd.Event["alert_id"] != opened.Event["alert_id"] || len(monitorIDs(upd.Event)) != 6 {
				t.Errorf("the update = %v, want alert %v listing six monitors", upd.Event, opened.Event["alert_id"])
			}
			waitFailures(t, r.app, "m6", failures(r.app, "m6")+5)
			if n := len(events(ana, notify.EventAlertOpened)); n != 1 {
				t.Errorf("%d pages received, want 1", n)
			}
			if n := pagesQueued(t, st); n != 1 {
				t.Errorf("%d pages queued, want 1", n)
			}
			as, err := st.Alerts(context.Background(), "", store.Page{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(as) != 1 || len(as[0].Monitors) != 6 {
				t.Errorf("alerts = %+v, want one with six monitors", as)
			}
		})
	}
}

// TestDependencySuppression: service web depends on db. db fails and
// pages; web's failure then joins db's alert as an update, "impacted by"
// db, and pages nobody; when db recovers with web still failing, web
// pages on its own.
func TestDependencySuppression(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			dbT, webT := testkit.NewTarget(t), testkit.NewTarget(t)
			dba, webdev := testkit.NewWebhook(t), testkit.NewWebhook(t)
			rest := `escalation_policies:
  - {id: db-policy, steps: [{notify: ["person:dba"]}]}
  - {id: web-policy, steps: [{notify: ["person:webdev"]}]}
alerting: {group_interval: 1s}
services:
  - {id: db, escalation_policy: db-policy}
  - {id: web, escalation_policy: web-policy, depends_on: [db]}
monitors:
` + httpMonitor("db-check", "db", dbT.URL) + httpMonitor("web-check", "web", webT.URL)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, scenarioConfig(t, driver, map[string]*testkit.Webhook{"dba": dba, "webdev": webdev}, rest))
			r := start(t, path)

			dbT.SetFailing(true)
			opened := dba.WaitFor(t, 20*time.Second, isEvent(notify.EventAlertOpened))
			if opened.Event["service_id"] != "db" {
				t.Errorf("the first page = %v", opened.Event)
			}
			webT.SetFailing(true)
			upd := dba.WaitFor(t, 20*time.Second, func(d testkit.Delivery) bool {
				return d.Event["event"] == notify.EventAlertUpdated && len(monitorIDs(d.Event)) == 2
			})
			if upd.Event["alert_id"] != opened.Event["alert_id"] {
				t.Errorf("web's failure went to alert %v, want db's %v", upd.Event["alert_id"], opened.Event["alert_id"])
			}
			for _, m := range upd.Event["monitors"].([]any) {
				m := m.(map[string]any)
				if m["id"] == "web-check" && m["impacted_by"] == nil {
					t.Errorf("web-check in db's alert is not marked impacted: %v", m)
				}
			}
			waitFailures(t, r.app, "web-check", failures(r.app, "web-check")+5)
			if got := events(webdev, notify.EventAlertOpened, notify.EventAlertEscalated); len(got) != 0 {
				t.Fatalf("web's on-call was paged while db was down: %v", got)
			}

			dbT.SetFailing(false)
			own := webdev.WaitFor(t, 20*time.Second, isEvent(notify.EventAlertOpened))
			if own.Event["service_id"] != "web" || own.Event["alert_id"] == opened.Event["alert_id"] || strings.Join(monitorIDs(own.Event), ",") != "web-check" {
				t.Errorf("web's own page = %v", own.Event)
			}
			waitFailures(t, r.app, "web-check", failures(r.app, "web-check")+8)
			if n := len(events(webdev, notify.EventAlertOpened)); n != 1 {
				t.Errorf("web paged %d times after db recovered, want once", n)
			}
			if n := len(events(dba, notify.EventAlertOpened)); n != 1 {
				t.Errorf("db paged %d times, want once", n)
			}
		})
	}
}

// TestMaintenanceHoldsPages: a monitor failing inside a maintenance window
// pages nobody and opens no alert; when the window ends with the monitor
// still failing, it pages once.
func TestMaintenanceHoldsPages(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			ana := testkit.NewWebhook(t)
			target.SetFailing(true)
			end := time.Now().Add(10 * time.Second).UTC().Truncate(time.Second)
			rest := fmt.Sprintf(`escalation_policies:
  - {id: p, steps: [{notify: ["person:ana"]}]}
services:
  - {id: shop, escalation_policy: p}
maintenance:
  - {id: upgrade, reason: database upgrade, match: {services: [shop]}, start: %q, end: %q}
monitors:
`, end.Add(-time.Hour).Format(time.RFC3339), end.Format(time.RFC3339)) + httpMonitor("site", "shop", target.URL)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, scenarioConfig(t, driver, map[string]*testkit.Webhook{"ana": ana}, rest))
			r := start(t, path)
			st := r.app.Store()

			waitFailures(t, r.app, "site", 3)
			if time.Now().After(end) {
				t.Fatalf("the server took until after the window to fail three times; nothing was checked")
			}
			if n := len(ana.Deliveries()); n != 0 {
				t.Errorf("%d notifications during the maintenance window, want none", n)
			}
			if as, err := st.Alerts(context.Background(), "", store.Page{Limit: 10}); err != nil || len(as) != 0 {
				t.Errorf("alerts during the window = %+v, %v; want none", as, err)
			}

			page := ana.WaitFor(t, 30*time.Second, isEvent(notify.EventAlertOpened))
			if page.At.Before(end) {
				t.Errorf("paged at %s, before the window ended at %s", page.At, end)
			}
			waitFailures(t, r.app, "site", failures(r.app, "site")+8)
			if n := len(events(ana, notify.EventAlertOpened)); n != 1 {
				t.Errorf("%d pages after the window, want 1", n)
			}
			if n := pagesQueued(t, st); n != 1 {
				t.Errorf("%d pages queued, want 1", n)
			}
		})
	}
}
