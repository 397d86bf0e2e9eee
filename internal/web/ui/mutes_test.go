package ui_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestMaintenancePage starts a window for a service from the Maintenance
// page, finds it active there and on the monitor page and the overview,
// ends it early, and finds bad input answered on the page with a 400.
func TestMaintenancePage(t *testing.T) {
	t.Parallel()
	m := &webtest.Mutes{}
	e := webtest.New(t, webtest.WithMutes(m))
	c := e.Setup()
	if r := e.Get(c, "/"); !strings.Contains(r.Body, `href="/maintenance"`) || !strings.Contains(r.Body, `href="/silences"`) {
		t.Fatal("the nav links neither Maintenance nor Silences")
	}
	if r := e.Get(c, "/maintenance"); r.Status != 200 || !strings.Contains(r.Body, "Nothing is in maintenance.") {
		t.Fatalf("empty page: %d", r.Status)
	}

	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"kind": {"service"}, "id": {"shop"}, "duration": {"1h"}}, "reason is required"},
		{url.Values{"kind": {"service"}, "id": {"shp"}, "reason": {"x"}, "duration": {"1h"}}, `unknown service "shp"`},
		{url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"x"}}, "give a duration or an end time"},
		{url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"x"}, "end": {"2026-03-01T11:00"}}, "is not after the start"},
		{url.Values{"kind": {"planet"}, "id": {"mars"}, "reason": {"x"}, "duration": {"1h"}}, "choose what the window covers"},
	} {
		r := e.PostForm(c, "/maintenance", tc.form)
		if r.Status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(r.Body), tc.want) {
			t.Errorf("%v: %d, want 400 saying %q", tc.form, r.Status, tc.want)
		}
	}

	r := e.PostForm(c, "/maintenance", url.Values{"kind": {"service"}, "id": {"shop"}, "reason": {"moving racks"}, "duration": {"2h"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	page := e.Get(c, "/maintenance").Body
	active := page[strings.Index(page, `id="active"`):strings.Index(page, `id="upcoming"`)]
	if !strings.Contains(active, "moving racks") || !strings.Contains(active, "services shop") || !strings.Contains(active, `action="/maintenance/1/end"`) {
		t.Errorf("the active section lacks the window:\n%s", active)
	}
	if r := e.Get(c, "/monitors/api"); !strings.Contains(r.Body, "in maintenance until 2026-03-01 14:00") {
		t.Errorf("the monitor page does not say it is in maintenance")
	}
	if r := e.Get(c, "/"); strings.Count(r.Body, "data-muted") != 2 {
		t.Errorf("the overview marks %d monitors muted, want web and api", strings.Count(r.Body, "data-muted"))
	}

	// A window planned for tomorrow is upcoming, and mutes nothing yet.
	r = e.PostForm(c, "/maintenance", url.Values{"kind": {"monitor"}, "id": {"lone"}, "reason": {"disk swap"}, "start": {"2026-03-02T09:00"}, "duration": {"30m"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("plan: %d %s", r.Status, r.Body)
	}
	page = e.Get(c, "/maintenance").Body
	if up := page[strings.Index(page, `id="upcoming"`):strings.Index(page, `id="past"`)]; !strings.Contains(up, "disk swap") || !strings.Contains(up, "2026-03-02 09:30") {
		t.Errorf("the upcoming section lacks the planned window:\n%s", up)
	}
	if r := e.Get(c, "/monitors/lone"); strings.Contains(r.Body, "data-muted") {
		t.Error("lone is muted before its window starts")
	}
	if r := e.PostForm(c, "/maintenance", url.Values{"kind": {"monitor"}, "id": {"lone"}, "reason": {"x"}, "start": {"soon"}, "duration": {"30m"}}); r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "invalid start time") {
		t.Errorf("a bad start: %d", r.Status)
	}

	e.Clock.Add(10 * time.Minute)
	if r := e.PostForm(c, "/maintenance/1/end", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("end: %d", r.Status)
	}
	page = e.Get(c, "/maintenance").Body
	if !strings.Contains(page, "ended early by admin") || strings.Contains(page, `action="/maintenance/1/end"`) {
		t.Errorf("the ended window is not shown as past")
	}
	if r := e.Get(c, "/monitors/api"); strings.Contains(r.Body, "data-muted") {
		t.Errorf("the monitor page still says muted")
	}
	if r := e.PostForm(c, "/maintenance/1/end", nil); r.Status != http.StatusConflict {
		t.Errorf("ending twice: %d, want 409", r.Status)
	}
}

// TestSilencesPage creates a silence with matchers from the page, finds it
// on the monitor it matches and not on the other, and expires it.
func TestSilencesPage(t *testing.T) {
	t.Parallel()
	m := &webtest.Mutes{}
	e := webtest.New(t, webtest.WithMutes(m))
	c := e.Setup()
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"matchers": {"service=shop"}, "duration": {"1h"}}, "reason is required"},
		{url.Values{"matchers": {"tag=~(x"}, "reason": {"x"}, "duration": {"1h"}}, "invalid regular expression"},
		{url.Values{"matchers": {""}, "reason": {"x"}, "duration": {"1h"}}, "at least one matcher"},
		{url.Values{"matchers": {"service=shop"}, "reason": {"x"}, "duration": {"forever"}}, "invalid duration"},
		{url.Values{"matchers": {"service=shop"}, "reason": {"x"}, "duration": {"1h"}, "end": {"2026-03-02T10:00"}}, "not both"},
	} {
		r := e.PostForm(c, "/silences", tc.form)
		if r.Status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(r.Body), tc.want) {
			t.Errorf("%v: %d, want 400 saying %q", tc.form, r.Status, tc.want)
		}
	}
	r := e.PostForm(c, "/silences", url.Values{"matchers": {"service=shop\nmonitor!=web"}, "reason": {"ticket 1234"}, "end": {"2026-03-02T10:00"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	page := e.Get(c, "/silences").Body
	if !strings.Contains(page, "service=shop, monitor!=web") || !strings.Contains(page, `action="/silences/1/expire"`) {
		t.Errorf("the list lacks the silence")
	}
	if r := e.Get(c, "/monitors/api"); !strings.Contains(r.Body, "silenced by silence 1 of admin until 2026-03-02 10:00") {
		t.Errorf("api's page does not say it is silenced")
	}
	if r := e.Get(c, "/monitors/web"); strings.Contains(r.Body, "data-muted") {
		t.Errorf("web is shown silenced, though monitor!=web excludes it")
	}
	if r := e.PostForm(c, "/silences/1/expire", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("expire: %d", r.Status)
	}
	if r := e.Get(c, "/silences"); !strings.Contains(r.Body, "expired by admin") {
		t.Errorf("the expired silence is not marked")
	}
	if r := e.Get(c, "/monitors/api"); strings.Contains(r.Body, "data-muted") {
		t.Errorf("api still shown silenced")
	}
}
