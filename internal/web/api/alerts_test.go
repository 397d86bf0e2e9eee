package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestAlertsAPI(t *testing.T) {
	e := webtest.New(t, nil)
	c := e.Setup()
	tok := webtest.Bearer(e.Token(c, "ops-script"))
	now := e.Clock.Now()
	if err := e.Store.SaveBatch(t.Context(), store.Batch{Alerts: []store.AlertChange{
		{GroupKey: "shop", ServiceID: "shop", PolicyID: "support", MonitorID: "api", Down: true, Time: now, Reason: "503", FirstStep: now},
		{GroupKey: "shop", ServiceID: "shop", MonitorID: "web", Down: true, Time: now, Reason: "timeout"},
		{GroupKey: "monitor:lone", MonitorID: "lone", Down: true, Time: now, Reason: "refused"},
	}}); err != nil {
		t.Fatal(err)
	}
	shop, err := e.Store.ActiveAlert(t.Context(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("/api/v1/alerts/%d", shop.ID)
	decode := func(r webtest.Response) api.Alert {
		t.Helper()
		var out api.One[api.Alert]
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
			t.Fatalf("%v in %s", err, r.Body)
		}
		return out.Data
	}
	post := func(path, body string) webtest.Response {
		hdr := map[string]string{"Content-Type": "application/json"}
		for k, v := range tok {
			hdr[k] = v
		}
		var rd *strings.Reader
		if body != "" {
			rd = strings.NewReader(body)
			return e.Do(e.Client(), "POST", path, rd, hdr)
		}
		return e.Do(e.Client(), "POST", path, nil, hdr)
	}

	r := e.Do(e.Client(), "GET", "/api/v1/alerts?state=active&limit=1", nil, tok)
	var list api.List[api.Alert]
	if err := json.Unmarshal([]byte(r.Body), &list); err != nil || r.Status != http.StatusOK {
		t.Fatalf("GET /alerts = %d %s", r.Status, r.Body)
	}
	if len(list.Data) != 1 || list.Next == nil {
		t.Errorf("first page = %+v, want one alert and a cursor", list)
	}
	if r := e.Do(e.Client(), "GET", "/api/v1/alerts?state=sleeping", nil, tok); r.Status != http.StatusBadRequest {
		t.Errorf("unknown state = %d %s", r.Status, r.Body)
	}
	a := decode(e.Do(e.Client(), "GET", base, nil, tok))
	if a.State != "open" || len(a.Monitors) != 2 || len(a.Actions) != 2 || a.Actions[0].Kind != "opened" || a.PolicyID != "support" {
		t.Errorf("GET alert = %+v", a)
	}

	e.Clock.Add(time.Minute)
	r = post(base+"/ack", "")
	a = decode(r)
	if r.Status != http.StatusOK || a.State != "acknowledged" || a.AcknowledgedBy != "user:admin" || a.AcknowledgedAt == nil || !a.AcknowledgedAt.Equal(e.Clock.Now()) {
		t.Errorf("ack = %d %s", r.Status, r.Body)
	}
	if r := post(base+"/ack", ""); r.Status != http.StatusConflict || !strings.Contains(r.Body, "acknowledged already") {
		t.Errorf("second ack = %d %s", r.Status, r.Body)
	}
	if a := decode(post(base+"/unack", "")); a.State != "open" || a.AcknowledgedAt != nil {
		t.Errorf("unack = %+v", a)
	}
	for _, bad := range []string{`{}`, `{"for":"30m","until":"2026-03-01T13:00:00Z"}`, `{"for":"-5m"}`, `{"until":"2020-01-01T00:00:00Z"}`, `{"for":"soon"}`, `{"minutes":5}`} {
		if r := post(base+"/snooze", bad); r.Status != http.StatusBadRequest {
			t.Errorf("snooze %s = %d %s", bad, r.Status, r.Body)
		}
	}
	a = decode(post(base+"/snooze", `{"for":"30m"}`))
	if a.State != "acknowledged" || a.SnoozedUntil == nil || !a.SnoozedUntil.Equal(e.Clock.Now().Add(30*time.Minute)) {
		t.Errorf("snooze = %+v", a)
	}
	a = decode(post(base+"/resolve", ""))
	if a.State != "resolved" || a.ResolvedBy != "user:admin" {
		t.Errorf("resolve = %+v", a)
	}
	kinds := []string{}
	for _, x := range decode(e.Do(e.Client(), "GET", base, nil, tok)).Actions {
		kinds = append(kinds, x.Kind+" by "+x.Who)
	}
	if got := strings.Join(kinds, ", "); got != "opened by system, joined by system, acknowledged by user:admin, unacknowledged by user:admin, snoozed by user:admin, resolved by user:admin" {
		t.Errorf("log = %s", got)
	}
	for _, p := range []string{"/api/v1/alerts/999", "/api/v1/alerts/abc", "/api/v1/alerts/-1"} {
		if r := e.Do(e.Client(), "GET", p, nil, tok); r.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d", p, r.Status)
		}
	}
	if r := post("/api/v1/alerts/999/ack", ""); r.Status != http.StatusNotFound {
		t.Errorf("ack of no alert = %d", r.Status)
	}
	if r := e.Do(e.Client(), "GET", "/api/v1/alerts", nil, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("GET /alerts without a token = %d", r.Status)
	}
}
