package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestBrowserFollowUpActions adds a follow-up action on an incident's
// page in a real browser, sees it overdue there in its owner's timezone,
// moves it along, and finds it highlighted on the Actions overview
// reached from the nav, filtered by owner and status.
func TestBrowserFollowUpActions(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	now := e.Clock.Now()
	in, err := e.Store.OpenIncident(t.Context(), store.Incident{Title: "Checkout fails", Severity: "p1", OpenedAt: now, DetectedAt: now,
		ReportedKind: store.ReportedByStaff, ReportedAt: now, DeclaredBy: "ann"}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, chromiumPath)
	base := e.HTTP.URL
	if err := chromedp.Do(ctx, browserSetup(base)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	// The clock reads 2026-03-01 12:00 UTC; due on 27 February is overdue.
	err = chromedp.Do(ctx,
		chromedp.Navigate(fmt.Sprintf("%s/incidents/%d", base, in.ID)),
		chromedp.WaitVisible(chromedp.CSS(`#actions #no-actions`)),
		chromedp.SendKeys(chromedp.CSS(`#action-form input[name="title"]`), "Alert on payment latency"),
		chromedp.SendKeys(chromedp.CSS(`#action-form input[name="owner"]`), "bob"),
		chromedp.SetValue(chromedp.CSS(`#action-form input[name="due"]`), "2026-02-27"),
		chromedp.SetValue(chromedp.CSS(`#action-form select[name="priority"]`), "high"),
		chromedp.SetValue(chromedp.CSS(`#action-form select[name="type"]`), "detective"),
		chromedp.SendKeys(chromedp.CSS(`#action-form input[name="link"]`), "https://tickets.example/OPS-1"),
		chromedp.Submit(chromedp.CSS(`#action-form input[name="title"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#actions table.actions tr.overdue`)),
	)
	if err != nil {
		t.Fatalf("adding an action on the incident's page: %v", err)
	}
	row, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#actions table.actions tr.overdue`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Alert on payment latency", "bob", "2026-02-27", "America/New_York", "overdue", "high", "detective"} {
		if !strings.Contains(row, want) {
			t.Errorf("the action's row %q lacks %q", row, want)
		}
	}
	// A bad link is refused on the page, and nothing is added.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#action-form input[name="title"]`), "Second"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#action-form input[name="link"]').type = 'text'`),
		chromedp.SendKeys(chromedp.CSS(`#action-form input[name="link"]`), "javascript:alert(1)"),
		chromedp.Submit(chromedp.CSS(`#action-form input[name="title"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@class="error" and contains(., "not an http or https URL")]`)),
	)
	if err != nil {
		t.Fatalf("a bad link: %v", err)
	}
	if list, _ := e.Store.FollowUpList(t.Context(), store.FollowUpFilter{}); len(list) != 1 {
		t.Fatalf("stored actions = %+v, want the first only", list)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/actions"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.actions tr.overdue`)),
	)
	if err != nil {
		t.Fatalf("the overview from the nav: %v", err)
	}
	bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('table.actions tr.overdue td')).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if bg == "" || bg == "rgba(0, 0, 0, 0)" {
		t.Errorf("the overdue row is not highlighted (%q)", bg)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#owner-filter input[name="owner"]`), "ann"),
		chromedp.Submit(chromedp.CSS(`#owner-filter input[name="owner"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id="no-actions" and contains(., "of ann")]`)),
		chromedp.Navigate(base+"/actions?owner=bob"),
		chromedp.SetValue(chromedp.CSS(`table.actions select[name="status"]`), "done"),
		chromedp.Submit(chromedp.CSS(`table.actions select[name="status"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id="no-actions" and contains(., "No open follow-up actions of bob")]`)),
		chromedp.Click(chromedp.Search(`//nav[@class="filter"]//a[.="done"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.actions tbody tr`)),
	)
	if err != nil {
		t.Fatalf("filtering and finishing on the overview: %v", err)
	}
	row, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.actions tbody tr`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row, "Alert on payment latency") || strings.Contains(row, "overdue") {
		t.Errorf("the done action's row = %q", row)
	}
	list, err := e.Store.FollowUpList(t.Context(), store.FollowUpFilter{})
	if err != nil || len(list) != 1 || list[0].Status != store.ActionDone || list[0].UpdatedBy != "admin" || list[0].Timezone != "America/New_York" {
		t.Errorf("stored = %+v %v", list, err)
	}
}
