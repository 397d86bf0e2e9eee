package ui_test

import (
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestWhoToContactPage(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	c := e.Setup()
	r := e.Get(c, "/services/shop?tz=Europe/Paris")
	if testing.Verbose() {
		t.Log(r.Body)
	}
	if r.Status != 200 {
		t.Fatalf("/services/shop: %d\n%s", r.Status, r.Body)
	}
	for _, want := range []string{
		"Who to contact: Web shop",
		`<dd id="owners"><span class="owner" data-owner="appsupport">Application support`,
		// On call now, with their local time (Oslo) and the next handoff
		// in the viewer's zone with UTC beside.
		`<tr data-duty="ann"><td><strong>Ann Berg</strong>`,
		`<a href="tel:&#43;47%20555%2001%20234">&#43;47 555 01 234</a>`,
		"Sun 13:00 CET",
		`<li data-next>`, "Mar 2 09:00 CET / Mar 2 08:00 UTC", "Technical support: <strong>Bob Dahl</strong>",
		// The escalation path, each step resolved now.
		"Escalation: Shop escalation",
		`<li data-step="1"><strong>at once</strong>`, `<li data-recipient="person:ann"><strong>Ann Berg</strong>`,
		`<li data-step="2"><strong>after 15m</strong>`, `<li data-recipient="person:bob"><strong>Bob Dahl</strong>`,
		"hook at once, mail (bob@example.com) after 5m",
		`<li data-recipient="person:cid"><strong>Cid Ek</strong>`, `<span class="error" data-problem>Cid Ek has no usable contact</span>`,
		`<li data-recipient="channel:room"><strong>room</strong>`,
		// Runbook as a link, contacts, dependencies with their state.
		`<a href="https://wiki.example.com/shop" rel="noopener noreferrer">https://wiki.example.com/shop</a>`,
		"ERP vendor hotline &#43;47 800 12 345",
		`<li data-dependency="service:db"><a href="/services/db">Database</a>`,
		`<li data-dependency="host:db1"><span class="badge down">down</span> db1.example.com`,
		// What watches it.
		`<tr data-watcher="web"><td><span class="badge up" data-state="up">up</span></td><td><a href="/monitors/web">Website</a>`,
		`<tr data-watcher="api"><td><span class="badge down"`,
		// The warning of the path.
		`<li data-warning>step 2 (team:appsupport): Cid Ek has no usable contact</li>`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("/services/shop lacks %q", want)
		}
	}
	// db: needed by shop; stray: no owner, no policy.
	if r := e.Get(c, "/services/db"); !strings.Contains(r.Body, `<li data-dependency="service:shop"><span class="badge down">down</span> <a href="/services/shop">Web shop</a>`) {
		t.Errorf("/services/db does not show shop as a dependent:\n%s", r.Body)
	}
	r = e.Get(c, "/services/stray")
	for _, want := range []string{`service &#34;stray&#34; has no owner`, "No escalation policy: an alert of this service pages nobody", `<dd id="owners"><span class="error">nobody</span>`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("/services/stray lacks %q", want)
		}
	}
	if r := e.Get(c, "/services/nope"); r.Status != 404 {
		t.Errorf("/services/nope: %d, want 404", r.Status)
	}
}

func TestDirectory(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	c := e.Setup()
	rows := func(path string) []string {
		r := e.Get(c, path)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		var out []string
		for _, kind := range []string{"service", "person", "team"} {
			for _, part := range strings.Split(r.Body, `<tr data-`+kind+`="`)[1:] {
				out = append(out, kind+":"+part[:strings.IndexByte(part, '"')])
			}
		}
		return out
	}
	tests := map[string][]string{
		"/services":                   {"service:shop", "service:db", "service:stray", "person:ann", "person:bob", "person:cid", "team:appsupport"},
		"/services?q=erp":             {"service:shop"},                                  // a tag
		"/services?q=BOB":             {"service:shop", "person:bob", "team:appsupport"}, // an owner's member, the person, a member
		"/services?q=ann":             {"service:shop", "service:db", "person:ann"},      // on call now for both
		"/services?q=%2B47+555":       {"person:ann"},                                    // a phone number
		"/services?q=application+bob": {"service:shop", "team:appsupport"},
		"/services?q=zzz":             nil,
	}
	for path, want := range tests {
		if got := rows(path); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s rows = %v, want %v", path, got, want)
		}
	}
	all := e.Get(c, "/services")
	for _, want := range []string{"3 warnings:", `<li data-warning="person_without_contact">person &#34;cid&#34; has no usable contact`, `<li data-warning="service_without_owner"><a href="/services/stray">service &#34;stray&#34; has no owner`,
		`<li data-warning="service_without_escalation_policy"><a href="/services/stray">`} {
		if !strings.Contains(all.Body, want) {
			t.Errorf("/services lacks %q", want)
		}
	}
	if strings.Contains(e.Get(c, "/services?q=shop").Body, "data-warning") {
		t.Error("a search shows every warning")
	}
	if r := e.Get(c, "/services?q=zzz"); !strings.Contains(r.Body, "Nothing matches “zzz”") {
		t.Error("an empty search does not say so")
	}
	if r := e.Get(c, "/services?q="+strings.Repeat("a", 201)); r.Status != 400 {
		t.Errorf("a long search: %d, want 400", r.Status)
	}
	if r := e.Get(c, "/"); !strings.Contains(r.Body, `<a href="/services">Directory</a>`) {
		t.Error("the navigation lacks the directory")
	}
}

func TestPagesLinkWhoToContact(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.OncallShop(e)
	c := e.Setup()
	for path, want := range map[string]string{
		"/":             `<p class="small who"><a href="/services/shop">Who to contact</a></p>`,
		"/monitors/web": `<dd>Web shop <a class="small" href="/services/shop">who to contact</a>`,
	} {
		if r := e.Get(c, path); !strings.Contains(r.Body, want) {
			t.Errorf("%s lacks %q", path, want)
		}
	}
}
