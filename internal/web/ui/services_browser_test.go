package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestBrowserWhoToContact opens the directory in a real browser, searches
// for a tag, follows the service to its who-to-contact page and reads who
// is on call, the escalation path and the runbook.
func TestBrowserWhoToContact(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	ctx := newBrowser(t, chromiumPath)
	base := e.HTTP.URL
	if err := chromedp.Do(ctx, browserSetup(base)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	// The directory lists shop before the search too: wait for the page
	// that answers the search, then for its row.
	search := append([]chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(`header nav a[href="/services"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="q"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), "erp"),
	}, submitted(`input[name="q"]`)...)
	err := chromedp.Do(ctx, append(search, chromedp.WaitVisible(chromedp.CSS(`tr[data-service="shop"]`)))...)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('tr[data-service]').length`))
	if err != nil || rows != 1 {
		t.Errorf("searching erp shows %d services (%v), want shop alone", rows, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`tr[data-service="shop"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#escalation`)),
	)
	if err != nil {
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
	if got := text(`#oncall`); !strings.Contains(got, "Ann Berg") || !strings.Contains(got, "+47 555 01 234") ||
		!strings.Contains(got, "on call for Technical support") || !strings.Contains(got, "Sun 13:00 CET") || !strings.Contains(got, "Technical support: Bob Dahl") {
		t.Errorf("on call: %q", got)
	}
	if got := text(`li[data-step="1"]`); !strings.Contains(got, "at once after the alert opens: schedule:tech-support") || !strings.Contains(got, "Ann Berg") {
		t.Errorf("step 1: %q", got)
	}
	if got := text(`li[data-step="2"]`); !strings.Contains(got, "after 15m") || !strings.Contains(got, "Bob Dahl") || !strings.Contains(got, "Cid Ek has no usable contact") {
		t.Errorf("step 2: %q", got)
	}
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#runbook a`), "href"))
	if err != nil || href.Value != "https://wiki.example.com/shop" {
		t.Errorf("runbook link %q (%v)", href.Value, err)
	}
	// A dependency leads to its own page.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`li[data-dependency="service:db"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-dependency="service:shop"]`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if got := text(`h1`); got != "Who to contact: Database" {
		t.Errorf("after following db: %q", got)
	}
}
