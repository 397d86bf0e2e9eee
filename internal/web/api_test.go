package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/api"
)

func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	anon := e.client()

	r := e.get(anon, "/api/v1/monitors")
	if r.status != http.StatusUnauthorized || apiError(t, r).Code != "unauthorized" {
		t.Fatalf("anonymous API call: %d %s", r.status, r.body)
	}
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	for _, h := range []string{"Bearer tocsin_nonsense", "Basic YWRtaW46eA==", "Bearer"} {
		r := e.do(anon, "GET", "/api/v1/monitors", nil, map[string]string{"Authorization": h})
		if r.status != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", h, r.status)
		}
	}
	// A session cookie works for the API too.
	if r := e.get(c, "/api/v1/monitors"); r.status != 200 {
		t.Fatalf("API with a session: %d %s", r.status, r.body)
	}
	tok := e.token(c, "ci")
	if !strings.HasPrefix(tok, tokenPrefix) {
		t.Fatalf("token %q lacks the prefix", tok)
	}
	if r := e.do(anon, "GET", "/api/v1/monitors", nil, bearer(tok)); r.status != 200 {
		t.Fatalf("API with a bearer token: %d %s", r.status, r.body)
	}
	// Listing shows the token's prefix and last use, never the secret.
	r = e.do(anon, "GET", "/api/v1/tokens", nil, bearer(tok))
	var toks api.List[api.Token]
	if err := json.Unmarshal([]byte(r.body), &toks); err != nil || len(toks.Data) != 1 {
		t.Fatalf("token list: %s", r.body)
	}
	got := toks.Data[0]
	if got.Token != "" || got.Name != "ci" || !strings.HasPrefix(tok, got.Prefix) || got.LastUsedAt == nil {
		t.Errorf("listed token = %+v", got)
	}
	if strings.Contains(r.body, tok) {
		t.Error("the token list leaks the secret")
	}
	// Tokens are stored hashed.
	if _, err := e.store.APITokenByHash(context.Background(), hashSecret(tok)); err != nil {
		t.Errorf("token not found by its hash: %v", err)
	}
	r = e.do(anon, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", got.ID), nil, bearer(tok))
	if r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := e.do(anon, "GET", "/api/v1/monitors", nil, bearer(tok)); r.status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", r.status)
	}
}

func TestAPIMonitors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	now := e.clock.Now()
	last := probe.Result{MonitorID: "api", Time: now.Add(-time.Minute), Duration: 1500 * time.Microsecond, Status: probe.Critical, Reason: "GET https://api.example/health: 503, expected 200"}
	e.rt.views[1].LastResult = &last
	e.rt.views[1].State.Since = now.Add(-time.Hour)
	saveResults(t, e, "api", 4, now.Add(-time.Hour), func(i int) probe.Status {
		if i%2 == 0 {
			return probe.OK
		}
		return probe.Critical
	})

	r := e.get(c, "/api/v1/monitors/api")
	var one struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.body), &one); err != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	d := one.Data
	st := d["state"].(map[string]any)
	lr := d["last_result"].(map[string]any)
	if d["id"] != "api" || st["status"] != "down" || d["interval_ms"] != 30000.0 || d["uptime_24h"] != 0.5 ||
		lr["duration_ms"] != 1.5 || lr["status"] != "CRITICAL" || st["since"] != "2026-03-01T11:00:00Z" {
		t.Errorf("monitor = %s", r.body)
	}
	r = e.get(c, "/api/v1/monitors")
	var all api.List[api.Monitor]
	if err := json.Unmarshal([]byte(r.body), &all); err != nil || len(all.Data) != 3 || all.Next != nil {
		t.Fatalf("monitors: %s", r.body)
	}
	if all.Data[1].Uptime24h == nil || *all.Data[1].Uptime24h != 0.5 || all.Data[0].Uptime24h != nil {
		t.Errorf("uptime_24h in the list: %v, %v", all.Data[0].Uptime24h, all.Data[1].Uptime24h)
	}
	// Monitors page by id in config order.
	var ids []string
	cursor := ""
	for range 5 {
		r := e.get(c, "/api/v1/monitors?limit=2"+cursor)
		var page api.List[api.Monitor]
		if err := json.Unmarshal([]byte(r.body), &page); err != nil {
			t.Fatal(r.body)
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
	r = e.do(c, "POST", "/api/v1/monitors/web/pause", nil, nil)
	if r.status != 200 || !strings.Contains(r.body, `"status": "paused"`) || e.rt.pausedStatus("web") != monitor.StatusPaused {
		t.Fatalf("pause: %d %s", r.status, r.body)
	}
	r = e.do(c, "POST", "/api/v1/monitors/web/resume", nil, nil)
	if r.status != 200 || e.rt.pausedStatus("web") != monitor.StatusUp {
		t.Fatalf("resume: %d %s", r.status, r.body)
	}
}

// saveResults stores n results of a monitor, a minute apart from start.
func saveResults(t *testing.T, e *env, id string, n int, start time.Time, status func(int) probe.Status) {
	t.Helper()
	var b store.Batch
	for i := range n {
		b.Results = append(b.Results, probe.Result{MonitorID: id, Time: start.Add(time.Duration(i) * time.Minute),
			Duration: time.Duration(i+1) * time.Millisecond, Status: status(i), Reason: fmt.Sprintf("result %d", i)})
	}
	if err := e.store.SaveBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func TestAPIPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	now := e.clock.Now()
	saveResults(t, e, "web", 7, now.Add(-time.Hour), func(int) probe.Status { return probe.Warning })
	var reasons []string
	cursor := ""
	pages := 0
	for ; pages < 10; pages++ {
		r := e.get(c, "/api/v1/monitors/web/results?limit=3"+cursor)
		var page api.List[api.Result]
		if err := json.Unmarshal([]byte(r.body), &page); err != nil || r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
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
	if err := e.store.SaveBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	r := e.get(c, "/api/v1/monitors/web/transitions?limit=2")
	var tr api.List[api.Transition]
	if err := json.Unmarshal([]byte(r.body), &tr); err != nil || len(tr.Data) != 2 || tr.Next == nil || tr.Data[0].Reason != "t2" {
		t.Fatalf("transitions: %s", r.body)
	}
	r = e.get(c, "/api/v1/monitors/web/transitions?limit=2&before="+*tr.Next)
	if err := json.Unmarshal([]byte(r.body), &tr); err != nil || len(tr.Data) != 1 || tr.Next != nil || tr.Data[0].Reason != "t0" {
		t.Fatalf("transitions page 2: %s", r.body)
	}
	r = e.get(c, "/api/v1/notifications?limit=2")
	var ms api.List[api.Message]
	if err := json.Unmarshal([]byte(r.body), &ms); err != nil || len(ms.Data) != 2 || ms.Next == nil || ms.Data[0].ID != "n2" {
		t.Fatalf("notifications: %s", r.body)
	}
	r = e.get(c, "/api/v1/notifications?limit=2&before="+*ms.Next)
	if err := json.Unmarshal([]byte(r.body), &ms); err != nil || len(ms.Data) != 1 || ms.Data[0].ID != "n0" {
		t.Fatalf("notifications page 2: %s", r.body)
	}
	if err := e.store.RecordAttempt(context.Background(), notify.Attempt{MessageID: "n2", Channel: "ops", Time: now, Duration: 20 * time.Millisecond, Error: "connection refused", Outcome: "retry"}, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	r = e.get(c, "/api/v1/monitors/web/notifications")
	var as api.List[api.Attempt]
	if err := json.Unmarshal([]byte(r.body), &as); err != nil || len(as.Data) != 1 || as.Data[0].Error != "connection refused" || as.Data[0].DurationMS != 20 {
		t.Fatalf("attempts: %s", r.body)
	}
	// The UI pages show the same data.
	if r := e.get(c, "/notifications"); !strings.Contains(r.body, "connection refused") || !strings.Contains(r.body, "monitor.down") {
		t.Errorf("notifications page lacks the attempt")
	}
	if r := e.get(c, "/monitors/web"); !strings.Contains(r.body, "connection refused") || !strings.Contains(r.body, "result 6") {
		t.Errorf("monitor page lacks results or attempts")
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	tok := e.token(c, "ci")
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
		r := e.do(e.client(), tc.method, tc.path, strings.NewReader(tc.body), hdr)
		if r.status != tc.status {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, r.status, r.body[:min(len(r.body), 200)], tc.status)
			continue
		}
		if got := apiError(t, r); got.Code != tc.code || got.Message == "" {
			t.Errorf("%s %s: error %+v, want code %s", tc.method, tc.path, got, tc.code)
		}
	}
}

func TestErrorStatusTable(t *testing.T) {
	for code, status := range statusByCode {
		if got, _ := errorStatus(errorf(code)); got != status {
			t.Errorf("%s → %d, want %d", code, got, status)
		}
	}
	if got, code := errorStatus(fmt.Errorf("disk on fire")); got != 500 || code != "internal" {
		t.Errorf("plain error → %d %s", got, code)
	}
}

func TestAPIStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	e.rt.status.Errors = []string{"tocsin.yaml:12: monitor \"web\": unknown key \"intervall\""}
	e.rt.status.RejectedAt = e.clock.Now()
	r := e.get(c, "/api/v1/status")
	var st api.One[api.Status]
	if err := json.Unmarshal([]byte(r.body), &st); err != nil {
		t.Fatal(r.body)
	}
	if st.Data.Version != "test" || st.Data.Config.Path != "/etc/tocsin.yaml" || len(st.Data.Config.Errors) != 1 || st.Data.Config.RejectedAt == nil {
		t.Errorf("status = %s", r.body)
	}
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.get(e.client(), "/api/v1/openapi.json")
	var spec struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.body), &spec); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1", spec.OpenAPI)
	}
	pat := regexp.MustCompile(`^([A-Z]+) (/api/v1/\S+)$`)
	n := 0
	for _, rt := range e.srv.routes {
		m := pat.FindStringSubmatch(rt.pattern)
		if m == nil {
			continue
		}
		n++
		op, ok := spec.Paths[m[2]][strings.ToLower(m[1])]
		if !ok {
			t.Errorf("route %q is not described in openapi.json", rt.pattern)
			continue
		}
		if _, ok := op["responses"]; !ok {
			t.Errorf("route %q has no responses in openapi.json", rt.pattern)
		}
	}
	if n < 13 {
		t.Errorf("only %d API routes found; the route table changed shape", n)
	}
	// And nothing described is missing from the server.
	for p, ops := range spec.Paths {
		for method := range ops {
			found := false
			for _, rt := range e.srv.routes {
				if rt.pattern == strings.ToUpper(method)+" "+p {
					found = true
				}
			}
			if !found {
				t.Errorf("openapi.json describes %s %s, which the server does not serve", method, p)
			}
		}
	}
}
