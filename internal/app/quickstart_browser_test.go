package app

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestBrowserQuickstartMakeItFail walks the first run the README describes,
// in a real browser against the real quickstart: create the admin account,
// press "Make it fail" on the overview, and find the demo monitor's
// monitor.down notification on the Inbox page — the whole path from a
// failure to a notification, with nothing seeded.
func TestBrowserQuickstartMakeItFail(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := testkit.Chromium(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	cfg, ln := quickstartConfig(t, "sqlite")
	writeConfig(t, path, cfg)
	r := runApp(t, Options{ConfigPath: path, Listener: ln})
	waitState(t, r.app, "demo-home", monitor.StatusUp)

	ctx := testkit.Browser(t, chromiumPath, 60*time.Second)
	err := chromedp.Do(ctx,
		chromedp.Navigate(r.url+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password2"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password2"]`), "correct horse"),
		chromedp.Submit(chromedp.CSS(`input[name="password2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.monitors`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Make it fail"]`)),
		chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Make it healthy"]`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	// The inbox page as a person would see it, reloaded until the
	// notification is there.
	row := `document.querySelector('tr[data-event="monitor.down"][data-monitor="demo-home"]')`
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := chromedp.Do(ctx, chromedp.Navigate(r.url+"/inbox"), chromedp.WaitReady(chromedp.CSS(`body`))); err != nil {
			t.Fatalf("browser: %v", err)
		}
		found, err := chromedp.Run(ctx, chromedp.Evaluate[bool](row+` !== null`))
		if err != nil {
			t.Fatal(err)
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo monitor's monitor.down never reached the Inbox page")
		}
		time.Sleep(250 * time.Millisecond)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](row+`.textContent`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Demo home page", "Demo service"} {
		if !strings.Contains(text, want) {
			t.Errorf("the inbox row %q does not name %q", strings.Join(strings.Fields(text), " "), want)
		}
	}
}
