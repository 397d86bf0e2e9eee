package ui_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// outageReason is the reason of the failures seedHistory stores.
const outageReason = "GET https://shop.example/: 503, expected 200"

// seedHistory stores days of a monitor's results, one every step up to
// the clock's now, the way a running Tocsin leaves them: three failed
// checks (with their state changes) 20 days ago and 2 hours ago, hourly
// rollups of every complete hour, raw results pruned after 7 days.
func seedHistory(tb testing.TB, e *webtest.Env, id string, days int, step time.Duration) {
	tb.Helper()
	ctx := context.Background()
	now := e.Clock.Now()
	start := now.Add(-time.Duration(days) * 24 * time.Hour)
	outages := []time.Time{now.Add(-20 * 24 * time.Hour), now.Add(-2 * time.Hour)}
	var b store.Batch
	flush := func() {
		if err := e.Store.SaveBatch(ctx, b); err != nil {
			tb.Fatal(err)
		}
		b = store.Batch{}
	}
	for t := start; t.Before(now); t = t.Add(step) {
		r := probe.Result{MonitorID: id, Time: t, Status: probe.OK, Duration: time.Duration(20+t.Minute()%17) * time.Millisecond}
		for _, o := range outages {
			if d := t.Sub(o); d >= 0 && d < 3*step {
				r.Status, r.Reason, r.Duration = probe.Critical, outageReason, 10*time.Second
				if d == 0 {
					b.Transitions = append(b.Transitions, monitor.Transition{MonitorID: id, Time: t, From: monitor.StatusUp, To: monitor.StatusDown, Reason: outageReason})
				}
			}
			if t.Sub(o) == 3*step {
				b.Transitions = append(b.Transitions, monitor.Transition{MonitorID: id, Time: t, From: monitor.StatusDown, To: monitor.StatusUp, Reason: "200 OK"})
			}
		}
		b.Results = append(b.Results, r)
		if len(b.Results) >= 5000 {
			flush()
		}
	}
	flush()
	if err := e.Store.Rollup(ctx, now.Truncate(time.Hour)); err != nil {
		tb.Fatal(err)
	}
	if _, err := e.Store.Prune(ctx, now.Add(-7*24*time.Hour), now.Add(-400*24*time.Hour)); err != nil {
		tb.Fatal(err)
	}
}

// section is the card of a page with the given id.
func section(t *testing.T, body, id string) string {
	t.Helper()
	_, s, ok := strings.Cut(body, `id="`+id+`"`)
	if !ok {
		t.Fatalf("page without the %s section", id)
	}
	s, _, _ = strings.Cut(s, "</section>")
	return s
}

func TestMonitorHistoryFresh(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	r := e.Get(c, "/monitors/web")
	if r.Status != 200 {
		t.Fatalf("monitor page: %d", r.Status)
	}
	hist := section(t, r.Body, "history")
	if n := strings.Count(hist, `<svg class="timeline"`); n != 4 {
		t.Errorf("%d timeline bars, want 4 (24 h, 7 d, 30 d, 90 d)", n)
	}
	for _, want := range []string{"no checks in the last 24 h", "no checks in the last 90 d"} {
		if !strings.Contains(hist, want) {
			t.Errorf("fresh timeline lacks %q", want)
		}
	}
	lat := section(t, r.Body, "latency")
	if !strings.Contains(lat, "chart-empty") || !strings.Contains(lat, "no results in the last 24h yet") {
		t.Errorf("fresh chart is not the empty state: %s", lat)
	}

	// Three checks a minute apart fill the chart's width.
	e.SaveResults("web", 3, e.Clock.Now().Add(-3*time.Minute), func(int) probe.Status { return probe.OK })
	r = e.Get(c, "/monitors/web")
	lat = section(t, r.Body, "latency")
	m := regexp.MustCompile(`class="chart-line" d="([^"]*)"`).FindStringSubmatch(lat)
	if m == nil || !strings.HasPrefix(m[1], "M2.0 ") || !strings.Contains(m[1], "L360.0 ") || !strings.Contains(m[1], "L718.0 ") {
		t.Errorf("three results should be drawn at the left, middle and right: %v", m)
	}
	if !strings.Contains(lat, "3 results") || !strings.Contains(lat, "each check") {
		t.Errorf("chart summary: %s", lat)
	}
	hist = section(t, r.Body, "history")
	if !strings.Contains(hist, "100% up over 24 h, 0 failed checks of 3") || !strings.Contains(hist, "ok × 3, Mar 1 11:57 UTC – Mar 1 11:59 UTC") {
		t.Errorf("24 h bar after three checks: %s", hist)
	}
	if res := section(t, r.Body, "results"); !strings.Contains(res, "× 3") || strings.Count(res, "<details>") != 1 {
		t.Errorf("three ok results should be one group: %s", res)
	}
}

func TestMonitorHistorySeeded(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	seedHistory(t, e, "web", 30, 5*time.Minute)
	c := e.Setup()
	r := e.Get(c, "/monitors/web")
	if r.Status != 200 {
		t.Fatalf("monitor page: %d %s", r.Status, r.Body)
	}
	hist := section(t, r.Body, "history")
	// 30 days at 5 minutes: 8640 checks, 6 failed.
	for _, want := range []string{
		"98.95% up over 24 h, 3 failed checks of 288", "one segment per run of equal checks",
		"failed checks of", "up over 30 d, 6 failed checks of 8640", "one segment per day",
		"failed × 3, Mar 1 10:00 UTC – Mar 1 10:15 UTC: " + outageReason,
		"3 of 288 checks failed: " + outageReason,
	} {
		if !strings.Contains(hist, want) {
			t.Errorf("timelines lack %q", want)
		}
	}
	if n := strings.Count(hist, `class="tl-part"`); n < 3 {
		t.Errorf("%d partly failed hours or days, want the outages in the 7 d, 30 d and 90 d bars", n)
	}
	res := section(t, r.Body, "results")
	if !strings.Contains(res, "Rows group the 200 results on this page") || strings.Count(res, "<details>") != 3 {
		t.Errorf("results should be three groups (ok, failed × 3, ok): %s", res)
	}
	if !strings.Contains(res, "× 3") || !strings.Contains(res, outageReason) {
		t.Errorf("the failed run is not one row with its reason: %s", res)
	}

	r = e.Get(c, "/monitors/web?range=7d")
	lat := section(t, r.Body, "latency")
	for _, want := range []string{`class="chart-p95"`, `class="chart-line"`, "hourly p50 and p95", "highest 10.00s", `aria-current="page">7d<`, "failed</title>"} {
		if !strings.Contains(lat, want) {
			t.Errorf("7 d chart lacks %q: %s", want, lat)
		}
	}
	r = e.Get(c, "/monitors/web?range=1h")
	if lat := section(t, r.Body, "latency"); !strings.Contains(lat, "12 results") || !strings.Contains(lat, "each check") {
		t.Errorf("1 h chart: %s", lat)
	}
	if r := e.Get(c, "/monitors/web?range=2y"); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "1h, 24h, 7d or 30d") {
		t.Errorf("unknown range: %d", r.Status)
	}
}
