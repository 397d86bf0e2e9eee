package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestAlertmanagerEndToEnd: Alertmanager's webhook posts a group of
// firing alerts (written from its documented payload); the one labelled
// with a service pages that service's team room through its escalation
// policy, opens an incident and carries its summary as the reason; the one
// without the label is refused by name while the others are taken; the
// same notification again changes nothing; the resolved notification
// resolves the alert and tells the room. On each database.
func TestAlertmanagerEndToEnd(t *testing.T) {
	firing, err := os.ReadFile(filepath.Join("..", "alertmanager", "testdata", "firing.json"))
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := os.ReadFile(filepath.Join("..", "alertmanager", "testdata", "resolved.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			room := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, driver)+`
channels:
  - id: shop-room
    type: webhook
    webhook: {url: `+room.URL+`}
teams:
  - {id: shop-team, channels: [shop-room]}
escalation_policies:
  - id: shop-oncall
    steps:
      - {notify: ["team:shop-team"]}
services:
  - {id: shop, owners: [shop-team], escalation_policy: shop-oncall}
  - {id: warehouse}
`)
			r := runApp(t, Options{ConfigPath: path, WatchInterval: -1})
			st := r.app.Store()
			token, _ := signIn(t, st)
			post := func(body []byte) (int, map[string]any) {
				t.Helper()
				req, _ := http.NewRequest(http.MethodPost, r.url+"/api/v1/alertmanager", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var out map[string]any
				b, _ := io.ReadAll(res.Body)
				if err := json.Unmarshal(b, &out); err != nil {
					t.Fatalf("answer %d is not JSON: %s", res.StatusCode, b)
				}
				return res.StatusCode, out
			}

			code, ans := post(firing)
			msg, _ := ans["error"].(map[string]any)["message"].(string)
			if code != http.StatusUnprocessableEntity || ans["accepted"] != float64(2) || ans["refused"] != float64(1) ||
				!strings.Contains(msg, `alert 1 (a1b2c3d4e5f60718): no "service" label`) {
				t.Fatalf("firing: %d %v", code, ans)
			}
			page := room.WaitFor(t, 20*time.Second, func(d testkit.Delivery) bool { return d.Event["event"] == notify.EventAlertOpened })
			if page.Event["service_id"] != "shop" || page.Event["recipient"] != "team:shop-team" ||
				page.Event["monitor_id"] != "alertmanager:3f2c1a9b8d7e6f50" ||
				page.Event["reason"] != "CheckoutErrors: 5xx above 5% on web-1 — The checkout answers 502 to 7% of requests." {
				t.Errorf("the room's page = %v", page.Event)
			}
			id := int64(page.Event["alert_id"].(float64))
			a, err := st.ActiveAlert(t.Context(), "alertmanager:3f2c1a9b8d7e6f50")
			if err != nil || a.ID != id || a.PolicyID != "shop-oncall" {
				t.Fatalf("the shop's paged alert: %+v, %v (paged %d)", a, err, id)
			}
			// The warehouse has no policy: its alert is open, nobody is paged.
			if w, err := st.ActiveAlert(t.Context(), "alertmanager:0badc0ffee000001"); err != nil || w.ServiceID != "warehouse" || w.PolicyID != "" {
				t.Errorf("the warehouse's alert: %+v, %v", w, err)
			}
			// Like a failing monitor's alert, it opens an incident.
			waitUntil(t, "an incident for the alert", func() bool {
				in, err := st.IncidentOfAlert(t.Context(), id)
				return err == nil && len(in.Services) == 1 && in.Services[0] == "shop"
			})

			// Alertmanager repeats itself: nothing changes.
			actions := len(a.Actions)
			if code, _ := post(firing); code != http.StatusUnprocessableEntity {
				t.Errorf("firing again: %d", code)
			}
			again, err := st.Alert(t.Context(), id)
			if err != nil || again.State != store.AlertOpen || len(again.Actions) < actions {
				t.Fatalf("after the repetition: %+v, %v", again, err)
			}
			for _, x := range again.Actions {
				if x.Kind == store.ActionJoined {
					t.Errorf("the repetition joined the alert again: %+v", x)
				}
			}
			if all, _ := st.Alerts(t.Context(), "active", store.Page{}); len(all) != 2 {
				t.Errorf("%d active alerts after the repetition, want 2", len(all))
			}

			code, ans = post(resolved)
			if code != http.StatusOK || ans["accepted"] != float64(1) || ans["refused"] != float64(0) {
				t.Fatalf("resolved: %d %v", code, ans)
			}
			room.WaitFor(t, 20*time.Second, func(d testkit.Delivery) bool {
				return d.Event["event"] == notify.EventAlertResolved && d.Event["alert_id"] == float64(id)
			})
			if done, _ := st.Alert(t.Context(), id); done.State != store.AlertResolved || done.ResolvedBy != "system" ||
				!done.ResolvedAt.Equal(time.Date(2026, 3, 2, 10, 20, 0, 0, time.UTC)) {
				t.Errorf("after resolved: %s by %q at %v", done.State, done.ResolvedBy, done.ResolvedAt)
			}
		})
	}
}

// TestAlertmanagerRefusals: what is not an Alertmanager payload, or is too
// large, or comes without a token, is refused with its reason, and nothing
// is stored.
func TestAlertmanagerRefusals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, "server:\n  listen: 127.0.0.1:0\n"+storageYAML(t, "sqlite")+"services:\n  - {id: shop}\n")
	r := runApp(t, Options{ConfigPath: path, WatchInterval: -1})
	token, _ := signIn(t, r.app.Store())
	huge := `{"version":"4","alerts":[{"status":"firing","labels":{"service":"shop","x":"` + strings.Repeat("x", 5<<20) + `"}}]}`
	for _, tc := range []struct {
		name, body, auth string
		code             int
		msg              string
	}{
		{"no token", `{"version":"4","alerts":[]}`, "", http.StatusUnauthorized, "Bearer"},
		{"not JSON", `alerts!`, token, http.StatusBadRequest, "not an Alertmanager webhook payload"},
		{"old version", `{"version":"3","alerts":[]}`, token, http.StatusBadRequest, `version \"3\" is not supported`},
		{"too large", huge, token, http.StatusRequestEntityTooLarge, ""},
		{"unknown service", `{"version":"4","alerts":[{"status":"firing","labels":{"service":"nope"},"fingerprint":"01"}]}`, token,
			http.StatusUnprocessableEntity, `alert 0 (01): unknown service \"nope\" in label \"service\"`},
	} {
		req, _ := http.NewRequest(http.MethodPost, r.url+"/api/v1/alertmanager", strings.NewReader(tc.body))
		if tc.auth != "" {
			req.Header.Set("Authorization", "Bearer "+tc.auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.code || !strings.Contains(string(b), tc.msg) {
			t.Errorf("%s: %d %.300s; want %d with %q", tc.name, res.StatusCode, b, tc.code, tc.msg)
		}
	}
	if all, _ := r.app.Store().Alerts(context.Background(), "", store.Page{}); len(all) != 0 {
		t.Errorf("refused payloads stored %d alerts", len(all))
	}
}
