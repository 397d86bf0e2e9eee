package ui_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
)

// TestBrowserAudit: an administrator filters the audit log by action in a
// real browser and sees only the entries the filter selects; the CSV and
// JSON export links of the filtered page give those entries and no
// others.
func TestBrowserAudit(t *testing.T) {
	e, ctx := adminBrowser(t, func(o *web.Options) { o.Audit = audit.NewLog(o.Store, nil, o.Now) })
	for _, en := range []store.AuditEntry{
		{Actor: "user:ann", User: "ann", Action: "monitor.pause", ObjectKind: "monitor", ObjectID: "web", Summary: "paused web"},
		{Actor: "user:bob", User: "bob", Action: "silence.create", ObjectKind: "silence", ObjectID: "s1", Summary: "silenced db"},
		{Actor: "user:ann", User: "ann", Action: "monitor.resume", ObjectKind: "monitor", ObjectID: "web", Summary: "resumed web"},
	} {
		if _, err := e.Store.AddAudit(t.Context(), en); err != nil {
			t.Fatal(err)
		}
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return n
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#audit-filter input[name="action"]`)),
	); err != nil {
		t.Fatalf("browser: opening /audit: %v", err)
	}
	if n := count(`tr[data-action="silence.create"]`); n != 1 {
		t.Fatalf("unfiltered, %d silence.create rows, want 1", n)
	}
	actions := []chromedp.Action[chromedp.Void]{
		chromedp.SendKeys(chromedp.CSS(`#audit-filter input[name="action"]`), "monitor."),
	}
	actions = append(actions, submitted(`#audit-filter input[name="action"]`)...)
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: filtering: %v", err)
	}
	all, monitors := count(`tr[data-action]`), count(`tr[data-action^="monitor."]`)
	if all != 2 || monitors != 2 {
		t.Errorf("filtered by monitor.: %d rows, %d of them monitor.*, want 2 and 2", all, monitors)
	}
	if got := elementText(t, ctx, `tr[data-action="monitor.pause"]`); !strings.Contains(got, "user:ann") || !strings.Contains(got, "paused web") {
		t.Errorf("monitor.pause row: %q", got)
	}

	// fetch gets what a link leads to, with the browser's session.
	fetch := func(sel string) (contentType, body string) {
		t.Helper()
		out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`fetch(document.querySelector(`+jsString(sel)+`).href).then(async r => [String(r.status), r.headers.get("Content-Type"), await r.text()])`,
			chromedp.EvalAwaitPromise))
		if err != nil || len(out) != 3 {
			t.Fatalf("following %s: %v %q", sel, err, out)
		}
		if out[0] != "200" {
			t.Fatalf("following %s: status %s: %s", sel, out[0], out[2])
		}
		return out[1], out[2]
	}
	ct, csv := fetch(`#audit-csv`)
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if !strings.HasPrefix(ct, "text/csv") || len(lines) != 3 || !strings.Contains(csv, "monitor.pause") || !strings.Contains(csv, "monitor.resume") || strings.Contains(csv, "silence.create") {
		t.Errorf("CSV export (%s):\n%s", ct, csv)
	}
	ct, js := fetch(`#audit-json`)
	var list struct {
		Data []struct{ Action, Actor string }
	}
	if err := json.Unmarshal([]byte(js), &list); err != nil || !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("JSON export (%s): %v\n%s", ct, err, js)
	}
	if len(list.Data) != 2 || list.Data[0].Action != "monitor.resume" || list.Data[1].Action != "monitor.pause" || list.Data[0].Actor != "user:ann" {
		t.Errorf("JSON export: %+v", list.Data)
	}
}

// jsString quotes s as a JavaScript string.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
