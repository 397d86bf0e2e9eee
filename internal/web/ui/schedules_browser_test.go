package ui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/testkit"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestBrowserScheduleCalendar opens a schedule's week in a real browser:
// a shift, an override and a gap are on screen in their colours; then it
// creates a calendar feed from the page, reads it, and revokes it.
func TestBrowserScheduleCalendar(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	webtest.Schedules(e)
	// It walks five pages and two forms: more than the usual 20 seconds on a
	// loaded machine.
	ctx := testkit.Browser(t, chromiumPath, 60*time.Second)
	base := e.HTTP.URL
	if err := chromedp.Do(ctx, browserSetup(base)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	wed := `.cal-day[data-date="2026-03-04"]`
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/schedules"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-schedule="support"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/schedules/support"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.calendar.month`)),
		chromedp.Navigate(base+"/schedules/support?view=week&from=2026-03-04&tz=Europe/Oslo"),
		chromedp.WaitVisible(chromedp.CSS(wed+` .bar[data-override]`)),
	); err != nil {
		t.Fatalf("browser: %v", err)
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	if got := text(wed + ` .bar[data-override]`); got != "10:00–12:00 Cat override" {
		t.Errorf("override bar %q", got)
	}
	if got := text(wed + ` .bar[data-person="ann"]`); got != "09:00–10:00 Ann Example, first line; ops" {
		t.Errorf("shift bar %q", got)
	}
	if got := text(`.cal-day[data-date="2026-03-07"] .bar[data-gap]`); got != "00:00–24:00 nobody" {
		t.Errorf("Saturday's gap %q", got)
	}
	// The stylesheet applied: the gap is red, a shift has its member's colour.
	colours, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[
		getComputedStyle(document.querySelector('.cal-day[data-date="2026-03-07"] .bar[data-gap]')).borderTopColor,
		getComputedStyle(document.querySelector('`+wed+` .bar[data-person="ann"]')).backgroundColor,
		getComputedStyle(document.querySelector('.cal-day[data-date="2026-03-03"] .bar[data-person="bob"]')).backgroundColor]`))
	if err != nil {
		t.Fatal(err)
	}
	if colours[0] != "rgb(198, 40, 40)" && colours[0] != "rgb(255, 107, 107)" {
		t.Errorf("gap border %q, want the down colour", colours[0])
	}
	if colours[1] == colours[2] || colours[1] == "rgba(0, 0, 0, 0)" {
		t.Errorf("ann's and bob's bars are %q and %q, want two colours", colours[1], colours[2])
	}
	// A feed from the page: shown once, read without a login, revoked.
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`form[action="/schedules/support/tokens"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-feed`)),
	); err != nil {
		t.Fatalf("creating a feed: %v", err)
	}
	feed, err := url.Parse(text(`#new-feed`))
	if err != nil {
		t.Fatal(err)
	}
	if r := e.Get(e.Client(), feed.RequestURI()); r.Status != 200 || !strings.Contains(r.Body, "SUMMARY:Cat on call (override)") {
		t.Fatalf("the feed from the page: %d", r.Status)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/schedules/support"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-token]`)),
		chromedp.Click(chromedp.CSS(`tr[data-token] form button.danger`)),
	); err != nil {
		t.Fatalf("revoking: %v", err)
	}
	// Back on the schedule page, the token is gone from the list.
	if err := chromedp.Do(ctx, chromedp.WaitNotPresent(chromedp.CSS(`tr[data-token]`)), chromedp.WaitVisible(chromedp.CSS(`.calendar`))); err != nil {
		t.Errorf("the token is still listed after revoking: %v", err)
	}
	if r := e.Get(e.Client(), feed.RequestURI()); r.Status != 404 {
		t.Errorf("revoked feed: %d, want 404", r.Status)
	}
}
