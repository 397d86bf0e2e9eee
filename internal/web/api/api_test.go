package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestAPIMonitors(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	now := e.Clock.Now()
	last := probe.Result{MonitorID: "api", Time: now.Add(-time.Minute), Duration: 1500 * time.Microsecond, Status: probe.Critical, Reason: "GET https://api.example/health: 503, expected 200"}
	e.RT.Views[1].LastResult = &last
	e.RT.Views[1].State.Since = now.Add(-time.Hour)
	e.SaveResults("api", 4, now.Add(-time.Hour), func(i int) probe.Status {
		if i%2 == 0 {
			return probe.OK
		}
		return probe.Critical
	})

	r := e.Get(c, "/api/v1/monitors/api")
	var one struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.Body), &one); err != nil {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	d := one.Data
	st := d["state"].(map[string]any)
	lr := d["last_result"].(map[string]any)
	if d["id"] != "api" || st["status"] != "down" || d["interval_ms"] != 30000.0 || d["uptime_24h"] != 0.5 ||
		lr["duration_ms"] != 1.5 || lr["status"] != "CRITICAL" || st["since"] != "2026-03-01T11:00:00Z" {
		t.Errorf("monitor = %s", r.Body)
	}
	r = e.Get(c, "/api/v1/monitors")
	var all api.List[api.Monitor]
	if err := json.Unmarshal([]byte(r.Body), &all); err != nil || len(all.Data) != 3 || all.Next != nil {
		t.Fatalf("monitors: %s", r.Body)
	}
	if all.Data[1].Uptime24h == nil || *all.Data[1].Uptime24h != 0.5 || all.Data[0].Uptime24h != nil {
		t.Errorf("uptime_24h in the list: %v, %v", all.Data[0].Uptime24h, all.Data[1].Uptime24h)
	}
	// Monitors page by id in config order.
	var ids []string
	cursor := ""
	for range 5 {
		r := e.Get(c, "/api/v1/monitors?limit=2"+cursor)
		var page api.List[api.Monitor]
		if err := json.Unmarshal([]byte(r.Body), &page); err != nil {
			t.Fatal(r.Body)
		}
		for _, m := range page.Data {
			ids = append(ids, m.ID)
		}
		if page.Next == nil {
			break
		}
		cursor = "&before=" + *page.Next
	}
	if strings.Join(ids, ",") != "web,api,lone" {
		t.Errorf("paged monitors = %v", ids)
	}

	// Pause and resume through the API.
	r = e.Do(c, "POST", "/api/v1/monitors/web/pause", nil, nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"status": "paused"`) || e.RT.PausedStatus("web") != monitor.StatusPaused {
		t.Fatalf("pause: %d %s", r.Status, r.Body)
	}
	r = e.Do(c, "POST", "/api/v1/monitors/web/resume", nil, nil)
	if r.Status != 200 || e.RT.PausedStatus("web") != monitor.StatusUp {
		t.Fatalf("resume: %d %s", r.Status, r.Body)
	}
}

func TestAPIPagination(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	now := e.Clock.Now()
	e.SaveResults("web", 7, now.Add(-time.Hour), func(int) probe.Status { return probe.Warning })
	var reasons []string
	cursor := ""
	pages := 0
	for ; pages < 10; pages++ {
		r := e.Get(c, "/api/v1/monitors/web/results?limit=3"+cursor)
		var page api.List[api.Result]
		if err := json.Unmarshal([]byte(r.Body), &page); err != nil || r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		for _, res := range page.Data {
			reasons = append(reasons, res.Reason)
		}
		if page.Next == nil {
			break
		}
		cursor = "&before=" + *page.Next
	}
	want := "result 6,result 5,result 4,result 3,result 2,result 1,result 0"
	if got := strings.Join(reasons, ","); got != want || pages != 2 {
		t.Errorf("paged results = %s in %d pages, want %s in 3", got, pages+1, want)
	}

	// Transitions and notifications page the same way.
	var b store.Batch
	for i := range 3 {
		tm := now.Add(time.Duration(i-10) * time.Minute)
		b.Transitions = append(b.Transitions, monitor.Transition{MonitorID: "web", From: monitor.StatusUp, To: monitor.StatusDown, Time: tm, Reason: fmt.Sprintf("t%d", i)})
		b.Outbox = append(b.Outbox, notify.OutboxMessage{ID: fmt.Sprintf("n%d", i), Channel: "ops", State: "pending", NextAttempt: tm, CreatedAt: tm,
			Event: notify.Event{ID: fmt.Sprintf("n%d", i), Event: "monitor.down", MonitorID: "web", Status: "down", Time: tm}})
	}
	if err := e.Store.SaveBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	r := e.Get(c, "/api/v1/monitors/web/transitions?limit=2")
	var tr api.List[api.Transition]
	if err := json.Unmarshal([]byte(r.Body), &tr); err != nil || len(tr.Data) != 2 || tr.Next == nil || tr.Data[0].Reason != "t2" {
		t.Fatalf("transitions: %s", r.Body)
	}
	r = e.Get(c, "/api/v1/monitors/web/transitions?limit=2&before="+*tr.Next)
	if err := json.Unmarshal([]byte(r.Body), &tr); err != nil || len(tr.Data) != 1 || tr.Next != nil || tr.Data[0].Reason != "t0" {
		t.Fatalf("transitions page 2: %s", r.Body)
	}
	r = e.Get(c, "/api/v1/notifications?limit=2")
	var ms api.List[api.Message]
	if err := json.Unmarshal([]byte(r.Body), &ms); err != nil || len(ms.Data) != 2 || ms.Next == nil || ms.Data[0].ID != "n2" {
		t.Fatalf("notifications: %s", r.Body)
	}
	r = e.Get(c, "/api/v1/notifications?limit=2&before="+*ms.Next)
	if err := json.Unmarshal([]byte(r.Body), &ms); err != nil || len(ms.Data) != 1 || ms.Data[0].ID != "n0" {
		t.Fatalf("notifications page 2: %s", r.Body)
	}
	if err := e.Store.RecordAttempt(context.Background(), notify.Attempt{MessageID: "n2", Channel: "ops", Time: now, Duration: 20 * time.Millisecond, Error: "connection refused", Outcome: "retry"}, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	r = e.Get(c, "/api/v1/monitors/web/notifications")
	var as api.List[api.Attempt]
	if err := json.Unmarshal([]byte(r.Body), &as); err != nil || len(as.Data) != 1 || as.Data[0].Error != "connection refused" || as.Data[0].DurationMS != 20 {
		t.Fatalf("attempts: %s", r.Body)
	}
	// The UI pages show the same data.
	if r := e.Get(c, "/notifications"); !strings.Contains(r.Body, "connection refused") || !strings.Contains(r.Body, "monitor.down") {
		t.Errorf("notifications page lacks the attempt")
	}
	if r := e.Get(c, "/monitors/web"); !strings.Contains(r.Body, "connection refused") || !strings.Contains(r.Body, "result 6") {
		t.Errorf("monitor page lacks results or attempts")
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	tok := e.Token(c, "ci")
	hdr := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + tok}
	cases := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/api/v1/monitors/nope", "", 404, "not_found"},
		{"GET", "/api/v1/monitors/nope/results", "", 404, "not_found"},
		{"POST", "/api/v1/monitors/nope/pause", "", 404, "not_found"},
		{"GET", "/api/v1/monitors/web/results?limit=0", "", 400, "invalid"},
		{"GET", "/api/v1/monitors/web/results?limit=1001", "", 400, "invalid"},
		{"GET", "/api/v1/monitors/web/results?limit=ten", "", 400, "invalid"},
		{"GET", "/api/v1/monitors/web/results?before=-3", "", 400, "invalid"},
		{"GET", "/api/v1/monitors/web/transitions?before=abc", "", 400, "invalid"},
		{"GET", "/api/v1/monitors?before=ghost", "", 400, "invalid"},
		{"GET", "/api/v1/notifications?before=1.5", "", 400, "invalid"},
		{"POST", "/api/v1/tokens", "{", 400, "invalid"},
		{"POST", "/api/v1/tokens", "", 400, "invalid"},
		{"POST", "/api/v1/tokens", `{"name": 3}`, 400, "invalid"},
		{"POST", "/api/v1/tokens", `{"name": "x", "admin": true}`, 400, "invalid"},
		{"POST", "/api/v1/tokens", `{"name": "x"} {}`, 400, "invalid"},
		{"POST", "/api/v1/tokens", `{"name": ""}`, 400, "invalid"},
		{"POST", "/api/v1/tokens", `{"name": "` + strings.Repeat("x", 2<<20) + `"}`, 413, "too_large"},
		{"DELETE", "/api/v1/tokens/999", "", 404, "not_found"},
		{"DELETE", "/api/v1/tokens/abc", "", 404, "not_found"},
		{"GET", "/api/v1/nothing", "", 404, "not_found"},
		{"GET", "/api/v2/monitors", "", 404, "not_found"},
	}
	for _, tc := range cases {
		r := e.Do(e.Client(), tc.method, tc.path, strings.NewReader(tc.body), hdr)
		if r.Status != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, r.Status, r.Body[:min(len(r.Body), 200)], tc.status)
			continue
		}
		if got := webtest.APIError(t, r); got.Code != tc.code || got.Message == "" {
			t.Errorf("%s %s: error %+v, want code %s", tc.method, tc.path, got, tc.code)
		}
	}
}

func TestAPIStatus(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	e.RT.CfgStatus.Errors = []string{"tocsin.yaml:12: monitor \"web\": unknown key \"intervall\""}
	e.RT.CfgStatus.RejectedAt = e.Clock.Now()
	r := e.Get(c, "/api/v1/status")
	var st api.One[api.Status]
	if err := json.Unmarshal([]byte(r.Body), &st); err != nil {
		t.Fatal(r.Body)
	}
	if st.Data.Version != "test" || st.Data.Config.Path != "/etc/tocsin.yaml" || len(st.Data.Config.Errors) != 1 || st.Data.Config.RejectedAt == nil {
		t.Errorf("status = %s", r.Body)
	}
}

// TestAPIMonitorFilters: the monitor list filters by status, service and
// text, says how many match in total, and refuses a filter it does not
// know.
func TestAPIMonitorFilters(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	for _, tc := range []struct {
		query string
		want  string
		total int
	}{
		{"", "web,api,lone", 3},
		{"?status=down", "api", 1},
		{"?status=pending", "lone", 1},
		{"?status=flapping", "", 0},
		{"?service=shop", "web,api", 2},
		{"?service=shop&limit=1", "web", 2},
		{"?service=shop&limit=1&before=web", "api", 2},
		{"?q=LONE.example", "lone", 1},        // the target, in any case
		{"?q=web%20shop", "web,api", 2},       // the service's name
		{"?q=lone&status=up", "", 0},          // both filters
		{"?q=website&service=shop", "web", 1}, // the name
	} {
		r := e.Get(c, "/api/v1/monitors"+tc.query)
		var page api.MonitorList
		if err := json.Unmarshal([]byte(r.Body), &page); err != nil || r.Status != 200 {
			t.Fatalf("%s: %d %s", tc.query, r.Status, r.Body)
		}
		var ids []string
		for _, m := range page.Data {
			ids = append(ids, m.ID)
		}
		if got := strings.Join(ids, ","); got != tc.want || page.Total != tc.total {
			t.Errorf("%s: %s, total %d; want %s, total %d", tc.query, got, page.Total, tc.want, tc.total)
		}
		if !strings.Contains(r.Body, fmt.Sprintf(`"total": %d`, tc.total)) {
			t.Errorf("%s: no total in %s", tc.query, r.Body)
		}
	}
	for query, want := range map[string]string{
		"?status=sideways":               `status must be one of up, warning, down, pending, paused, flapping, not \"sideways\"`,
		"?service=nope":                  `no service \"nope\" is configured`,
		"?before=nope":                   `no monitor \"nope\" is configured`,
		"?q=" + strings.Repeat("x", 201): "q is longer than 200 characters",
	} {
		r := e.Get(c, "/api/v1/monitors"+query)
		if r.Status != 400 || !strings.Contains(r.Body, want) {
			t.Errorf("%.40s: %d %s, want 400 saying %s", query, r.Status, r.Body, want)
		}
	}
}
