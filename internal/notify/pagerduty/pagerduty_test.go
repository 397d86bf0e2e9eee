package pagerduty_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/pagerduty"
)

const key = "0123456789abcdef0123456789abcdef"

// eventsAPI is a stand-in for the Events API v2 that checks each body the
// way the documentation describes it and answers as the API does: 202 and
// {"status":"success",...}, or 400 and {"status":"invalid event",...}.
type eventsAPI struct {
	mu     sync.Mutex
	bodies []map[string]any
	status int // forced answer, 0 for the normal one
}

func (a *eventsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.status != 0 {
		w.WriteHeader(a.status)
		io.WriteString(w, `{"status":"throttled","message":"Requests for this service are arriving too quickly."}`)
		return
	}
	var body map[string]any
	data, _ := io.ReadAll(r.Body)
	problem := ""
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue":
		problem = "wrong endpoint " + r.Method + " " + r.URL.Path
	case r.Header.Get("Content-Type") != "application/json":
		problem = "content type " + r.Header.Get("Content-Type")
	case json.Unmarshal(data, &body) != nil:
		problem = "body is not JSON"
	case body["routing_key"] != key:
		problem = "routing_key missing or wrong"
	case body["event_action"] != "trigger" && body["event_action"] != "acknowledge" && body["event_action"] != "resolve":
		problem = "event_action must be trigger, acknowledge or resolve"
	case body["dedup_key"] == nil || len(body["dedup_key"].(string)) > 255:
		problem = "dedup_key missing or too long"
	case body["event_action"] == "trigger":
		p, _ := body["payload"].(map[string]any)
		sev, _ := p["severity"].(string)
		summary, _ := p["summary"].(string)
		switch {
		case p == nil:
			problem = "payload is required to trigger"
		case summary == "" || len(summary) > 1024:
			problem = "payload.summary must be 1 to 1024 characters"
		case p["source"] == nil || p["source"] == "":
			problem = "payload.source is required"
		case sev != "critical" && sev != "error" && sev != "warning" && sev != "info":
			problem = "payload.severity is invalid"
		}
		if ts, ok := p["timestamp"].(string); ok {
			if _, err := time.Parse(time.RFC3339, ts); err != nil {
				problem = "payload.timestamp is not ISO 8601"
			}
		}
	}
	if problem != "" {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": []string{problem}})
		return
	}
	a.bodies = append(a.bodies, body)
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]any{"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]})
}

func notifier(t *testing.T, api http.Handler) *pagerduty.Notifier {
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	b := &pagerduty.Block{RoutingKey: key, URL: srv.URL + "/v2/enqueue"}
	b.Defaults(func(string) bool { return false })
	if fes := b.Validate(); len(fes) > 0 {
		t.Fatal(fes)
	}
	return pagerduty.New(b, srv.Client())
}

// TestLifecycle: down triggers, up resolves, under the same dedup key;
// warnings are not sent; the trigger carries the summary, source,
// severity, time and link.
func TestLifecycle(t *testing.T) {
	api := &eventsAPI{}
	n := notifier(t, api)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	down := notify.Event{ID: "a", Event: notify.EventMonitorDown, MonitorID: "checkout", MonitorName: "Checkout", ServiceID: "shop",
		Status: "down", Reason: "503", Time: at, URL: "https://tocsin.example.com/monitors/checkout"}
	up := down
	up.ID, up.Event, up.Status = "b", notify.EventMonitorUp, "up"
	warn := down
	warn.Event = notify.EventMonitorWarning
	for _, e := range []notify.Event{down, warn, up} {
		if retry, err := n.Notify(context.Background(), e); err != nil {
			t.Fatalf("%s: %v, %v", e.Event, retry, err)
		}
	}
	if len(api.bodies) != 2 {
		t.Fatalf("sent %d events, want 2 (warning not sent): %v", len(api.bodies), api.bodies)
	}
	tr, res := api.bodies[0], api.bodies[1]
	if tr["event_action"] != "trigger" || res["event_action"] != "resolve" {
		t.Errorf("actions %v, %v", tr["event_action"], res["event_action"])
	}
	if tr["dedup_key"] != "tocsin-monitor-checkout" || res["dedup_key"] != tr["dedup_key"] {
		t.Errorf("dedup keys %v, %v", tr["dedup_key"], res["dedup_key"])
	}
	p := tr["payload"].(map[string]any)
	if p["summary"] != "DOWN: Checkout (checkout) — 503" || p["source"] != "shop" || p["severity"] != "critical" ||
		p["timestamp"] != "2026-01-02T03:04:05Z" || p["component"] != "checkout" {
		t.Errorf("payload = %v", p)
	}
	if links, _ := tr["links"].([]any); len(links) != 1 {
		t.Errorf("links = %v", tr["links"])
	}
	if _, ok := res["payload"]; ok {
		t.Errorf("resolve carries a payload: %v", res)
	}
}

// TestAlertEvents: the alert events map to trigger, acknowledge and
// resolve, keyed by the alert id when the event carries one.
func TestAlertEvents(t *testing.T) {
	for ev, want := range map[string]string{
		"alert.opened": "trigger", "alert.escalated": "trigger", "alert.acknowledged": "acknowledge",
		"alert.resolved": "resolve", notify.EventMonitorUp: "resolve", notify.EventMonitorDown: "trigger",
		notify.EventMonitorFlapping: "", notify.EventTest: "trigger",
	} {
		if got := pagerduty.Action(notify.Event{Event: ev}); got != want {
			t.Errorf("Action(%s) = %q, want %q", ev, got, want)
		}
	}
	// A test notification makes an info alert of its own.
	api := &eventsAPI{}
	n := notifier(t, api)
	if _, err := n.Notify(context.Background(), notify.Event{ID: "t1", Event: notify.EventTest, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if p := api.bodies[0]["payload"].(map[string]any); p["severity"] != "info" || api.bodies[0]["dedup_key"] != "tocsin-test-t1" {
		t.Errorf("test event = %v", api.bodies[0])
	}
}

// TestRefusals: a 4xx is final and says why; a 429 or 5xx is retried; an
// unreachable API is retried.
func TestRefusals(t *testing.T) {
	b := &pagerduty.Block{RoutingKey: "fffffffffffffffffffffffffffffff0", URL: "http://x"}
	api := &eventsAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	b.URL = srv.URL + "/v2/enqueue"
	b.Defaults(func(string) bool { return false })
	n := pagerduty.New(b, srv.Client())
	retry, err := n.Notify(context.Background(), notify.Event{Event: notify.EventMonitorDown, MonitorID: "m", Time: time.Now()})
	if err == nil || retry || !strings.Contains(err.Error(), "HTTP 400: Event object is invalid; routing_key missing or wrong") {
		t.Errorf("wrong key: %v, %v", retry, err)
	}
	for _, code := range []int{429, 500, 503} {
		api.status = code
		n := notifier(t, api)
		if retry, err := n.Notify(context.Background(), notify.Event{Event: notify.EventMonitorDown, MonitorID: "m"}); err == nil || !retry {
			t.Errorf("%d: %v, %v; want a retry", code, retry, err)
		}
	}
	srv.Close()
	if retry, err := n.Notify(context.Background(), notify.Event{Event: notify.EventMonitorDown, MonitorID: "m"}); err == nil || !retry {
		t.Errorf("closed server: %v, %v; want a retry", retry, err)
	}
}

var _ config.ChannelFileBlock = (*pagerduty.Block)(nil)
