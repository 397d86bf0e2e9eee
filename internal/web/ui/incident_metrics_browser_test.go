package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestBrowserIncidentMetrics follows the link from /incidents to the
// metrics in a real browser, checks the weekly charts are drawn with the
// stylesheet's lines and their tables open, and switches the window.
func TestBrowserIncidentMetrics(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	now := e.Clock.Now()
	day, m := 24*time.Hour, time.Minute
	webtest.MeasuredIncident(t, e.Store, now.Add(-2*day), store.ReportedByMonitor, m, 4*m, 30*m, "shop")
	webtest.MeasuredIncident(t, e.Store, now.Add(-20*day), store.ReportedByCustomer, 30*m, 40*m, 2*time.Hour, "shop")
	webtest.MeasuredIncident(t, e.Store, now.Add(-200*day), store.ReportedByStaff, 5*m, 0, 0, "shop")
	ctx := newBrowser(t, chromiumPath)
	base := e.HTTP.URL
	if err := chromedp.Do(ctx, browserSetup(base)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/incidents"),
		chromedp.Click(chromedp.CSS(`a[href="/incidents/metrics"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-ttr svg`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	// Each chart is drawn: a box of real size, a solid median line with
	// points in two weeks, and the dashed p90 line from the stylesheet.
	type drawn struct {
		Width        float64 `json:"width"`
		Stroke, Dash string
		Segments     int
		Title, Desc  string
	}
	for _, id := range []string{"ttd", "tta", "ttr"} {
		d, err := chromedp.Run(ctx, chromedp.Evaluate[drawn](`(() => {
			const svg = document.querySelector('#chart-`+id+` svg');
			const line = svg.querySelector('.chart-line'), p90 = svg.querySelector('.chart-p95');
			return {width: svg.getBoundingClientRect().width, Stroke: getComputedStyle(line).stroke,
				Dash: getComputedStyle(p90).strokeDasharray, Segments: (line.getAttribute('d').match(/M/g) || []).length,
				Title: svg.querySelector('title').textContent, Desc: svg.querySelector('desc').textContent};
		})()`))
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if d.Width < 100 || d.Stroke == "" || d.Stroke == "none" || d.Dash == "none" || d.Segments != 2 ||
			!strings.Contains(d.Title, "per week over the last 12 weeks") || !strings.HasPrefix(d.Desc, "2 of 12 weeks had incidents") {
			t.Errorf("chart %s: %+v", id, d)
		}
	}
	// The table under the chart opens and shows the week's figures.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#chart-ttr summary`)),
		chromedp.WaitVisible(chromedp.CSS(`#chart-ttr details table`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#chart-ttr details tbody`)))
	if err != nil || !strings.Contains(rows, "2026-02-23") || !strings.Contains(rows, "30m") {
		t.Errorf("the table of the last week: %q (%v)", rows, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav.filter a[href="/incidents/metrics?window=365d"]`)),
		// The 90d link only shows once 90d is no longer the current window.
		chromedp.WaitVisible(chromedp.CSS(`nav.filter a[href="/incidents/metrics?window=90d"]`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	all, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.incident-metrics tbody tr`)))
	if err != nil || !strings.HasPrefix(strings.Join(strings.Fields(all), " "), "All services 3 ") {
		t.Errorf("over 365d: %q (%v)", all, err)
	}
}
