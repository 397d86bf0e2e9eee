package ui_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/testkit"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// browserEnv, set to "required" (CI does), makes a missing chromium fail
// the browser tests instead of skipping them.
const browserEnv = testkit.BrowserEnv

// chromium returns the path of chromium, or skips or fails t without one.
func chromium(t *testing.T) string { t.Helper(); return testkit.Chromium(t) }

// newBrowser starts a headless chromium for t; it ends with the test, or
// after 20 seconds.
func newBrowser(t *testing.T, chromiumPath string) context.Context {
	t.Helper()
	return testkit.Browser(t, chromiumPath, 20*time.Second)
}

// submitted submits the form of the element sel and waits for the page
// that answers it: the current page is marked first, so an element both
// pages have cannot be taken for the answer.
func submitted(sel string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Evaluate[chromedp.Void](`document.body.dataset.submitted = "1"`),
		chromedp.Submit(chromedp.CSS(sel)),
		chromedp.WaitReady(chromedp.CSS(`body:not([data-submitted])`)),
	}
}

// browserSetup creates the admin account through the first-run form.
func browserSetup(base string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password2"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password2"]`), "correct horse"),
		chromedp.Submit(chromedp.CSS(`input[name="password2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.monitors`)),
	}
}

// adminBrowser starts a server with opt (nil for none) and a headless
// chromium signed in as its first administrator, "admin"; it skips in
// -short mode.
func adminBrowser(t *testing.T, opt func(*web.Options)) (*webtest.Env, context.Context) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, opt)
	ctx := newBrowser(t, chromiumPath)
	if err := chromedp.Do(ctx, browserSetup(e.HTTP.URL)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	return e, ctx
}

// elementText is the text of the element sel, its spaces collapsed.
func elementText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("%s: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// TestBrowserSetupLoginOverview drives a real browser through first-run
// setup, logout, login and the overview with a down monitor: since when
// it is down, in the viewer's zone, and who owns its service.
func TestBrowserSetupLoginOverview(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	last := probe.Result{MonitorID: "api", Time: e.Clock.Now().Add(-5 * time.Second), Status: probe.Critical, Reason: "GET https://api.example/health: 503, expected 200"}
	e.RT.Views[1].LastResult = &last
	e.RT.Views[1].State.Since = e.Clock.Now().Add(-37 * time.Minute)
	webtest.OwnedShop(e)

	ctx := newBrowser(t, chromiumPath)

	base := e.HTTP.URL
	// First run: every page leads to setup.
	if err := chromedp.Do(ctx, browserSetup(base)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	err := chromedp.Do(ctx,
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
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/?tz=Europe/Paris"), chromedp.WaitVisible(chromedp.CSS(`table.monitors`))); err != nil {
		t.Fatal(err)
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
	// Since when, in the zone asked for with UTC beside it, once the
	// page script has settled the zone cookie.
	since, err := chromedp.Run(ctx, chromedp.Poll[string](`(function () {
		var n = document.querySelector('a[href="/monitors/api"]');
		var s = n && n.closest('tr').querySelector('.since');
		return s && s.textContent.indexOf('CET') >= 0 ? s.textContent : null;
	})()`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("since-when of the down monitor: %v", err)
	}
	if want := "down since 12:23 CET / 11:23 UTC (37 min)"; strings.TrimSpace(since) != want {
		t.Errorf("since-when %q, want %q", since, want)
	}
	owners, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`section.group p.owners`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(owners, "Alice Example") || !strings.Contains(owners, "Operations") {
		t.Errorf("service owners %q, want Alice Example and Operations", owners)
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

// TestBrowserRequired runs the browser test in a child process with no
// chromium in PATH: with TOCSIN_TEST_BROWSER=required the run fails and says
// what is missing and how to install it; without the variable it passes and
// says once, at the end, that the test skipped.
func TestBrowserRequired(t *testing.T) {
	run := func(env string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBrowserSetupLoginOverview$")
		cmd.Env = append(os.Environ(), "PATH="+t.TempDir(), browserEnv+"="+env)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("required")
	if err == nil {
		t.Fatalf("%s=required without chromium: the run passed:\n%s", browserEnv, out)
	}
	for _, want := range []string{"--- FAIL: TestBrowserSetupLoginOverview", "chromium not found in PATH", browserEnv + "=required, so this test must run", "apt-get install -y chromium"} {
		if !strings.Contains(out, want) {
			t.Errorf("%s=required without chromium: output lacks %q:\n%s", browserEnv, want, out)
		}
	}
	out, err = run("")
	if err != nil {
		t.Fatalf("no %s, no chromium: the run failed: %v\n%s", browserEnv, err, out)
	}
	if strings.Count(out, "skipped") != 1 || !strings.Contains(out, "1 test skipped: chromium not found in PATH; install it (apt-get install -y chromium)") {
		t.Errorf("no %s, no chromium: want one line saying the test skipped, got:\n%s", browserEnv, out)
	}
}
