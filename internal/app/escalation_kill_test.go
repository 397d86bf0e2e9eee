package app

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestEscalationSurvivesKill: a real server process pages person A at once
// and is killed with SIGKILL before the policy's second step; a new process
// on the same database pages team B (each member through their own contact,
// and the team's room) once, at the step's due time counted from when the
// alert opened (not from the restart), and A is not paged again.
func TestEscalationSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	// The server is down from just after the first page until down after
	// the alert opened, so a second step counted from the restart would
	// come down late.
	const step2, down = 8 * time.Second, 4 * time.Second
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			dir := t.TempDir()
			dsn := filepath.Join(dir, "tocsin.db")
			if driver == "postgres" {
				dsn = storetest.PostgresDSN(t)
			}
			target := testkit.NewTarget(t)
			hooks := map[string]*testkit.Webhook{}
			for _, id := range []string{"a-phone", "b1-phone", "b2-phone", "b-room"} {
				hooks[id] = testkit.NewWebhook(t)
			}
			path := filepath.Join(dir, "tocsin.yaml")
			writeConfig(t, path, fmt.Sprintf(`server:
  listen: 127.0.0.1:0
storage:
  driver: %s
  dsn: %q
channels:
  - {id: a-phone, type: webhook, webhook: {url: %s}}
  - {id: b1-phone, type: webhook, webhook: {url: %s}}
  - {id: b2-phone, type: webhook, webhook: {url: %s}}
  - {id: b-room, type: webhook, webhook: {url: %s}}
people:
  - {id: a, name: Alma, contacts: [{channel: a-phone}]}
  - {id: b1, name: Bo, contacts: [{channel: b1-phone}]}
  - {id: b2, name: Bea, contacts: [{channel: b2-phone}]}
teams:
  - {id: b, name: Application support, members: [b1, b2], channels: [b-room]}
escalation_policies:
  - id: support
    steps:
      - {after: 0s, notify: ["person:a"]}
      - {after: %s, notify: ["team:b"]}
services:
  - {id: shop, name: Shop, owners: [b], escalation_policy: support, runbook: "https://wiki.example.org/shop"}
monitors:
  - id: site
    service: shop
    type: http
    interval: 200ms
    timeout: 150ms
    http: {url: %s}
`, driver, dsn, hooks["a-phone"].URL, hooks["b1-phone"].URL, hooks["b2-phone"].URL, hooks["b-room"].URL, step2, target.URL))

			target.SetFailing(true)
			child := startChild(t, path)
			opened := hooks["a-phone"].WaitFor(t, 30*time.Second, isEvent(notify.EventAlertOpened))
			if opened.Event["recipient"] != "person:a" || opened.Event["escalation_step"] != float64(1) {
				t.Errorf("the first page = %v", opened.Event)
			}
			if err := child.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = child.Wait()
			for _, id := range []string{"b1-phone", "b2-phone", "b-room"} {
				if n := len(hooks[id].Deliveries()); n != 0 {
					t.Fatalf("%s was paged before the kill (%d deliveries): the kill did not fall between the steps", id, n)
				}
			}

			// The downtime is part of the scenario, not a wait for
			// something to happen.
			firstAt, err := time.Parse(time.RFC3339Nano, opened.Event["time"].(string))
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Until(firstAt.Add(down)))
			restarted := time.Now()
			child = startChild(t, path)
			got := map[string]testkit.Delivery{}
			for _, id := range []string{"b1-phone", "b2-phone", "b-room"} {
				got[id] = hooks[id].WaitFor(t, 30*time.Second, isEvent(notify.EventAlertEscalated))
			}
			// Every notification of step 2 is in the outbox: once they
			// are all sent, nothing more can arrive; stop the server and
			// count what did.
			alertID := int64(opened.Event["alert_id"].(float64))
			st := waitAllSent(t, child, driver, dsn, alertID)

			a, err := st.Alert(context.Background(), alertID)
			if err != nil {
				t.Fatal(err)
			}
			for id, d := range got {
				if d.Event["escalation_step"] != float64(2) || d.Event["recipient"] != "team:b" || d.Event["alert_id"] != opened.Event["alert_id"] {
					t.Errorf("%s's page = %v", id, d.Event)
				}
				at, err := time.Parse(time.RFC3339Nano, d.Event["time"].(string))
				if err != nil {
					t.Fatal(err)
				}
				// Due at opened_at + 6s, not 6s after the restart; the
				// slack covers the escalator's wake-up.
				t.Logf("%s paged %s after the alert opened; the server restarted %s after it", id, at.Sub(a.OpenedAt).Round(time.Millisecond), restarted.Sub(a.OpenedAt).Round(time.Millisecond))
				if late := at.Sub(a.OpenedAt) - step2; late < 0 || late > 3*time.Second {
					t.Errorf("%s paged %s after the alert opened (%s), want %s (+3s at most)", id, at.Sub(a.OpenedAt), a.OpenedAt, step2)
				}
			}
			for id, h := range hooks {
				ids := map[string]bool{}
				for _, d := range h.Deliveries() {
					if e := d.Event["event"]; e == notify.EventAlertOpened || e == notify.EventAlertEscalated {
						ids[fmt.Sprint(d.Event["event"], "/", d.Event["id"])] = true
					}
				}
				if len(ids) != 1 {
					t.Errorf("%s received the pages %v, want exactly one notification id", id, ids)
				}
			}
		})
	}
}

func isEvent(name string) func(testkit.Delivery) bool {
	return func(d testkit.Delivery) bool { return d.Event["event"] == name }
}

// waitAllSent waits until every page of the alert in the outbox is sent,
// then stops the server process and returns the store, open on its
// database.
func waitAllSent(t *testing.T, child *exec.Cmd, driver, dsn string, alertID int64) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, sqlstore.Options{Driver: driver, DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs, err := st.OutboxMessages(ctx, "", store.Page{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		pages, pending := 0, 0
		for _, m := range msgs {
			if m.Event.AlertID != alertID || (m.Event.Event != notify.EventAlertOpened && m.Event.Event != notify.EventAlertEscalated) {
				continue
			}
			pages++
			if m.State != notify.StateSent {
				pending++
			}
		}
		if pages >= 4 && pending == 0 {
			if pages != 4 {
				t.Errorf("%d pages of the alert in the outbox, want 4 (A, then Bo, Bea and the room)", pages)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the alert's pages in the outbox: %d, %d not sent", pages, pending)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = child.Process.Signal(syscall.SIGKILL)
	_ = child.Wait()
	return st
}
