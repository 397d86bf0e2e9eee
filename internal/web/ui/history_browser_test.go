package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestBrowserMonitorHistory loads a monitor page with 30 days of history in
// a real browser: the four timeline bars and the chart are drawn and
// styled, a segment carries its hover text, and a group of results opens
// without JavaScript.
func TestBrowserMonitorHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	seedHistory(t, e, "web", 30, 5*time.Minute)

	ctx := newBrowser(t, chromiumPath)

	base := e.HTTP.URL
	if err := chromedp.Do(ctx, browserSetup(base)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/monitors/web"),
		chromedp.WaitVisible(chromedp.CSS(`#history svg.timeline`)),
		chromedp.WaitVisible(chromedp.CSS(`#latency svg.chart path.chart-line`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelectorAll('#history svg.timeline').length`))
	if err != nil {
		t.Fatal(err)
	}
	if bars != 4 {
		t.Errorf("%v timeline bars, want 4", bars)
	}
	// The bars fill the card and the stylesheet colours their segments.
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('#history svg.timeline').getBoundingClientRect().width`))
	if err != nil {
		t.Fatal(err)
	}
	if width < 300 {
		t.Errorf("timeline bar is %vpx wide", width)
	}
	fill, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('#history rect.tl-down')).fill`))
	if err != nil {
		t.Fatal(err)
	}
	if fill == "" || fill == "rgb(0, 0, 0)" || fill == "none" {
		t.Errorf("a failed segment's fill is %q: the stylesheet did not colour it", fill)
	}
	hover, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#history rect.tl-down title').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(hover, outageReason) {
		t.Errorf("failed segment's hover text %q lacks the reason", hover)
	}
	summary, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#history .timeline-summary`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary, "up over 24 h, 3 failed checks of 288") {
		t.Errorf("24 h summary: %q", summary)
	}
	// A run of results opens without JavaScript.
	hidden := `getComputedStyle(document.querySelector('#results details table')).display`
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#results details summary`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#results details').open && `+hidden+` !== 'none'`))
	if err != nil {
		t.Fatal(err)
	}
	if !shown {
		t.Error("clicking a group's summary did not show its results")
	}
}

// TestBrowserMonitorHistoryFresh opens a monitor's page on a fresh
// database: four empty timeline bars and the chart's empty state, not a
// box with a sliver; then, after three checks, the drawn line spans the
// chart's rendered width.
func TestBrowserMonitorHistoryFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	ctx := newBrowser(t, chromiumPath)
	base := e.HTTP.URL
	if err := chromedp.Do(ctx, browserSetup(base)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/monitors/web"),
		chromedp.WaitVisible(chromedp.CSS(`#history svg.timeline`)),
		chromedp.WaitVisible(chromedp.CSS(`#latency .chart-empty`)),
	); err != nil {
		t.Fatalf("browser: %v", err)
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelectorAll('#history svg.timeline').length`))
	if err != nil {
		t.Fatal(err)
	}
	if bars != 4 {
		t.Errorf("%v timeline bars on a fresh database, want 4", bars)
	}
	empty, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#latency`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(empty, "no results in the last 24h yet") {
		t.Errorf("fresh chart says %q", empty)
	}

	e.SaveResults("web", 3, e.Clock.Now().Add(-3*time.Minute), func(int) probe.Status { return probe.OK })
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/monitors/web"),
		chromedp.WaitVisible(chromedp.CSS(`#latency svg.chart path.chart-line`)),
	); err != nil {
		t.Fatalf("browser: %v", err)
	}
	// The line's drawn extent against the chart's: three points reach
	// from the left edge to the right one.
	ratio, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(function () {
		var line = document.querySelector('#latency path.chart-line').getBoundingClientRect();
		var chart = document.querySelector('#latency svg.chart').getBoundingClientRect();
		return line.width / chart.width;
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if ratio < 0.95 {
		t.Errorf("three checks draw a line %.0f%% of the chart's width, want it across", ratio*100)
	}
}
