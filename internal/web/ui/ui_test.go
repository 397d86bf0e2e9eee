package ui_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestOverview(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	now := e.Clock.Now()
	last := probe.Result{MonitorID: "api", Time: now.Add(-12 * time.Second), Status: probe.Critical, Reason: "GET https://api.example/health: 503, expected 200"}
	e.RT.Views[1].LastResult = &last
	e.RT.Views[1].State.Flapping = true
	e.SaveResults("api", 3, now.Add(-30*time.Minute), func(i int) probe.Status {
		if i == 2 {
			return probe.Critical
		}
		return probe.OK
	})

	r := e.Get(c, "/")
	if r.Status != 200 {
		t.Fatalf("overview: %d", r.Status)
	}
	for _, want := range []string{
		`<h2>Web shop</h2>`, `<h2>Other</h2>`, // grouped by service, the rest under Other
		`data-state="down">down</span>`, `flapping</span>`,
		"503, expected 200", "12s ago", `datetime="2026-03-01T11:59:48Z"`,
		"66.66%", // 2 of 3 good; never rounded up
		`class="chart-bad"`, `class="chart-line"`,
		"https://shop.example/", "Showing 1–3 of 3",
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Index(r.Body, "Web shop") > strings.Index(r.Body, "<h2>Other</h2>") {
		t.Error("Other must come after the configured services")
	}
	if strings.Contains(r.Body, "reload was rejected") {
		t.Error("banner shown without a rejected reload")
	}

	// Filters.
	r = e.Get(c, "/?state=down")
	if !strings.Contains(r.Body, "API") || strings.Contains(r.Body, "Lonely check") || !strings.Contains(r.Body, "Showing 1–1 of 1") {
		t.Errorf("?state=down did not filter")
	}
	r = e.Get(c, "/?q=LONE")
	if !strings.Contains(r.Body, "Lonely check") || strings.Contains(r.Body, "Website") {
		t.Errorf("?q=LONE did not filter")
	}
	if r := e.Get(c, "/?state=sideways"); r.Status != http.StatusBadRequest {
		t.Errorf("unknown state: %d, want 400", r.Status)
	}
	if r := e.Get(c, "/?page=0"); r.Status != http.StatusBadRequest {
		t.Errorf("page 0: %d, want 400", r.Status)
	}

	// A rejected reload is announced with its errors.
	e.RT.Mu.Lock()
	e.RT.CfgStatus.Errors = []string{`tocsin.yaml:7: monitor "web": unknown key "intervall"`}
	e.RT.CfgStatus.RejectedAt = now
	e.RT.Mu.Unlock()
	r = e.Get(c, "/")
	if !strings.Contains(r.Body, "reload was rejected") || !strings.Contains(r.Body, "unknown key &#34;intervall&#34;") {
		t.Errorf("rejected reload banner missing")
	}
}

func TestOverviewEmptyAndDemo(t *testing.T) {
	t.Parallel()
	failing := false
	e := webtest.New(t, func(o *web.Options) {
		o.DemoToggle = func(f bool) { failing = f }
		o.DemoState = func() bool { return failing }
	})
	e.RT.Views = nil
	c := e.Setup()
	r := e.Get(c, "/")
	if !strings.Contains(r.Body, "No monitors yet") || !strings.Contains(r.Body, "under <code>monitors:</code>") {
		t.Errorf("empty state missing")
	}
	if !strings.Contains(r.Body, "Make it fail") {
		t.Fatalf("demo card missing")
	}
	if r := e.PostForm(c, "/demo/toggle", nil); r.Status != http.StatusSeeOther || !failing {
		t.Fatalf("demo toggle: %d, failing=%v", r.Status, failing)
	}
	if r := e.Get(c, "/"); !strings.Contains(r.Body, "Make it healthy") {
		t.Errorf("demo card does not show the failing state")
	}
}

func TestDemoToggleAbsent(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	if r := e.Get(c, "/"); strings.Contains(r.Body, "Demo target") {
		t.Error("demo card shown without a demo target")
	}
	if r := e.PostForm(c, "/demo/toggle", nil); r.Status != http.StatusNotFound {
		t.Errorf("demo toggle without a target: %d, want 404", r.Status)
	}
}

func TestMonitorPage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	r := e.Get(c, "/monitors/lone")
	if r.Status != 200 || !strings.Contains(r.Body, "No results yet — the first run comes within 30s") {
		t.Errorf("empty monitor page: %d", r.Status)
	}
	if !strings.Contains(r.Body, "No state changes yet") || !strings.Contains(r.Body, "No notifications sent") {
		t.Errorf("empty monitor page lacks empty states")
	}
	e.SaveResults("web", 210, e.Clock.Now().Add(-4*time.Hour), func(i int) probe.Status { return probe.Warning })
	r = e.Get(c, "/monitors/web")
	if list := resultsSection(t, r.Body); !strings.Contains(list, "result 209<") || strings.Contains(list, "result 9<") {
		t.Errorf("first page should show the newest 200 results")
	}
	next := regexp.MustCompile(`href="(/monitors/web\?before=\d+)"`).FindStringSubmatch(r.Body)
	if next == nil {
		t.Fatal("no link to older results")
	}
	r = e.Get(c, strings.ReplaceAll(next[1], "&amp;", "&"))
	if list := resultsSection(t, r.Body); !strings.Contains(list, "result 9<") || strings.Contains(list, "result 10<") {
		t.Errorf("second page should show results 9..0")
	}
	if r := e.Get(c, "/monitors/nope"); r.Status != http.StatusNotFound || !strings.Contains(r.Body, `no monitor &#34;nope&#34;`) {
		t.Errorf("unknown monitor: %d", r.Status)
	}
	if r := e.Get(c, "/monitors/web?before=x"); r.Status != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", r.Status)
	}
	if r := e.Get(c, "/no/such/page"); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "Page not found") {
		t.Errorf("404 page: %d", r.Status)
	}
}

func TestStaticAssetsAndHeaders(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	r := e.Get(e.Client(), "/setup")
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"} {
		if r.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	css := regexp.MustCompile(`href="(/static/app\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(r.Body)
	if css == nil {
		t.Fatalf("no checksummed stylesheet link in %s", r.Body)
	}
	a := e.Get(e.Client(), css[1])
	if a.Status != 200 || !strings.Contains(a.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(a.Header.Get("Content-Type"), "text/css") {
		t.Errorf("asset: %d %v", a.Status, a.Header)
	}
	if a := e.Get(e.Client(), "/static/app.0000000000.css"); a.Status != http.StatusNotFound {
		t.Errorf("stale asset name: %d, want 404", a.Status)
	}
}

// resultsSection is the results card of a monitor page.
func resultsSection(t *testing.T, body string) string {
	t.Helper()
	_, list, ok := strings.Cut(body, `id="results"`)
	if !ok {
		t.Fatal("monitor page without a results section")
	}
	list, _, _ = strings.Cut(list, "</section>")
	return list
}
