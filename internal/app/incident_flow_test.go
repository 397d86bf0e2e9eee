package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestIncidentUpdateFlow: updates posted with the command line and the
// API move the incident to the state they report and reach the channels
// subscribed to incident.updated and incident.resolved with their
// message; the incident's JSON lists the change to a dependency made
// before it as a suspect, and its timeline what became of the
// notifications. On each database.
func TestIncidentUpdateFlow(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			room := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, driver)+`
channels:
  - {id: room, type: webhook, events: [incident.updated, incident.resolved], webhook: {url: `+room.URL+`}}
services:
  - {id: shop, name: Web Shop, depends_on: [db]}
  - {id: db, name: Database}
incidents:
  auto_notice: [p1]
monitors:
  - id: site
    service: shop
    type: http
    interval: 1s
    http: {url: `+target.URL+`}
`)
			r := start(t, path)
			st := r.app.Store()
			ctx := t.Context()
			token, _ := signIn(t, st)
			if _, err := st.AddChange(ctx, store.Change{Title: "pg 17 upgrade", Author: "bob", Time: time.Now().Add(-time.Hour), Services: []string{"db"}}); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := cliEnv(t, r.url, token, "incident", "declare", "--title", "Checkout fails", "--service", "shop", "--severity", "p1")
			if code != 0 {
				t.Fatalf("declare: exit %d:\n%s%s", code, out, errOut)
			}
			ups, err := st.IncidentUpdatesOf(ctx, 1)
			if err != nil || len(ups) != 1 || ups[0].Message != "We are investigating a problem with Web Shop. Next update within 30 minutes." {
				t.Errorf("first notice = %+v, %v; want the service's name", ups, err)
			}
			code, out, errOut = cliEnv(t, r.url, token, "incident", "update", "1", "--message", "The pg upgrade broke a query.", "--status", "identified", "--public")
			if code != 0 || !strings.Contains(out, "incident 1: public update posted (identified)") {
				t.Fatalf("update: exit %d:\n%s%s", code, out, errOut)
			}
			code, out, errOut = cliEnv(t, r.url, token, "incident", "update", "--message", "Still on it.", "1")
			if code != 0 || !strings.Contains(out, "incident 1: internal update posted (identified)") {
				t.Fatalf("update without a status: exit %d:\n%s%s", code, out, errOut)
			}
			in, err := st.Incident(ctx, 1)
			if err != nil || in.State != store.IncidentIdentified {
				t.Fatalf("after the updates: %+v, %v; want identified", in.State, err)
			}
			for _, bad := range [][]string{{"1"}, {"1", "--message", "x", "--status", "sleeping"}, {"abc", "--message", "x"}, {"99", "--message", "x"}, {"--message", "x"}} {
				if code, _, errOut := cliEnv(t, r.url, token, append([]string{"incident", "update"}, bad...)...); code != 1 || errOut == "" {
					t.Errorf("incident update %v: exit %d, %q; want 1 with an error", bad, code, errOut)
				}
			}
			api := func(method, p string, body any) (int, []byte) {
				t.Helper()
				var rd io.Reader
				if body != nil {
					b, _ := json.Marshal(body)
					rd = bytes.NewReader(b)
				}
				req, _ := http.NewRequest(method, r.url+p, rd)
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, b
			}
			if code, b := api("POST", "/api/v1/incidents/1/updates", map[string]any{"message": "Rolled back.", "status": "resolved"}); code != http.StatusCreated {
				t.Fatalf("API update: %d %s", code, b)
			}
			if in, err = st.Incident(ctx, 1); err != nil || in.State != store.IncidentResolved || in.ResolvedBy != "ada" {
				t.Fatalf("after a resolving update: %+v, %v", in, err)
			}
			for _, want := range []struct{ event, message string }{
				{"incident.updated", "The pg upgrade broke a query."}, {"incident.updated", "Still on it."},
				{"incident.updated", "Rolled back."}, {"incident.resolved", "Rolled back."},
			} {
				room.WaitFor(t, 20*time.Second, func(d testkit.Delivery) bool {
					return d.Event["event"] == want.event && d.Event["message"] == want.message && d.Event["incident_id"] == float64(1)
				})
			}
			for _, d := range room.Deliveries() {
				if d.Event["event"] == "incident.opened" {
					t.Errorf("a channel not subscribed to incident.opened got it")
				}
			}
			// The dispatcher records the last delivery just after the
			// receiver answered.
			var got struct {
				Data struct {
					Suspects []struct {
						Change  struct{ Title string }
						Touches []string
					}
					Timeline []struct{ Kind, Text string }
				}
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				code, b := api("GET", "/api/v1/incidents/1", nil)
				if code != http.StatusOK {
					t.Fatalf("GET incident: %d %s", code, b)
				}
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, e := range got.Data.Timeline {
					if e.Kind == store.EntryNotificationDelivered && strings.HasSuffix(e.Text, " delivered to room") {
						n++
					}
				}
				if n == 4 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("timeline lacks 4 deliveries to room: %+v", got.Data.Timeline)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if len(got.Data.Suspects) != 1 || got.Data.Suspects[0].Change.Title != "pg 17 upgrade" || !slices.Equal(got.Data.Suspects[0].Touches, []string{"db"}) {
				t.Errorf("suspects = %+v", got.Data.Suspects)
			}
		})
	}
}

// TestFlashAlertOpensIncident: an alert that opens and recovers before
// the incident process looks still opens an incident, which resolves
// after incidents.resolve_after. On each database.
func TestFlashAlertOpensIncident(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, driver)+`
services:
  - {id: db, name: Database}
incidents:
  resolve_after: 1s
monitors:
  - id: site
    service: db
    type: http
    interval: 1s
    http: {url: `+target.URL+`}
`)
			r := start(t, path)
			st := r.app.Store()
			ctx := t.Context()
			at := time.Now()
			// Down and up again in two flushes, quicker than the
			// incident process polls.
			for _, down := range []bool{true, false} {
				if err := st.SaveBatch(ctx, store.Batch{Alerts: []store.AlertChange{{GroupKey: "db", MonitorID: "db-port", ServiceID: "db", Down: down,
					Time: at, Reason: "connection refused", UpdateEvery: time.Minute}}}); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				list, err := st.Incidents(ctx, "", store.Page{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				if len(list) == 1 && list[0].State == store.IncidentResolved {
					if list[0].Title != "db is failing" || len(list[0].Alerts) != 1 {
						t.Errorf("incident = %+v", list[0])
					}
					break
				}
				if len(list) > 1 || time.Now().After(deadline) {
					t.Fatalf("want one resolved incident of the flash alert; have %+v", list)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
