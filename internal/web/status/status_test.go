package status_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/status"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// Private things the page must never show: a failure reason, a target
// host, a monitor's id and name, an owner's address.
var private = []string{"10.9.8.7", "api.example", "db.internal", "carol@example.com", "Carol", "secret-reason", "https://shop.example/"}

// newEnv starts a server whose configuration has a status page "public"
// with two components: the service shop (monitors web, up, and api, down)
// and "Back office" (the services db and mail: db down, mail's monitor
// down too).
func newEnv(t *testing.T, opt func(*web.Options)) *webtest.Env {
	t.Helper()
	e := webtest.New(t, func(o *web.Options) {
		rt := o.Runtime.(*webtest.Runtime)
		rt.Views = append(rt.Views,
			webtest.HTTPMonitor("db", "Database db.internal", "db", "https://db.internal:5432/", monitor.StatusDown),
			webtest.HTTPMonitor("mailq", "Mail queue", "mail", "https://mail.internal/", monitor.StatusDown))
		last := probe.Result{MonitorID: "api", Time: time.Date(2026, 3, 1, 11, 59, 0, 0, time.UTC), Status: probe.Critical,
			Reason: "secret-reason: connect 10.9.8.7:443 refused"}
		rt.Views[1].LastResult = &last
		rt.Cfg = &config.Config{
			Server:   config.Server{BaseURL: "https://status.example.org"},
			People:   []config.Person{{ID: "carol", Name: "Carol", Email: "carol@example.com"}},
			Services: []config.Service{{ID: "shop", Name: "Web shop", Owners: []string{"carol"}}, {ID: "db", Name: "Database"}, {ID: "mail", Name: "Mail"}},
			StatusPages: []config.StatusPage{{ID: "public", Slug: "acme", Title: "Acme status", Description: "Our shop and back office.",
				Components: []config.StatusComponent{{Service: "shop"}, {Name: "Back office", Services: []string{"db", "mail"}}}}},
		}
		for _, v := range rt.Views {
			rt.Cfg.Monitors = append(rt.Cfg.Monitors, v.Config)
		}
		if opt != nil {
			opt(o)
		}
	})
	return e
}

func getJSON(t *testing.T, e *webtest.Env) status.JSON {
	t.Helper()
	r := e.Get(e.Client(), "/status/acme.json")
	if r.Status != http.StatusOK {
		t.Fatalf("GET .json: %d %s", r.Status, r.Body)
	}
	var out status.JSON
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
	return out
}

func noPrivate(t *testing.T, what, body string) {
	t.Helper()
	for _, p := range private {
		if strings.Contains(body, p) {
			t.Errorf("%s shows %q", what, p)
		}
	}
}

func TestPageStatesAndPrivacy(t *testing.T) {
	e := newEnv(t, nil)
	// A transition with a private reason, for the events.
	at := e.Clock.Now().Add(-time.Hour)
	if err := e.Store.SaveBatch(t.Context(), store.Batch{Transitions: []monitor.Transition{
		{MonitorID: "api", From: monitor.StatusUp, To: monitor.StatusDown, Time: at, Reason: "secret-reason at 10.9.8.7",
			Result: probe.Result{MonitorID: "api", Time: at, Status: probe.Critical, Reason: "secret-reason"}}}}); err != nil {
		t.Fatal(err)
	}
	c := e.Client()
	r := e.Get(c, "/status/acme")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /status/acme: %d %s", r.Status, r.Body)
	}
	for _, want := range []string{
		"<h1>Acme status</h1>", "Our shop and back office.",
		`<span>Web shop</span> <span class="state s-partial_outage">Partial outage</span>`,
		`<span>Back office</span> <span class="state s-major_outage">Major outage</span>`,
		`<p class="banner s-major_outage" role="status">Major outage</p>`,
		`<link rel="alternate" type="application/atom+xml" title="Acme status (Atom)" href="/status/acme/feed.atom">`,
		`<link rel="alternate" type="application/rss+xml"`,
		`aria-label="Daily uptime of Web shop, the last 90 days, oldest first"`,
		`<span class="sr">2026-03-01: no data</span>`,
		"Web shop: Partial outage</strong>",
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(r.Body, `<span class="sr">`); n != 2*status.Days {
		t.Errorf("%d bars with text, want %d", n, 2*status.Days)
	}
	if strings.Contains(r.Body, "<script") {
		t.Error("the page has a script")
	}
	noPrivate(t, "the page", r.Body)

	j := getJSON(t, e)
	if j.State != status.MajorOutage || len(j.Components) != 2 || j.Components[0].Key != "shop" || j.Components[1].Key != "back-office" ||
		j.Components[0].State != status.PartialOutage || len(j.Components[0].Days) != status.Days {
		t.Errorf("JSON: %+v", j)
	}
	raw := e.Get(c, "/status/acme.json")
	noPrivate(t, "the JSON", raw.Body)
	for _, f := range []string{"/status/acme/feed.atom", "/status/acme/feed.rss"} {
		noPrivate(t, f, e.Get(c, f).Body)
	}

	if r := e.Get(c, "/status/nope"); r.Status != http.StatusNotFound {
		t.Errorf("unknown slug: %d", r.Status)
	}
	if r := e.Get(c, "/status/style.css"); r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("style: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
}

func TestUptimeBarsFromRollups(t *testing.T) {
	e := newEnv(t, nil)
	day := time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC)
	// 100 results of web on Feb 27, 4 failed; 60 of api, all good.
	e.SaveResults("web", 100, day.Add(2*time.Hour), func(i int) probe.Status {
		if i%25 == 0 {
			return probe.Critical
		}
		return probe.OK
	})
	e.SaveResults("api", 60, day.Add(5*time.Hour), func(int) probe.Status { return probe.OK })
	if err := e.Store.Rollup(t.Context(), e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	j := getJSON(t, e)
	shop := j.Components[0]
	var got *status.JSONDay
	for i := range shop.Days {
		if shop.Days[i].Date == "2026-02-27" {
			got = &shop.Days[i]
		}
	}
	if got == nil || got.Uptime == nil || *got.Uptime != 156.0/160 {
		t.Fatalf("Feb 27: %+v", got)
	}
	if shop.Days[0].Date != "2025-12-02" || shop.Days[status.Days-1].Date != "2026-03-01" || shop.Days[0].Uptime != nil {
		t.Errorf("days from %s to %s", shop.Days[0].Date, shop.Days[status.Days-1].Date)
	}
	if shop.Uptime == nil || *shop.Uptime != 156.0/160 {
		t.Errorf("90-day uptime %v", shop.Uptime)
	}
	if j.Components[1].Uptime != nil {
		t.Errorf("back office has no results, uptime %v", *j.Components[1].Uptime)
	}
	page := e.Get(e.Client(), "/status/acme").Body
	if !strings.Contains(page, `<li class="major" title="2026-02-27: 97.50%"><span class="sr">2026-02-27: 97.50%</span></li>`) {
		t.Error("the page lacks the bar of Feb 27")
	}
}

// atom and rss are the parts of the feeds the tests read back.
type atom struct {
	Title   string `xml:"title"`
	Entries []struct {
		ID      string `xml:"id"`
		Title   string `xml:"title"`
		Updated string `xml:"updated"`
	} `xml:"entry"`
}

type rss struct {
	Channel struct {
		Title string `xml:"title"`
		Items []struct {
			Title string `xml:"title"`
			GUID  string `xml:"guid"`
		} `xml:"item"`
	} `xml:"channel"`
}

func TestFeedsFollowComponentStates(t *testing.T) {
	e := newEnv(t, nil)
	t0 := e.Clock.Now().Add(-3 * time.Hour)
	tr := []monitor.Transition{
		{MonitorID: "web", From: monitor.StatusUp, To: monitor.StatusDown, Time: t0, Reason: "secret-reason"},
		{MonitorID: "api", From: monitor.StatusUp, To: monitor.StatusDown, Time: t0.Add(10 * time.Minute), Reason: "secret-reason"},
		{MonitorID: "web", From: monitor.StatusDown, To: monitor.StatusUp, Time: t0.Add(20 * time.Minute)},
		{MonitorID: "api", From: monitor.StatusDown, To: monitor.StatusUp, Time: t0.Add(30 * time.Minute)},
		// Long ago: not in the feed.
		{MonitorID: "web", From: monitor.StatusDown, To: monitor.StatusUp, Time: t0.AddDate(0, -2, 0)},
	}
	if err := e.Store.SaveBatch(t.Context(), store.Batch{Transitions: tr}); err != nil {
		t.Fatal(err)
	}
	want := []string{"Web shop: Operational", "Web shop: Partial outage", "Web shop: Major outage", "Web shop: Partial outage"}
	c := e.Client()
	r := e.Get(c, "/status/acme/feed.atom")
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("atom: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	var a atom
	if err := xml.Unmarshal([]byte(r.Body), &a); err != nil {
		t.Fatalf("atom: %v\n%s", err, r.Body)
	}
	if a.Title != "Acme status" || len(a.Entries) != len(want) {
		t.Fatalf("atom: %+v", a)
	}
	for i, w := range want {
		if a.Entries[i].Title != w {
			t.Errorf("atom entry %d: %q, want %q", i, a.Entries[i].Title, w)
		}
		if !strings.HasPrefix(a.Entries[i].ID, "https://status.example.org/status/acme#state/shop/") {
			t.Errorf("atom entry id %q", a.Entries[i].ID)
		}
	}
	if a.Entries[0].Updated != t0.Add(30*time.Minute).Format(time.RFC3339) {
		t.Errorf("newest entry at %s", a.Entries[0].Updated)
	}
	r = e.Get(c, "/status/acme/feed.rss")
	var s rss
	if err := xml.Unmarshal([]byte(r.Body), &s); err != nil {
		t.Fatalf("rss: %v\n%s", err, r.Body)
	}
	if s.Channel.Title != "Acme status" || len(s.Channel.Items) != len(want) || s.Channel.Items[1].Title != want[1] {
		t.Errorf("rss: %+v", s)
	}
	if r := e.Get(c, "/status/nope/feed.rss"); r.Status != http.StatusNotFound {
		t.Errorf("unknown feed: %d", r.Status)
	}
}

func TestOverrideThroughTheAPI(t *testing.T) {
	e := newEnv(t, nil)
	c := e.Setup()
	tok := webtest.Bearer(e.Token(c, "ops"))
	anon := e.Client()
	if getJSON(t, e).Components[0].State != status.PartialOutage {
		t.Fatal("shop is not in partial outage to begin with")
	}
	post := func(h map[string]string, path, body string) webtest.Response {
		hdr := map[string]string{"Content-Type": "application/json"}
		for k, v := range h {
			hdr[k] = v
		}
		return e.Do(anon, "POST", path, strings.NewReader(body), hdr)
	}
	const path = "/api/v1/status-pages/public/components/shop/override"
	if r := post(nil, path, `{"state":"operational","reason":"x"}`); r.Status != http.StatusUnauthorized {
		t.Errorf("without a token: %d", r.Status)
	}
	for _, bad := range []struct {
		path, body string
		status     int
	}{
		{path, `{"state":"fine","reason":"x"}`, http.StatusBadRequest},
		{path, `{"state":"operational","reason":"  "}`, http.StatusBadRequest},
		{path, `{"state":"operational","reason":"x","extra":1}`, http.StatusBadRequest},
		{path, `{"state":"operational","reason":"` + strings.Repeat("x", 501) + `"}`, http.StatusBadRequest},
		{"/api/v1/status-pages/public/components/nope/override", `{"state":"operational","reason":"x"}`, http.StatusNotFound},
		{"/api/v1/status-pages/nope/components/shop/override", `{"state":"operational","reason":"x"}`, http.StatusNotFound},
	} {
		if r := post(tok, bad.path, bad.body); r.Status != bad.status {
			t.Errorf("POST %s %s: %d %s, want %d", bad.path, bad.body, r.Status, r.Body, bad.status)
		}
	}
	r := post(tok, path, `{"state":"maintenance","reason":"Moving to a new data centre <b>tonight</b>"}`)
	if r.Status != http.StatusOK {
		t.Fatalf("override: %d %s", r.Status, r.Body)
	}
	// At once, though the page was cached.
	j := getJSON(t, e)
	if got := j.Components[0]; got.State != status.Maintenance || got.Reason != "Moving to a new data centre <b>tonight</b>" {
		t.Errorf("after the override: %+v", got)
	}
	page := e.Get(anon, "/status/acme").Body
	if !strings.Contains(page, "Moving to a new data centre &lt;b&gt;tonight&lt;/b&gt;") || strings.Contains(page, "admin") {
		t.Error("the page does not show the reason as text, or shows who set it")
	}
	lr := e.Do(anon, "GET", "/api/v1/status-pages", nil, tok)
	if lr.Status != http.StatusOK || !strings.Contains(lr.Body, `"by": "admin"`) || !strings.Contains(lr.Body, `"state": "maintenance"`) {
		t.Errorf("list: %d %s", lr.Status, lr.Body)
	}
	if r := e.Do(anon, "DELETE", path, nil, tok); r.Status != http.StatusNoContent {
		t.Fatalf("clear: %d %s", r.Status, r.Body)
	}
	if r := e.Do(anon, "DELETE", path, nil, tok); r.Status != http.StatusNotFound {
		t.Errorf("clear again: %d", r.Status)
	}
	if got := getJSON(t, e).Components[0].State; got != status.PartialOutage {
		t.Errorf("after clearing: %s", got)
	}
}

func TestOverrideThroughTheForm(t *testing.T) {
	e := newEnv(t, nil)
	anon := e.Client()
	if r := e.Get(anon, "/status-pages"); r.Status != http.StatusSeeOther {
		t.Errorf("admin page without a login: %d", r.Status)
	}
	c := e.Setup()
	r := e.Get(c, "/status-pages")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `action="/status-pages/public/components/back-office/override"`) {
		t.Fatalf("admin page: %d %s", r.Status, r.Body)
	}
	r = e.PostForm(c, "/status-pages/public/components/back-office/override", url.Values{"state": {"degraded"}, "reason": {""}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "a reason is required") {
		t.Errorf("no reason: %d", r.Status)
	}
	r = e.PostForm(c, "/status-pages/public/components/back-office/override", url.Values{"state": {"degraded"}, "reason": {"Slow exports"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("set: %d %s", r.Status, r.Body)
	}
	if got := getJSON(t, e).Components[1]; got.State != status.Degraded || got.Reason != "Slow exports" {
		t.Errorf("after the form: %+v", got)
	}
	r = e.Get(c, "/status-pages")
	if !strings.Contains(r.Body, "Set by hand by admin") || !strings.Contains(r.Body, `action="/status-pages/public/components/back-office/override/clear"`) {
		t.Error("the admin page does not show the override")
	}
	if r := e.PostForm(c, "/status-pages/public/components/back-office/override/clear", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("clear: %d", r.Status)
	}
	if got := getJSON(t, e).Components[1].State; got != status.MajorOutage {
		t.Errorf("after clearing: %s", got)
	}
}

func TestPageIsCachedThirtySeconds(t *testing.T) {
	e := newEnv(t, nil)
	if getJSON(t, e).Components[0].State != status.PartialOutage {
		t.Fatal("not in partial outage")
	}
	e.RT.Mu.Lock()
	e.RT.Views[1].State.Status = monitor.StatusUp
	e.RT.Mu.Unlock()
	e.Clock.Add(29 * time.Second)
	if got := getJSON(t, e).Components[0].State; got != status.PartialOutage {
		t.Errorf("within 30s: %s, want the cached partial outage", got)
	}
	e.Clock.Add(time.Second)
	if got := getJSON(t, e).Components[0].State; got != status.Operational {
		t.Errorf("after 30s: %s", got)
	}
}

func TestMaintenanceShown(t *testing.T) {
	m := &webtest.Mutes{}
	e := newEnv(t, webtest.WithMutes(m))
	now := e.Clock.Now()
	ctx := context.Background()
	// Under way for the mail service, scheduled in two days for the shop,
	// and one too far ahead.
	for _, w := range []store.MaintenanceWindow{
		{Reason: "secret-reason: swap disks on db.internal", Services: []string{"mail"}, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour), CreatedBy: "admin"},
		{Reason: "secret-reason", Services: []string{"shop"}, StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(50 * time.Hour), CreatedBy: "admin"},
		{Reason: "far", Services: []string{"shop"}, StartsAt: now.Add(30 * 24 * time.Hour), EndsAt: now.Add(31 * 24 * time.Hour), CreatedBy: "admin"},
	} {
		if _, err := e.Store.AddMaintenance(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	m.Changed(ctx)
	j := getJSON(t, e)
	if len(j.Maintenance) != 2 || !j.Maintenance[0].Active || j.Maintenance[0].Components[0] != "Back office" ||
		j.Maintenance[1].Active || j.Maintenance[1].Components[0] != "Web shop" || !j.Maintenance[1].Start.Equal(now.Add(48*time.Hour)) {
		t.Errorf("maintenance: %+v", j.Maintenance)
	}
	// Back office: mail is in maintenance, db still down: all that counts
	// is down.
	if j.Components[1].State != status.MajorOutage {
		t.Errorf("back office: %s", j.Components[1].State)
	}
	page := e.Get(e.Client(), "/status/acme").Body
	if !strings.Contains(page, "<strong>In progress</strong>: Back office") || !strings.Contains(page, "Scheduled: Web shop, from") {
		t.Error("the page does not show the maintenance")
	}
	noPrivate(t, "the page", page)
	noPrivate(t, "the feed", e.Get(e.Client(), "/status/acme/feed.atom").Body)
}

func TestMaintenanceOfEveryMonitor(t *testing.T) {
	m := &webtest.Mutes{}
	e := newEnv(t, webtest.WithMutes(m))
	now := e.Clock.Now()
	if _, err := e.Store.AddMaintenance(t.Context(), store.MaintenanceWindow{Reason: "r", Services: []string{"db", "mail"},
		StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour), CreatedBy: "admin"}); err != nil {
		t.Fatal(err)
	}
	m.Changed(t.Context())
	if got := getJSON(t, e).Components[1].State; got != status.Maintenance {
		t.Errorf("back office: %s, want maintenance", got)
	}
}
