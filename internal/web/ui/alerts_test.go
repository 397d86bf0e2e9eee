package ui_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// openShopAlert opens the alert of the service shop (monitors api and
// web, policy shop), fires its first step with a problem, as the
// escalator would, and returns its id.
func openShopAlert(t *testing.T, e *webtest.Env) int64 {
	t.Helper()
	now := e.Clock.Now()
	if err := e.Store.SaveBatch(t.Context(), store.Batch{Alerts: []store.AlertChange{
		{GroupKey: "shop", ServiceID: "shop", PolicyID: "shop", MonitorID: "api", Down: true, Time: now, Reason: "503", FirstStep: now},
		{GroupKey: "shop", ServiceID: "shop", PolicyID: "shop", MonitorID: "web", Down: true, Time: now, Reason: "timeout"},
	}}); err != nil {
		t.Fatal(err)
	}
	a, err := e.Store.ActiveAlert(t.Context(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	ts, err := e.Store.ClaimTimers(t.Context(), "test", now, time.Minute, 10)
	if err != nil || len(ts) != 1 {
		t.Fatalf("claim: %v %v", ts, err)
	}
	if err := e.Store.FireTimer(t.Context(), store.TimerFiring{Timer: ts[0], Step: 1,
		Actions: []store.AlertAction{
			{Time: now, Kind: store.ActionEscalated, Who: "system", Step: 1, Target: "schedule:tech-support", Detail: "step 1 of policy shop, round 1"},
			{Time: now, Kind: store.ActionNotified, Who: "system", Step: 1, Target: "schedule:tech-support", Channel: "mail", Address: "ann@example.com", Detail: "person:ann"},
			{Time: now, Kind: store.ActionProblem, Who: "system", Step: 1, Target: "person:cid", Detail: "Cid Ek has no usable contact"},
		},
		Next: []store.AlertTimer{{AlertID: a.ID, DueAt: now.Add(15 * time.Minute), Kind: store.TimerStep, Step: 2}},
	}); err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func pageText(body string) string {
	tags := regexp.MustCompile(`<[^>]*>`)
	s := strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(body, " "))), " ")
	return strings.NewReplacer(" ,", ",", "( ", "(", " )", ")", " :", ":").Replace(s)
}

// alertPart returns the text of the element with the given id attribute up
// to the next id="...", stripped of tags.
func alertPart(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i+len(id)+5:]
	if j := strings.Index(rest, `<section`); j >= 0 {
		rest = rest[:j]
	}
	return pageText(rest)
}

// TestAlertPages lists a paged alert, shows it with its monitors, its
// escalation path and its log, and acts on it with the buttons: each
// action recorded with the signed-in user; a cross-origin post, an
// action the state does not allow, a bad snooze and an unknown alert are
// refused with nothing done.
func TestAlertPages(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	c := e.Setup()
	if r := e.Get(c, "/alerts"); r.Status != 200 || !strings.Contains(r.Body, "No alerts.") || !strings.Contains(r.Body, `<a href="/alerts">Alerts</a>`) {
		t.Fatalf("empty list: %d", r.Status)
	}
	if r := e.Get(c, "/"); strings.Contains(r.Body, "alerts-banner") {
		t.Error("the overview shows an alert banner without alerts")
	}
	id := openShopAlert(t, e)
	base := fmt.Sprintf("/alerts/%d", id)
	e.Clock.Add(3 * time.Minute)

	list := e.Get(c, "/alerts")
	row := pageText(list.Body[strings.Index(list.Body, `<tr data-alert="`+fmt.Sprint(id)+`"`):])
	for _, want := range []string{"open", "Web shop", "2: API, Website", "12:00 UTC (3 min)", "step 1"} {
		if !strings.Contains(row, want) {
			t.Errorf("the list row lacks %q: %s", want, row)
		}
	}
	if r := e.Get(c, "/alerts?state=acknowledged"); !strings.Contains(r.Body, "No acknowledged alerts.") {
		t.Error("the acknowledged filter shows the open alert")
	}
	if r := e.Get(c, "/alerts?state=sleeping"); r.Status != http.StatusBadRequest {
		t.Errorf("an unknown state: %d", r.Status)
	}
	if r := e.Get(c, "/"); !strings.Contains(alertPart(r.Body, "alerts-banner"), "1 active alert: 1 open.") {
		t.Errorf("overview banner: %q", alertPart(r.Body, "alerts-banner"))
	}
	if got := alertPart(e.Get(c, "/services/shop").Body, "service-alerts"); !strings.Contains(got, "#"+fmt.Sprint(id)) || !strings.Contains(got, "open") {
		t.Errorf("the who-to-contact page lacks the alert: %q", got)
	}
	if got := alertPart(e.Get(c, "/services/db").Body, "service-alerts"); got != "" {
		t.Errorf("the alert of shop shows on db's page: %q", got)
	}

	page := e.Get(c, base)
	if page.Status != 200 {
		t.Fatalf("GET %s: %d", base, page.Status)
	}
	for _, button := range []string{`action="` + base + `/ack"`, `name="for" value="1h"`, `name="for" value="4h"`, `id="snooze-custom"`, `action="` + base + `/resolve"`} {
		if !strings.Contains(page.Body, button) {
			t.Errorf("the open alert's page lacks %s", button)
		}
	}
	if got := alertPart(page.Body, "problems"); !strings.Contains(got, "step 1: person:cid: Cid Ek has no usable contact") {
		t.Errorf("problems banner: %q", got)
	}
	if got := alertPart(page.Body, "monitors"); !strings.Contains(got, "down down API 503") || !strings.Contains(got, "down up Website timeout") {
		t.Errorf("monitors: %q", got)
	}
	path := alertPart(page.Body, "path")
	for _, want := range []string{"Shop escalation", "at once after the alert opened (12:00 UTC): schedule:tech-support ran round 1 at 12:00 UTC",
		"after 15m after the alert opened (12:15 UTC): team:appsupport next: 12:15 UTC (in 12 min)"} {
		if !strings.Contains(path, want) {
			t.Errorf("path lacks %q: %s", want, path)
		}
	}
	if got := alertPart(page.Body, "alert"); !strings.Contains(got, "step 1; step 2 12:15 UTC (in 12 min)") {
		t.Errorf("escalation state: %q", got)
	}
	log := alertPart(page.Body, "log")
	for _, want := range []string{"opened Tocsin", "joined Tocsin", "escalated Tocsin 1 schedule:tech-support", "notified Tocsin 1 schedule:tech-support via mail (ann@example.com)", "problem Tocsin 1 person:cid Cid Ek has no usable contact"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q: %s", want, log)
		}
	}

	// Cross-origin posts are refused before they reach the alert.
	for _, hdr := range []map[string]string{
		{"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
		{"Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"},
	} {
		if r := e.Do(c, "POST", base+"/ack", nil, hdr); r.Status != http.StatusForbidden {
			t.Errorf("cross-origin ack with %v: %d, want 403", hdr, r.Status)
		}
	}
	if a, _ := e.Store.Alert(t.Context(), id); a.State != store.AlertOpen {
		t.Fatalf("a cross-origin post acknowledged the alert: %s", a.State)
	}
	// Without a login the buttons do nothing either.
	if r := e.PostForm(e.Client(), base+"/ack", nil); r.Status == http.StatusSeeOther && !strings.Contains(r.Header.Get("Location"), "/login") {
		t.Errorf("ack without a login: %d %s", r.Status, r.Header.Get("Location"))
	}
	if a, _ := e.Store.Alert(t.Context(), id); a.State != store.AlertOpen {
		t.Fatalf("a post without a login acknowledged the alert: %s", a.State)
	}

	if r := e.PostForm(c, base+"/ack", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != base {
		t.Fatalf("ack: %d %s", r.Status, r.Header.Get("Location"))
	}
	page = e.Get(c, base)
	if got := alertPart(page.Body, "alert"); !strings.Contains(got, "acknowledged by admin at 12:03 UTC") || !strings.Contains(got, "Unacknowledge") || strings.Contains(got, "step 2 12:15") {
		t.Errorf("after ack: %q", got)
	}
	if log := alertPart(page.Body, "log"); !strings.Contains(log, "acknowledged admin 1 via the web UI") {
		t.Errorf("log after ack: %s", log)
	}
	if r := e.PostForm(c, base+"/ack", nil); r.Status != http.StatusConflict || !strings.Contains(alertPart(r.Body, "act-error"), "acknowledged already, by user:admin") {
		t.Errorf("second ack: %d %q", r.Status, alertPart(r.Body, "act-error"))
	}
	for _, bad := range []string{"", "soon", "-5m"} {
		if r := e.PostForm(c, base+"/snooze", url.Values{"for": {bad}}); r.Status != http.StatusBadRequest || !strings.Contains(alertPart(r.Body, "act-error"), "Invalid snooze") {
			t.Errorf("snooze %q: %d %q", bad, r.Status, alertPart(r.Body, "act-error"))
		}
	}
	if r := e.PostForm(c, base+"/snooze", url.Values{"for": {"4h"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("snooze: %d", r.Status)
	}
	if got := alertPart(e.Get(c, base).Body, "alert"); !strings.Contains(got, "snoozed until 16:03 UTC") {
		t.Errorf("after snooze: %q", got)
	}
	e.Clock.Add(time.Minute)
	if r := e.PostForm(c, base+"/unack", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("unack: %d", r.Status)
	}
	if a, _ := e.Store.Alert(t.Context(), id); a.State != store.AlertOpen {
		t.Errorf("after unack: %s", a.State)
	}
	if r := e.PostForm(c, base+"/unack", nil); r.Status != http.StatusConflict || !strings.Contains(r.Body, "is not acknowledged") {
		t.Errorf("unack of an open alert: %d", r.Status)
	}
	if r := e.PostForm(c, base+"/resolve", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("resolve: %d", r.Status)
	}
	page = e.Get(c, base)
	if got := alertPart(page.Body, "alert"); !strings.Contains(got, "resolved by admin at 12:04 UTC") || strings.Contains(page.Body, `id="actions"`) {
		t.Errorf("after resolve: %q", got)
	}
	log = alertPart(page.Body, "log")
	for _, want := range []string{"snoozed admin 1 until 2026-03-01T16:03:00Z via the web UI", "unacknowledged admin 1 via the web UI", "resolved admin via the web UI"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q: %s", want, log)
		}
	}
	if r := e.Get(c, "/"); strings.Contains(r.Body, "alerts-banner") {
		t.Error("the overview still shows a banner after the alert resolved")
	}

	for _, p := range []string{"/alerts/999", "/alerts/abc", "/alerts/-1", "/alerts/0"} {
		if r := e.Get(c, p); r.Status != http.StatusNotFound || !strings.Contains(r.Body, "There is no alert") {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	if r := e.PostForm(c, "/alerts/999/ack", nil); r.Status != http.StatusNotFound {
		t.Errorf("ack of no alert: %d", r.Status)
	}
}

// TestAlertsPaged pages the list with ?before= and keeps the state filter
// in the link to older alerts; a reason holding markup and invalid UTF-8
// is shown as text.
func TestAlertsPaged(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	var b store.Batch
	for i := range 3 {
		b.Alerts = append(b.Alerts, store.AlertChange{GroupKey: fmt.Sprintf("monitor:m%d", i), MonitorID: fmt.Sprintf("m%d", i), Down: true, Time: e.Clock.Now(), Reason: "<script>alert(1)</script>\xff"})
	}
	if err := e.Store.SaveBatch(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	r := e.Get(c, "/alerts?state=open&limit=2")
	if n := strings.Count(r.Body, "<tr data-alert="); n != 2 || !strings.Contains(r.Body, `href="/alerts?before=2&amp;state=open"`) {
		t.Fatalf("first page: %d rows\n%s", n, r.Body)
	}
	r = e.Get(c, "/alerts?state=open&before=2")
	if n := strings.Count(r.Body, "<tr data-alert="); n != 1 || !strings.Contains(r.Body, `<tr data-alert="1">`) || !strings.Contains(r.Body, "m0") {
		t.Errorf("second page: %d rows", n)
	}
	if r := e.Get(c, "/alerts/1"); r.Status != 200 || strings.Contains(r.Body, "<script>alert(1)") || !strings.Contains(r.Body, "&lt;script&gt;alert(1)") {
		t.Errorf("a hostile reason on the alert's page: %d", r.Status)
	}
	if r := e.Get(c, "/alerts?before=x"); r.Status != http.StatusBadRequest {
		t.Errorf("a bad cursor: %d", r.Status)
	}
}
