package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestBrowserPostmortem writes a postmortem in a real browser: declares
// an incident, opens its postmortem from the incident page, finds the
// generated draft in the editor, replaces it, previews the timeline
// table, saves, sends it for review, publishes it and finds it by a word
// of its text on /postmortems.
func TestBrowserPostmortem(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chromiumPath := chromium(t)
	e := webtest.New(t, nil)
	e.RT.Mu.Lock()
	e.RT.Cfg.Incidents = config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(),
		Roles: config.DefaultIncidentRoles(), Severity: "p2", UpdatesBy: config.UpdatesByAnyone, NoticeTemplate: config.DefaultNoticeTemplate}
	e.RT.Mu.Unlock()
	ctx := newBrowser(t, chromiumPath)
	base := e.HTTP.URL
	if err := chromedp.Do(ctx, browserSetup(base)...); err != nil {
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
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/incidents"]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="title"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="title"]`), "Checkout times out"),
		chromedp.Submit(chromedp.CSS(`input[name="title"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#postmortem-link`)),
		chromedp.Click(chromedp.CSS(`#postmortem-link`)),
		chromedp.WaitVisible(chromedp.CSS(`#pm-body`)),
	)
	if err != nil {
		t.Fatalf("from the incident to its postmortem: %v", err)
	}
	draft, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#pm-body`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(draft, "## Timeline (UTC)") || !strings.Contains(draft, "Checkout times out") {
		t.Fatalf("the editor does not hold the generated draft: %q", draft)
	}
	if got := text(`#pm-unsaved`); got != "generated draft, not saved yet" {
		t.Errorf("unsaved note: %q", got)
	}

	body := "## Timeline (UTC)\n\n| time | event |\n|---|---|\n| 12:00 | the payment gateway pool ran dry |\n\n"
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#pm-body`), body),
		chromedp.SendKeys(chromedp.CSS(`#pm-body`), "Raise the pool size."),
		chromedp.SetValue(chromedp.CSS(`#pm-title-input`), "Checkout pool exhausted"),
		chromedp.Click(chromedp.CSS(`#pm-preview`)),
		chromedp.WaitVisible(chromedp.CSS(`#pm-rendered table td`)),
	)
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	if got := text(`#pm-rendered table tbody`); got != "12:00 the payment gateway pool ran dry" {
		t.Errorf("preview table: %q", got)
	}
	if got := text(`#pm-rendered p`); got != "Raise the pool size." {
		t.Errorf("preview of the typed text: %q", got)
	}
	if _, err := e.Store.Postmortem(t.Context(), 1); err == nil {
		t.Fatal("the preview stored the postmortem")
	}

	// Save, send for review, publish: each button leads to the page with
	// the next one.
	for _, step := range []struct{ click, next, state string }{
		{`#pm-save`, `#pm-review`, "draft"},
		{`#pm-review`, `#pm-publish`, "in_review"},
		{`#pm-publish`, `#pm-approved`, "published"},
	} {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(step.click)), chromedp.WaitVisible(chromedp.CSS(step.next))); err != nil {
			t.Fatalf("%s: %v", step.click, err)
		}
		if got := text(`#pm-state`); got != step.state {
			t.Errorf("state after %s: %q", step.click, got)
		}
		if got := text(`#pm-updated`); !strings.HasSuffix(got, "by admin") {
			t.Errorf("updated: %q", got)
		}
	}
	if got := text(`#pm-approved`); !strings.HasPrefix(got, "by admin") {
		t.Errorf("approved: %q", got)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#pm-body, #pm-save').length`)); err != nil || n != 0 {
		t.Errorf("a published postmortem still has an editor (%d, %v)", n, err)
	}
	p, err := e.Store.Postmortem(t.Context(), 1)
	if err != nil || p.State != store.PostmortemPublished || p.ApprovedBy != "admin" || p.Title != "Checkout pool exhausted" ||
		p.Body != body+"Raise the pool size." {
		t.Errorf("stored: %+v %v", p, err)
	}

	row := `tr[data-postmortem="1"]`
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/postmortems"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#postmortem-search input[name="q"]`)),
		chromedp.SendKeys(chromedp.CSS(`#postmortem-search input[name="q"]`), "GATEWAY POOL"),
		chromedp.Submit(chromedp.CSS(`#postmortem-search input[name="q"]`)),
		// The list shows every published postmortem before the search
		// too: wait for the answer to the search (its form holds the
		// words searched for), not for the row.
		chromedp.WaitVisible(chromedp.CSS(`#postmortem-search input[name="q"][value="GATEWAY POOL"]`)),
		chromedp.WaitVisible(chromedp.CSS(row)),
	)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	if got := text(row); !strings.Contains(got, "Checkout pool exhausted") || !strings.Contains(got, "the payment gateway pool ran dry") {
		t.Errorf("search result: %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(row+` a[href="/incidents/1/postmortem"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#pm-rendered table`)),
	)
	if err != nil {
		t.Fatalf("from the search to the postmortem: %v", err)
	}
	if got := text(`#pm-title`); got != "Checkout pool exhausted" {
		t.Errorf("title of the published postmortem: %q", got)
	}
}
