package web

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/probe"
)

// chromiumPath is Debian's chromium; CI installs it.
const chromiumPath = "/usr/bin/chromium"

// TestBrowserSetupLoginOverview drives a real browser through first-run
// setup, logout, login and the overview with a down monitor.
func TestBrowserSetupLoginOverview(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("chromium is not installed at %s (apt-get install chromium): %v", chromiumPath, err)
	}
	e := newEnv(t, nil)
	last := probe.Result{MonitorID: "api", Time: e.clock.Now().Add(-5 * time.Second), Status: probe.Critical, Reason: "GET https://api.example/health: 503, expected 200"}
	e.rt.views[1].LastResult = &last

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 20*time.Second)
	defer cancelTimeout()

	base := e.http.URL
	err := chromedp.Do(ctx,
		// First run: every page leads to setup.
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password2"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password2"]`), "correct horse"),
		chromedp.Submit(chromedp.CSS(`input[name="password2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.monitors`)),
		// Log out, then log in again.
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse"),
		chromedp.Submit(chromedp.CSS(`input[name="password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.monitors`)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if location != base+"/" {
		t.Errorf("after login the browser is at %s", location)
	}
	name, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`a[href="/monitors/api"]`)))
	if err != nil {
		t.Fatal(err)
	}
	badge, err := chromedp.Run(ctx, chromedp.Text(chromedp.Search(`//a[@href="/monitors/api"]/ancestor::tr//span[contains(@class,"badge")]`)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(name) != "API" || strings.TrimSpace(badge) != "down" {
		t.Errorf("overview row: monitor %q with badge %q, want API with badge down", name, badge)
	}
	// The page works without any CSP violation: the stylesheet applied.
	bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.badge.down')).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if bg == "" || bg == "rgba(0, 0, 0, 0)" {
		t.Errorf("down badge has no background (%q): the stylesheet did not load", bg)
	}
}
