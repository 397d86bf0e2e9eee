package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// postmortemEnv starts a server with n incidents declared by hand.
func postmortemEnv(t *testing.T, titles ...string) (*webtest.Env, *http.Client) {
	t.Helper()
	e := webtest.New(t, nil)
	e.RT.Cfg.Incidents = config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(),
		Roles: config.DefaultIncidentRoles(), Severity: "p2", UpdatesBy: config.UpdatesByAnyone, NoticeTemplate: config.DefaultNoticeTemplate}
	c := e.Setup()
	for _, title := range titles {
		if r := e.PostForm(c, "/incidents", url.Values{"title": {title}, "severity": {"p2"}, "kind": {"staff"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("declaring %q: %d %s", title, r.Status, r.Body)
		}
	}
	return e, c
}

// rendered is the rendered Markdown of a postmortem page.
func rendered(t *testing.T, body string) string {
	t.Helper()
	_, after, ok := strings.Cut(body, `id="pm-rendered">`)
	if !ok {
		t.Fatalf("no rendered postmortem in:\n%s", body)
	}
	html, _, _ := strings.Cut(after, "</article>")
	return html
}

// TestPostmortemPages writes a postmortem in the editor from its draft,
// previews, saves, reviews and publishes it, then prints, downloads and
// finds it; a published one refuses edits and keeps the refused text.
func TestPostmortemPages(t *testing.T) {
	t.Parallel()
	e, c := postmortemEnv(t, "Disk full on db1")
	if r := e.Get(c, "/incidents/1"); !strings.Contains(r.Body, `href="/incidents/1/postmortem"`) {
		t.Fatalf("incident page has no link to its postmortem: %s", r.Body)
	}
	r := e.Get(c, "/incidents/1/postmortem")
	if r.Status != 200 || !strings.Contains(r.Body, "generated draft, not saved yet") || !strings.Contains(r.Body, "## Timeline (UTC)") ||
		!strings.Contains(r.Body, `value="Disk full on db1"`) || strings.Contains(r.Body, `id="pm-review"`) {
		t.Fatalf("editor with the draft: %d %s", r.Status, r.Body)
	}
	body := "# Disk full\n\n| time | event |\n|---|---|\n| 12:00 | log rotation stopped |\n"
	r = e.PostForm(c, "/incidents/1/postmortem", url.Values{"title": {"Disk full"}, "body": {body}, "do": {"preview"}})
	if r.Status != 200 || !strings.Contains(rendered(t, r.Body), "<td>log rotation stopped</td>") {
		t.Fatalf("preview: %d %s", r.Status, r.Body)
	}
	if _, err := e.Store.Postmortem(t.Context(), 1); errs.Code(err) != errs.ENOTFOUND {
		t.Fatalf("a preview stored the postmortem: %v", err)
	}
	if r = e.PostForm(c, "/incidents/1/postmortem", url.Values{"title": {"Disk full"}, "body": {body}, "do": {"save"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	r = e.Get(c, "/incidents/1/postmortem")
	if !strings.Contains(r.Body, `data-state="draft"`) || !strings.Contains(r.Body, "by admin") || !strings.Contains(r.Body, `id="pm-review"`) ||
		strings.Contains(r.Body, "not saved yet") || !strings.Contains(r.Body, "log rotation stopped") {
		t.Fatalf("saved draft: %s", r.Body)
	}
	if r := e.PostForm(c, "/incidents/1/postmortem/state", url.Values{"state": {"published"}}); r.Status != http.StatusConflict ||
		!strings.Contains(r.Body, "cannot move to published") {
		t.Errorf("publish a draft: %d %s", r.Status, r.Body)
	}
	if r := e.PostForm(c, "/incidents/1/postmortem/state", url.Values{"state": {"bogus"}}); r.Status != http.StatusBadRequest ||
		!strings.Contains(r.Body, "is not one of") {
		t.Errorf("unknown state: %d %s", r.Status, r.Body)
	}
	for _, st := range []string{"in_review", "draft", "in_review", "published"} {
		if r := e.PostForm(c, "/incidents/1/postmortem/state", url.Values{"state": {st}}); r.Status != http.StatusSeeOther {
			t.Fatalf("move to %s: %d %s", st, r.Status, r.Body)
		}
	}
	r = e.Get(c, "/incidents/1/postmortem")
	if !strings.Contains(r.Body, `data-state="published"`) || !strings.Contains(r.Body, `id="pm-approved">by admin`) ||
		strings.Contains(r.Body, `id="pm-body"`) || strings.Contains(r.Body, `id="pm-publish"`) ||
		!strings.Contains(rendered(t, r.Body), "<td>log rotation stopped</td>") {
		t.Fatalf("published, read-only: %s", r.Body)
	}
	r = e.PostForm(c, "/incidents/1/postmortem", url.Values{"title": {"Rewritten"}, "body": {"my late edit"}, "do": {"save"}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "is published and can no longer be edited") ||
		!strings.Contains(r.Body, `id="pm-unsaved-text">my late edit</textarea>`) {
		t.Errorf("edit of a published postmortem: %d %s", r.Status, r.Body)
	}
	if p, err := e.Store.Postmortem(t.Context(), 1); err != nil || p.Body != body || p.Title != "Disk full" || p.ApprovedBy != "admin" {
		t.Errorf("stored after the refused edit: %+v %v", p, err)
	}

	r = e.Get(c, "/incidents/1/postmortem?print=1")
	if r.Status != 200 || strings.Contains(r.Body, "<nav") || strings.Contains(r.Body, "Log out") || !strings.Contains(r.Body, `<body class="print">`) ||
		!strings.Contains(rendered(t, r.Body), "<table>") || !strings.Contains(r.Body, `<h1 id="pm-title">Disk full</h1>`) {
		t.Errorf("printable page: %d %s", r.Status, r.Body)
	}
	r = e.Get(c, "/incidents/1/postmortem.md")
	if r.Status != 200 || r.Body != body || r.Header.Get("Content-Disposition") != `attachment; filename="incident-1-postmortem.md"` ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "text/markdown") {
		t.Errorf("download: %d %v %q", r.Status, r.Header, r.Body)
	}

	r = e.Get(c, "/postmortems?q=LOG+ROTATION")
	if r.Status != 200 || !strings.Contains(r.Body, `<a href="/incidents/1/postmortem"><strong>Disk full</strong></a>`) ||
		!strings.Contains(r.Body, "12:00 | log rotation stopped") {
		t.Errorf("search: %d %s", r.Status, r.Body)
	}
	if r := e.Get(c, "/postmortems?q=kernel+panic"); r.Status != 200 || strings.Contains(r.Body, "data-postmortem=") ||
		!strings.Contains(r.Body, "No published postmortem mentions “kernel panic”") {
		t.Errorf("search without a match: %d %s", r.Status, r.Body)
	}
	if r := e.Get(c, "/"); !strings.Contains(r.Body, `<a href="/postmortems">Postmortems</a>`) {
		t.Errorf("nav has no Postmortems")
	}
}

// TestPostmortemSearchPages pages through published postmortems; drafts
// are not listed.
func TestPostmortemSearchPages(t *testing.T) {
	t.Parallel()
	e, c := postmortemEnv(t, "one", "two", "three", "four")
	ctx := t.Context()
	for id := int64(1); id <= 4; id++ {
		if _, err := e.Store.SavePostmortem(ctx, store.Postmortem{IncidentID: id, Title: fmt.Sprintf("Outage %d", id), Body: "cache stampede"}, "ann"); err != nil {
			t.Fatal(err)
		}
		if id == 3 {
			continue
		}
		for _, st := range []string{store.PostmortemInReview, store.PostmortemPublished} {
			if _, err := e.Store.SetPostmortemState(ctx, id, st, "bo"); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := e.Get(c, "/postmortems?q=stampede&limit=2")
	if r.Status != 200 || !strings.Contains(r.Body, `data-postmortem="4"`) || !strings.Contains(r.Body, `data-postmortem="2"`) ||
		strings.Contains(r.Body, `data-postmortem="3"`) || !strings.Contains(r.Body, `href="/postmortems?before=2&amp;q=stampede">Older`) {
		t.Fatalf("first page: %d %s", r.Status, r.Body)
	}
	r = e.Get(c, "/postmortems?before=2&q=stampede&limit=2")
	if r.Status != 200 || !strings.Contains(r.Body, `data-postmortem="1"`) || strings.Contains(r.Body, `data-postmortem="2"`) ||
		strings.Contains(r.Body, "Older") || !strings.Contains(r.Body, `href="/postmortems?q=stampede">← Newest`) {
		t.Fatalf("second page: %d %s", r.Status, r.Body)
	}
	if r := e.Get(c, "/postmortems?limit=-1"); r.Status != http.StatusBadRequest {
		t.Errorf("bad limit: %d", r.Status)
	}
}

// TestPostmortemRefusals: unknown incidents are 404 on every postmortem
// page, a form from another site is refused and changes nothing, state
// moves need a saved postmortem, and an oversized text is answered in
// the form with the text kept.
func TestPostmortemRefusals(t *testing.T) {
	t.Parallel()
	e, c := postmortemEnv(t, "Checkout fails")
	for _, r := range []webtest.Response{
		e.Get(c, "/incidents/99/postmortem"),
		e.Get(c, "/incidents/99/postmortem?print=1"),
		e.Get(c, "/incidents/99/postmortem.md"),
		e.Get(c, "/incidents/x/postmortem"),
		e.PostForm(c, "/incidents/99/postmortem", url.Values{"title": {"t"}, "body": {"b"}, "do": {"save"}}),
		e.PostForm(c, "/incidents/99/postmortem/state", url.Values{"state": {"in_review"}}),
	} {
		if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "There is no incident") {
			t.Errorf("unknown incident: %d %s", r.Status, r.Body)
		}
	}
	form := url.Values{"title": {"Forged"}, "body": {"forged"}, "do": {"save"}}
	for _, hdr := range []map[string]string{
		{"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
		{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"},
	} {
		if r := e.Do(c, "POST", "/incidents/1/postmortem", strings.NewReader(form.Encode()), hdr); r.Status != http.StatusForbidden {
			t.Errorf("cross-origin save %v: %d", hdr, r.Status)
		}
	}
	if _, err := e.Store.Postmortem(t.Context(), 1); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("a cross-origin form stored a postmortem: %v", err)
	}
	if r := e.PostForm(c, "/incidents/1/postmortem/state", url.Values{"state": {"in_review"}}); r.Status != http.StatusConflict ||
		!strings.Contains(r.Body, "Save the postmortem before") {
		t.Errorf("review before saving: %d %s", r.Status, r.Body)
	}
	huge := strings.Repeat("x", 501)
	if r := e.PostForm(c, "/incidents/1/postmortem", url.Values{"title": {huge}, "body": {"kept text"}, "do": {"save"}}); r.Status != http.StatusBadRequest ||
		!strings.Contains(r.Body, "title 500") || !strings.Contains(r.Body, ">kept text</textarea>") {
		t.Errorf("oversized title: %d %s", r.Status, r.Body)
	}
}

// TestPostmortemHostileMarkdown: scripts, javascript: links and event
// handlers in a postmortem never reach the page, in the preview, the
// published view or the printable page.
func TestPostmortemHostileMarkdown(t *testing.T) {
	t.Parallel()
	e, c := postmortemEnv(t, "XSS")
	hostile := "# Boom\n\n<script>alert('s')</script>\n\n[runbook](javascript:alert('j'))\n\n" +
		"<img src=x onerror=\"alert('e')\"><a href=\"jAvAsCrIpT:alert('a')\" onclick=\"alert('c')\">x</a>\n\n<svg onload=\"alert('v')\"></svg>\n\n| a |\n|---|\n| b |\n"
	check := func(what, body string) {
		t.Helper()
		html := strings.ToLower(rendered(t, body))
		for _, bad := range []string{"<script", "javascript:", "onerror", "onclick", "onload", "alert(", "<svg"} {
			if strings.Contains(html, bad) {
				t.Errorf("%s: %q left in %s", what, bad, html)
			}
		}
		if !strings.Contains(html, "<h1>boom</h1>") || !strings.Contains(html, "<table>") {
			t.Errorf("%s: harmless parts lost: %s", what, html)
		}
	}
	r := e.PostForm(c, "/incidents/1/postmortem", url.Values{"title": {"Boom"}, "body": {hostile}, "do": {"preview"}})
	check("preview", r.Body)
	if r := e.PostForm(c, "/incidents/1/postmortem", url.Values{"title": {"Boom"}, "body": {hostile}, "do": {"save"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d", r.Status)
	}
	for _, st := range []string{"in_review", "published"} {
		e.PostForm(c, "/incidents/1/postmortem/state", url.Values{"state": {st}})
	}
	check("published", e.Get(c, "/incidents/1/postmortem").Body)
	check("print", e.Get(c, "/incidents/1/postmortem?print=1").Body)
	if p, err := e.Store.Postmortem(t.Context(), 1); err != nil || p.Body != hostile {
		t.Errorf("the Markdown itself is kept as written: %v %q", err, p.Body)
	}
}
