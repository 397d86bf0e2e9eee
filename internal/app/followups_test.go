package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestFollowUpRemindersEndToEnd: follow-up actions added through the API
// remind their owner through the person's own contact, a real webhook:
// one overdue at once, one coming due within action_reminder_before. A
// restart sends neither again, and an action owned by free text
// reaches nobody without stopping the others.
func TestFollowUpRemindersEndToEnd(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			hook := testkit.NewWebhook(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			base := "http://" + ln.Addr().String()
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, `server:
  listen: 127.0.0.1:0
  base_url: `+base+`
`+storageYAML(t, driver)+`
channels:
  - {id: ana-hook, type: webhook, webhook: {url: `+hook.URL+`}}
people:
  - {id: ana, name: Ana, timezone: Pacific/Kiritimati, contacts: [{channel: ana-hook}]}
incidents:
  action_reminder_before: 72h
  action_overdue_every: 24h
`)
			r := runApp(t, Options{ConfigPath: path, Listener: ln, WatchInterval: -1})
			st := r.app.Store()
			token, _ := signIn(t, st)
			now := time.Now()
			in, err := st.OpenIncident(t.Context(), store.Incident{Title: "Checkout fails", Severity: "p2", OpenedAt: now, DetectedAt: now,
				ReportedKind: store.ReportedByStaff, ReportedAt: now, DeclaredBy: "ada"}, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			add := func(url, body string) int64 {
				t.Helper()
				req, _ := http.NewRequest("POST", url+fmt.Sprintf("/api/v1/incidents/%d/actions", in.ID), strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				var out struct{ Data struct{ ID int64 } }
				if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &out) != nil {
					t.Fatalf("add an action = %d %s", resp.StatusCode, b)
				}
				return out.Data.ID
			}
			day := func(d int) string { return now.UTC().AddDate(0, 0, d).Format(store.DateLayout) }
			// Kiritimati is UTC+14: an action due yesterday there is past
			// due whatever the hour here; one due in two days is within
			// the 72h before.
			free := add(r.url, `{"title":"Ask the vendor","owner":"someone at the vendor","due":"`+day(-3)+`"}`)
			overdue := add(r.url, `{"title":"Alert on payment latency","owner":"ana","due":"`+day(-2)+`","priority":"high","type":"detective"}`)
			soon := add(r.url, `{"title":"Load test checkout","owner":"ana","due":"`+day(2)+`"}`)
			byAction := func(id int64) func(testkit.Delivery) bool {
				return func(d testkit.Delivery) bool { return d.Event["action_id"] == float64(id) }
			}
			got := hook.WaitFor(t, 20*time.Second, byAction(overdue))
			ev := got.Event
			if ev["event"] != notify.EventActionOverdue || ev["incident_id"] != float64(in.ID) || ev["due"] != day(-2) || ev["recipient"] != "person:ana" ||
				ev["url"] != fmt.Sprintf("%s/incidents/%d#actions", base, in.ID) || !strings.Contains(fmt.Sprint(ev["reason"]), "Alert on payment latency") ||
				got.Header.Get("Idempotency-Key") != ev["id"] {
				t.Errorf("overdue reminder = %v (Idempotency-Key %q)", ev, got.Header.Get("Idempotency-Key"))
			}
			if ev := hook.WaitFor(t, 20*time.Second, byAction(soon)).Event; ev["event"] != notify.EventActionDue || ev["due"] != day(2) {
				t.Errorf("due reminder = %v", ev)
			}
			a, err := st.FollowUp(t.Context(), free)
			if err != nil {
				t.Fatal(err)
			}
			if a.RemindedOverdueAt.IsZero() {
				t.Errorf("the free-text owner's action was not settled: %+v", a)
			}

			// After a restart nothing is sent twice: a new overdue action
			// is reminded in a step that saw the others too.
			r.stop()
			ln2, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			r2 := runApp(t, Options{ConfigPath: path, Listener: ln2, WatchInterval: -1})
			later := add(r2.url, `{"title":"Runbook for the gateway","owner":"ana","due":"`+day(-1)+`"}`)
			hook.WaitFor(t, 20*time.Second, byAction(later))
			count := map[float64]int{}
			for _, d := range hook.Deliveries() {
				count[d.Event["action_id"].(float64)]++
			}
			if count[float64(overdue)] != 1 || count[float64(soon)] != 1 || count[float64(later)] != 1 || count[float64(free)] != 0 || len(count) != 3 {
				t.Errorf("deliveries per action = %v, want one each for %d, %d, %d", count, overdue, soon, later)
			}
		})
	}
}
