package ui_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestBrowserAcknowledge follows the overview's alert banner in a real
// browser to the open alert, clicks Acknowledge, and finds the alert
// acknowledged by the signed-in user, the action in its log, and the
// acknowledgement stored.
func TestBrowserAcknowledge(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	id := openShopAlert(t, e)
	ctx := newBrowser(t, chromiumPath)
	if err := chromedp.Do(ctx, browserSetup(e.HTTP.URL)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	row := fmt.Sprintf(`tr[data-alert="%d"]`, id)
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#alerts-banner a`)),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+` a[href^="/alerts/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ack`)),
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
	if got := text(`#state`); got != "open" {
		t.Fatalf("state before: %q", got)
	}
	if got := text(`#problems`); !strings.Contains(got, "Cid Ek has no usable contact") {
		t.Errorf("problems: %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#ack`)),
		chromedp.WaitVisible(chromedp.CSS(`#acknowledged`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if got := text(`#acknowledged`); !strings.Contains(got, "acknowledged by admin") {
		t.Errorf("after clicking Acknowledge: %q", got)
	}
	if got := text(`#log tr[data-action="acknowledged"]`); !strings.Contains(got, "admin") || !strings.Contains(got, "via the web UI") {
		t.Errorf("log entry: %q", got)
	}
	if got := text(`#state`); got != "acknowledged" {
		t.Errorf("state after: %q", got)
	}
	a, err := e.Store.Alert(t.Context(), id)
	if err != nil || a.State != store.AlertAcknowledged || a.AcknowledgedBy != "user:admin" {
		t.Errorf("stored: %s by %q (%v)", a.State, a.AcknowledgedBy, err)
	}
}
