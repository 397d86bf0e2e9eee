package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/alert"
	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/email"
	"github.com/tocsin/tocsin/internal/notify/webhook"
	"github.com/tocsin/tocsin/internal/probe"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

const ownedConfig = `
people:
  - {id: alice, name: Alice Example, email: alice@example.com}
  - {id: bob, name: Bob, email: bob@example.com}
teams:
  - {id: ops, name: Operations, members: [bob]}
channels:
  - {id: hook, type: webhook, webhook: {url: "http://127.0.0.1:9/"}}
services:
  - {id: shop, name: Shop, description: The public shop., owners: [alice, ops], channels: [hook]}
  - {id: bare, channels: [hook]}
monitors:
  - {id: checkout, service: shop, type: tcp, tcp: {address: "127.0.0.1:80"}}
  - {id: plain, service: bare, type: tcp, tcp: {address: "127.0.0.1:81"}}
`

func parse(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(ownedConfig), "x.yaml", probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestNotificationsCarryServiceOwnersAndDescription(t *testing.T) {
	cfg := parse(t)
	tr := monitor.Transition{MonitorID: "checkout", From: monitor.StatusUp, To: monitor.StatusDown, Time: time.Now()}
	a, ok := alert.Raise(cfg, tr, "")
	if !ok || len(a.Channels) != 1 {
		t.Fatalf("raised %v for channels %q, want one channel", ok, a.Channels)
	}
	e := a.Event
	if e.ServiceDescription != "The public shop." {
		t.Errorf("ServiceDescription = %q", e.ServiceDescription)
	}
	want := []catalog.Owner{
		{ID: "alice", Name: "Alice Example", Kind: "person", Email: "alice@example.com"},
		{ID: "ops", Name: "Operations", Kind: "team", Members: []catalog.Owner{{ID: "bob", Name: "Bob", Kind: "person", Email: "bob@example.com"}}},
	}
	if diff := cmp.Diff(want, e.Owners); diff != "" {
		t.Errorf("Owners (-want +got):\n%s", diff)
	}

	tr.MonitorID = "plain"
	if a, ok = alert.Raise(cfg, tr, ""); !ok || len(a.Channels) == 0 {
		t.Fatalf("raised %v for channels %q, want a notification", ok, a.Channels)
	}
	if e := a.Event; e.Owners != nil || e.ServiceDescription != "" {
		t.Errorf("a service without owners or description gave %v, %q", e.Owners, e.ServiceDescription)
	}
}

// TestRecoveryReadsTheSameInEveryChannel runs result sequences through the
// state machine and the alert stage, renders the last notification in
// every channel (the mail subject and body, the webhook payload posted to a
// real server), and checks that a warning that clears reads as a recovery
// just like a down that clears.
func TestRecoveryReadsTheSameInEveryChannel(t *testing.T) {
	cfg := parse(t)
	tests := []struct {
		name      string
		seq       []probe.Status // results one minute apart
		event     string         // of the last notification
		recovered bool
	}{
		{"down clears", []probe.Status{probe.OK, probe.Critical, probe.OK}, notify.EventMonitorUp, true},
		{"warning clears", []probe.Status{probe.OK, probe.Warning, probe.OK}, notify.EventMonitorUp, true},
		{"down clears into a warning", []probe.Status{probe.OK, probe.Critical, probe.Warning}, notify.EventMonitorWarning, true},
		{"up goes down", []probe.Status{probe.OK, probe.Critical}, notify.EventMonitorDown, false},
		{"up turns warning", []probe.Status{probe.OK, probe.Warning}, notify.EventMonitorWarning, false},
		{"warning goes down", []probe.Status{probe.Warning, probe.Critical}, notify.EventMonitorDown, false},
	}
	reasons := map[probe.Status]string{probe.OK: "200 OK", probe.Warning: "200 OK in 2s, warning above 1s", probe.Critical: "503"}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				st   monitor.State
				last []notify.Event
			)
			for i, s := range tt.seq {
				at := start.Add(time.Duration(i) * time.Minute)
				var ts []monitor.Transition
				st, ts = monitor.Evaluate(monitor.Policy{FlapWindow: -1}, st, probe.Result{MonitorID: "checkout", Status: s, Reason: reasons[s], Time: at}, at)
				for _, tr := range ts {
					if a, ok := alert.Raise(cfg, tr, ""); ok {
						for range a.Channels {
							last = append(last, a.Event)
						}
					}
				}
			}
			if len(last) == 0 {
				t.Fatal("no notification")
			}
			e := last[len(last)-1]
			if e.Event != tt.event {
				t.Fatalf("event = %q, want %q", e.Event, tt.event)
			}
			payload := postedReason(t, e)
			texts := map[string]string{
				"reason":          e.Reason,
				"webhook payload": payload,
				"mail subject":    email.Subject(e),
				"mail body":       email.Body(e, nil),
			}
			for where, text := range texts {
				if got := strings.Contains(text, "recovered: "); got != tt.recovered {
					t.Errorf("%s says recovered: %v, want %v:\n%s", where, got, tt.recovered, text)
				}
			}
		})
	}
}

// postedReason sends e through a webhook channel to an in-process receiver
// and returns the reason it received.
func postedReason(t *testing.T, e notify.Event) string {
	t.Helper()
	got := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
	}))
	defer srv.Close()
	if _, err := webhook.New(&config.WebhookConfig{URL: srv.URL}, srv.Client()).Notify(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(<-got, &p); err != nil {
		t.Fatal(err)
	}
	return p.Reason
}
