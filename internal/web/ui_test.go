package web

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/probe"
)

func TestOverview(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	now := e.clock.Now()
	last := probe.Result{MonitorID: "api", Time: now.Add(-12 * time.Second), Status: probe.Critical, Reason: "GET https://api.example/health: 503, expected 200"}
	e.rt.views[1].LastResult = &last
	e.rt.views[1].State.Flapping = true
	saveResults(t, e, "api", 3, now.Add(-30*time.Minute), func(i int) probe.Status {
		if i == 2 {
			return probe.Critical
		}
		return probe.OK
	})

	r := e.get(c, "/")
	if r.status != 200 {
		t.Fatalf("overview: %d", r.status)
	}
	for _, want := range []string{
		`<h2>Web shop</h2>`, `<h2>Other</h2>`, // grouped by service, the rest under Other
		`data-state="down">down</span>`, `flapping</span>`,
		"503, expected 200", "12s ago", `datetime="2026-03-01T11:59:48Z"`,
		"66.66%", // 2 of 3 good; never rounded up
		`class="chart-bad"`, `class="chart-line"`,
		"https://shop.example/", "Showing 1–3 of 3",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Index(r.body, "Web shop") > strings.Index(r.body, "<h2>Other</h2>") {
		t.Error("Other must come after the configured services")
	}
	if strings.Contains(r.body, "reload was rejected") {
		t.Error("banner shown without a rejected reload")
	}

	// Filters.
	r = e.get(c, "/?state=down")
	if !strings.Contains(r.body, "API") || strings.Contains(r.body, "Lonely check") || !strings.Contains(r.body, "Showing 1–1 of 1") {
		t.Errorf("?state=down did not filter")
	}
	r = e.get(c, "/?q=LONE")
	if !strings.Contains(r.body, "Lonely check") || strings.Contains(r.body, "Website") {
		t.Errorf("?q=LONE did not filter")
	}
	if r := e.get(c, "/?state=sideways"); r.status != http.StatusBadRequest {
		t.Errorf("unknown state: %d, want 400", r.status)
	}
	if r := e.get(c, "/?page=0"); r.status != http.StatusBadRequest {
		t.Errorf("page 0: %d, want 400", r.status)
	}

	// A rejected reload is announced with its errors.
	e.rt.mu.Lock()
	e.rt.status.Errors = []string{`tocsin.yaml:7: monitor "web": unknown key "intervall"`}
	e.rt.status.RejectedAt = now
	e.rt.mu.Unlock()
	r = e.get(c, "/")
	if !strings.Contains(r.body, "reload was rejected") || !strings.Contains(r.body, "unknown key &#34;intervall&#34;") {
		t.Errorf("rejected reload banner missing")
	}
}

func TestOverviewEmptyAndDemo(t *testing.T) {
	t.Parallel()
	failing := false
	e := newEnv(t, func(o *Options) {
		o.DemoToggle = func(f bool) { failing = f }
		o.DemoState = func() bool { return failing }
	})
	e.rt.views = nil
	c := e.setup()
	r := e.get(c, "/")
	if !strings.Contains(r.body, "No monitors yet") || !strings.Contains(r.body, "under <code>monitors:</code>") {
		t.Errorf("empty state missing")
	}
	if !strings.Contains(r.body, "Make it fail") {
		t.Fatalf("demo card missing")
	}
	if r := e.postForm(c, "/demo/toggle", nil); r.status != http.StatusSeeOther || !failing {
		t.Fatalf("demo toggle: %d, failing=%v", r.status, failing)
	}
	if r := e.get(c, "/"); !strings.Contains(r.body, "Make it healthy") {
		t.Errorf("demo card does not show the failing state")
	}
}

func TestDemoToggleAbsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	if r := e.get(c, "/"); strings.Contains(r.body, "Demo target") {
		t.Error("demo card shown without a demo target")
	}
	if r := e.postForm(c, "/demo/toggle", nil); r.status != http.StatusNotFound {
		t.Errorf("demo toggle without a target: %d, want 404", r.status)
	}
}

func TestMonitorPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	r := e.get(c, "/monitors/lone")
	if r.status != 200 || !strings.Contains(r.body, "No results yet — the first run comes within 30s") {
		t.Errorf("empty monitor page: %d", r.status)
	}
	if !strings.Contains(r.body, "No state changes yet") || !strings.Contains(r.body, "No notifications sent") {
		t.Errorf("empty monitor page lacks empty states")
	}
	saveResults(t, e, "web", 60, e.clock.Now().Add(-2*time.Hour), func(i int) probe.Status { return probe.Warning })
	r = e.get(c, "/monitors/web")
	if !strings.Contains(r.body, "result 59") || strings.Contains(r.body, "result 9<") {
		t.Errorf("first page should show the newest 50 results")
	}
	next := regexp.MustCompile(`href="(/monitors/web\?before=\d+)"`).FindStringSubmatch(r.body)
	if next == nil {
		t.Fatal("no link to older results")
	}
	r = e.get(c, strings.ReplaceAll(next[1], "&amp;", "&"))
	if !strings.Contains(r.body, "result 9<") || strings.Contains(r.body, "result 10<") {
		t.Errorf("second page should show results 9..0")
	}
	if r := e.get(c, "/monitors/nope"); r.status != http.StatusNotFound || !strings.Contains(r.body, `no monitor &#34;nope&#34;`) {
		t.Errorf("unknown monitor: %d", r.status)
	}
	if r := e.get(c, "/monitors/web?before=x"); r.status != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", r.status)
	}
	if r := e.get(c, "/no/such/page"); r.status != http.StatusNotFound || !strings.Contains(r.body, "Page not found") {
		t.Errorf("404 page: %d", r.status)
	}
}

func TestStaticAssetsAndHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	r := e.get(e.client(), "/setup")
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		if r.header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	css := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(r.body)
	if css == nil {
		t.Fatalf("no checksummed stylesheet link in %s", r.body)
	}
	a := e.get(e.client(), css[1])
	if a.status != 200 || !strings.Contains(a.header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(a.header.Get("Content-Type"), "text/css") {
		t.Errorf("asset: %d %v", a.status, a.header)
	}
	if a := e.get(e.client(), "/static/app.0000000000.css"); a.status != http.StatusNotFound {
		t.Errorf("stale asset name: %d, want 404", a.status)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "tocsin_test_gauge", Help: "A gauge for the test."})
	reg.MustRegister(g)
	e := newEnv(t, func(o *Options) { o.Gatherer = reg; o.MetricsToken = "s3cret" })
	c := e.client()
	if r := e.get(c, "/healthz"); r.status != 200 || r.body != "ok\n" {
		t.Errorf("healthz: %d %q", r.status, r.body)
	}
	if r := e.get(c, "/readyz"); r.status != 200 {
		t.Errorf("readyz: %d %q", r.status, r.body)
	}
	e.rt.mu.Lock()
	e.rt.health.SchedulerLag = time.Minute
	e.rt.mu.Unlock()
	if r := e.get(c, "/readyz"); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "scheduler is 1m0s behind") {
		t.Errorf("readyz with lag: %d %q", r.status, r.body)
	}
	e.rt.mu.Lock()
	e.rt.health.WriteProblems = []string{"the results writer cannot write to the database: disk full"}
	e.rt.mu.Unlock()
	if r := e.get(c, "/readyz"); r.status != http.StatusServiceUnavailable ||
		r.body != "not ready: the scheduler is 1m0s behind (limit 30s)\nnot ready: the results writer cannot write to the database: disk full\n" {
		t.Errorf("readyz with lag and failing writes: %d %q", r.status, r.body)
	}
	e.rt.mu.Lock()
	e.rt.health.SchedulerLag = 0
	e.rt.health.WriteProblems = nil
	e.rt.mu.Unlock()
	if r := e.get(c, "/readyz"); r.status != 200 {
		t.Errorf("readyz once writes succeed again: %d %q", r.status, r.body)
	}
	e.store.Close()
	if r := e.get(c, "/readyz"); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "database is unreachable") {
		t.Errorf("readyz with a closed store: %d %q", r.status, r.body)
	}
	if r := e.get(c, "/metrics"); r.status != http.StatusUnauthorized {
		t.Errorf("metrics without token: %d", r.status)
	}
	if r := e.do(c, "GET", "/metrics", nil, bearer("wrong")); r.status != http.StatusUnauthorized {
		t.Errorf("metrics with a wrong token: %d", r.status)
	}
	if r := e.do(c, "GET", "/metrics", nil, bearer("s3cret")); r.status != 200 || !strings.Contains(r.body, "tocsin_test_gauge") {
		t.Errorf("metrics: %d", r.status)
	}
}

func TestStoreFailureIsInternal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	tok := e.token(c, "ci")
	_ = e.store.Close()
	r := e.do(e.client(), "GET", "/api/v1/monitors", nil, bearer(tok))
	if r.status != http.StatusInternalServerError || apiError(t, r).Message != "internal error" {
		t.Errorf("closed store: %d %s", r.status, r.body)
	}
}

func TestNewRequiresStoreAndRuntime(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{Runtime: &fakeRuntime{}}); err == nil {
		t.Error("New without a store worked")
	}
	e := newEnv(t, nil)
	if _, err := New(Options{Store: e.store}); err == nil {
		t.Error("New without a runtime worked")
	}
	if _, err := New(Options{Store: e.store, Runtime: e.rt, DemoToggle: func(bool) {}}); err == nil {
		t.Error("New with DemoToggle but no DemoState worked")
	}
}
