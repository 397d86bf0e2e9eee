package ui_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

var spaces = regexp.MustCompile(`\s+`)

// TestIncidentMetricsPage shows the tables and the weekly charts of
// /incidents/metrics, switches the window, and refuses a bad one.
func TestIncidentMetricsPage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	if r := e.Get(c, "/incidents/metrics"); r.Status != 200 || !strings.Contains(r.Body, "No incident was opened in the last 90d.") ||
		strings.Count(r.Body, "No incident in these weeks.") != 3 || !strings.Contains(r.Body, `class="chart-empty"`) {
		t.Fatalf("empty page: %d %s", r.Status, r.Body)
	}
	if r := e.Get(c, "/incidents"); !strings.Contains(r.Body, `<a href="/incidents/metrics">Incident metrics</a>`) {
		t.Error("/incidents does not link to the metrics")
	}
	now := e.Clock.Now() // Sunday 2026-03-01 12:00 UTC
	day, m := 24*time.Hour, time.Minute
	webtest.MeasuredIncident(t, e.Store, now.Add(-2*day), store.ReportedByMonitor, 1*m, 4*m, 30*m, "shop")
	webtest.MeasuredIncident(t, e.Store, now.Add(-3*day), store.ReportedByCustomer, 30*m, 40*m, 0, "shop", "db")
	webtest.MeasuredIncident(t, e.Store, now.Add(-40*day), store.ReportedByStaff, 5*m, 0, 3*day+2*time.Hour, "db")
	webtest.MeasuredIncident(t, e.Store, now.Add(-200*day), store.ReportedByCustomer, 2*time.Hour+15*m, 0, 0, "shop")

	r := e.Get(c, "/incidents/metrics")
	body := spaces.ReplaceAllString(r.Body, " ")
	for _, want := range []string{
		`<strong aria-current="page">90d</strong> <a href="/incidents/metrics?window=365d">365d</a>`,
		`<th scope="row">All services</th><td>3</td> <td>5m</td><td>25m</td> <td title="2 acknowledged">22m</td><td>36m24s</td> <td title="2 resolved">1d 13h</td><td>2d 19h</td> <td title="1">33%</td><td title="1">33%</td><td title="1">33%</td>`,
		`<th scope="row">db</th><td>2</td> <td>17m30s</td><td>27m30s</td>`,
		`<th scope="row">shop</th><td>2</td> <td>15m30s</td><td>27m6s</td> <td title="2 acknowledged">22m</td><td>36m24s</td> <td title="1 resolved">30m</td><td>30m</td> <td title="1">50%</td><td title="1">50%</td><td title="0">0%</td>`,
		`<title>Time to resolve per week over the last 12 weeks: median (solid line) and 90th percentile (dashed line)</title><desc>2 of 12 weeks had incidents; the highest 90th percentile was 3d 2h, in the week of 19 January 2026.</desc>`,
		`<td><time datetime="2026-02-23T00:00:00Z">2026-02-23</time></td><td>2</td><td>15m30s</td><td>27m6s</td>`,
		`<details> <summary>Time to detect as a table</summary>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if n := strings.Count(body, `<svg class="chart"`); n != 3 || strings.Count(body, `class="chart-p95"`) != 3 {
		t.Errorf("%d charts, want 3 with a p90 line each", n)
	}
	r = e.Get(c, "/incidents/metrics?window=365d")
	if body := spaces.ReplaceAllString(r.Body, " "); !strings.Contains(body, `<th scope="row">All services</th><td>4</td>`) || !strings.Contains(body, `<strong aria-current="page">365d</strong>`) {
		t.Errorf("365d: %d", r.Status)
	}
	r = e.Get(c, "/incidents/metrics?window=30d")
	if body := spaces.ReplaceAllString(r.Body, " "); !strings.Contains(body, `<th scope="row">All services</th><td>2</td>`) {
		t.Errorf("30d: %d", r.Status)
	}
	if r := e.Get(c, "/incidents/metrics?window=forever"); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "is not a number of days such as 90d") {
		t.Errorf("a bad window: %d", r.Status)
	}
	if r := e.Get(e.Client(), "/incidents/metrics"); r.Status != http.StatusSeeOther {
		t.Errorf("signed out: %d, want a redirect to the login", r.Status)
	}
}
