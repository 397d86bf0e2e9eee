package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestBrowserInboxQuickstart follows the quickstart's path in a real
// browser: with an inbox channel configured, the Inbox link of the nav
// leads to an empty inbox naming the channel; once the failing monitor's
// monitor.down notification is in the outbox (written through the store,
// as the engine writes it), the inbox shows it with its monitor, service,
// owners and reason, styled, and its link leads to the monitor's page
// saying since when it is down.
func TestBrowserInboxQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	reason := "GET https://api.example/health: 503, expected 200"
	down := e.Clock.Now().Add(-3 * time.Minute)
	last := probe.Result{MonitorID: "api", Time: e.Clock.Now().Add(-5 * time.Second), Status: probe.Critical, Reason: reason}
	e.RT.Views[1].LastResult = &last
	e.RT.Views[1].State.Since = down
	webtest.OwnedShop(e)
	e.RT.Mu.Lock()
	e.RT.Cfg.Channels = []config.Channel{{ID: "inbox", Type: "inbox"}}
	e.RT.Cfg.Services[0].Channels = []string{"inbox"}
	e.RT.Mu.Unlock()

	ctx := newBrowser(t, chromiumPath)
	base := e.HTTP.URL
	if err := chromedp.Do(ctx, browserSetup(base)...); err != nil {
		t.Fatalf("browser: %v", err)
	}
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/inbox"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "No notifications yet")]/code[.="inbox"]`)),
	)
	if err != nil {
		t.Fatalf("empty inbox from the nav: %v", err)
	}

	ev := notify.Event{ID: "n1", Event: notify.EventMonitorDown, MonitorID: "api", MonitorName: "API",
		ServiceID: "shop", ServiceName: "Web shop", Status: "down", Reason: reason, Time: down,
		Owners: []catalog.Owner{{ID: "alice", Name: "Alice Example", Kind: "person", Email: "alice@example.com"}}}
	msgs := notify.Messages(ev, []string{"inbox"}, func() string { return ev.ID })
	if err := e.Store.SaveBatch(t.Context(), store.Batch{Outbox: msgs}); err != nil {
		t.Fatal(err)
	}
	row := `table.inbox tr[data-event="monitor.down"][data-monitor="api"]`
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(row))); err != nil {
		t.Fatalf("the notification on /inbox: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row)))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"monitor.down", "API", "Web shop", "Alice Example", reason, "2026-03-01 11:57"} {
		if !strings.Contains(text, want) {
			t.Errorf("inbox row %q lacks %q", text, want)
		}
	}
	bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('table.inbox .badge.down')).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if bg == "" || bg == "rgba(0, 0, 0, 0)" {
		t.Errorf("the monitor.down badge has no background (%q): the stylesheet did not apply", bg)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(row+` a[href="/monitors/api"]`)),
		chromedp.WaitVisible(chromedp.Search(`//*[contains(., "Down since")]`)),
	)
	if err != nil {
		t.Fatalf("from the inbox to the monitor: %v", err)
	}
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if location != base+"/monitors/api" {
		t.Errorf("the inbox's monitor link led to %s", location)
	}
}
