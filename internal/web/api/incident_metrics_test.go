package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestIncidentMetricsAPI measures three incidents and reads the figures
// back overall, per service, per week and for one service, and refuses a
// bad window and an unknown service.
func TestIncidentMetricsAPI(t *testing.T) {
	e := webtest.New(t, nil)
	c := e.Setup()
	tok := webtest.Bearer(e.Token(c, "reports"))
	now := e.Clock.Now()
	day, m := 24*time.Hour, time.Minute
	webtest.MeasuredIncident(t, e.Store, now.Add(-2*day), store.ReportedByMonitor, 1*m, 4*m, 30*m, "shop")
	webtest.MeasuredIncident(t, e.Store, now.Add(-3*day), store.ReportedByCustomer, 30*m, 40*m, 0, "shop", "db")
	webtest.MeasuredIncident(t, e.Store, now.Add(-40*day), store.ReportedByStaff, 5*m, 0, 0, "db")
	webtest.MeasuredIncident(t, e.Store, now.Add(-100*day), store.ReportedByMonitor, 1*m, 2*m, 3*m, "shop")

	get := func(query string) (int, api.IncidentMetrics, string) {
		t.Helper()
		r := e.Do(e.Client(), "GET", "/api/v1/incidents/metrics"+query, nil, tok)
		var out api.One[api.IncidentMetrics]
		if r.Status == http.StatusOK {
			if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
				t.Fatalf("%v in %s", err, r.Body)
			}
		}
		return r.Status, out.Data, r.Body
	}
	status, v, body := get("")
	if status != http.StatusOK || v.Window != "90d" || !v.To.Equal(now) || !v.From.Equal(now.Add(-90*day)) {
		t.Fatalf("default window: %d %s", status, body)
	}
	o := v.Overall
	if o.Count != 3 || o.ReportedBy["monitor"] != 1 || o.ReportedBy["customer"] != 1 || o.ReportedBy["staff"] != 1 ||
		o.TimeToDetect != (api.Quantiles{N: 3, MedianSeconds: 300, P90Seconds: 1500}) ||
		o.TimeToAcknowledge != (api.Quantiles{N: 2, MedianSeconds: 1320, P90Seconds: 2184}) ||
		o.TimeToResolve != (api.Quantiles{N: 1, MedianSeconds: 1800, P90Seconds: 1800}) {
		t.Errorf("overall over 90d: %+v", o)
	}
	if len(v.Services) != 2 || v.Services[0].Service != "db" || v.Services[0].Count != 2 || v.Services[1].Service != "shop" || v.Services[1].Count != 2 {
		t.Errorf("services: %+v", v.Services)
	}
	if len(v.Weeks) != 12 || v.Weeks[11].Count != 2 || v.Weeks[11].Start.Weekday() != time.Monday {
		t.Errorf("weeks: %+v", v.Weeks)
	}
	if sh := v.Services[1].Share; sh["monitor"] != 0.5 || sh["customer"] != 0.5 || sh["staff"] != 0 {
		t.Errorf("shares of shop: %v", sh)
	}

	status, v, body = get("?window=30d&service=shop")
	if status != http.StatusOK || v.Window != "30d" || v.Service != "shop" || v.Overall.Count != 2 || len(v.Services) != 1 ||
		v.Overall.TimeToDetect != (api.Quantiles{N: 2, MedianSeconds: 930, P90Seconds: 1626}) {
		t.Errorf("shop over 30d: %d %s", status, body)
	}
	// db is not configured, but incidents name it.
	if status, v, body = get("?service=db&window=365d"); status != http.StatusOK || v.Overall.Count != 2 || v.Overall.ReportedBy["staff"] != 1 {
		t.Errorf("db over 365d: %d %s", status, body)
	}
	for query, want := range map[string]string{
		"?window=90":       `window \"90\" is not a number of days`,
		"?window=0d":       `window \"0d\" is not a number of days`,
		"?window=9999999d": `1d to 3660d`,
		"?service=nowhere": `there is no service \"nowhere\"`,
	} {
		r := e.Do(e.Client(), "GET", "/api/v1/incidents/metrics"+query, nil, tok)
		wantStatus := http.StatusBadRequest
		if strings.Contains(query, "service") {
			wantStatus = http.StatusNotFound
		}
		if r.Status != wantStatus || !strings.Contains(r.Body, want) {
			t.Errorf("%s = %d %s, want %d with %s", query, r.Status, r.Body, wantStatus, want)
		}
	}
	if r := e.Do(e.Client(), "GET", "/api/v1/incidents/metrics", nil, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("without a token: %d", r.Status)
	}
}
