package api_test

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func decode[T any](t *testing.T, r webtest.Response, want int) T {
	t.Helper()
	var out struct {
		Data T `json:"data"`
	}
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatalf("%v: %s", err, r.Body)
	}
	return out.Data
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSchedulesAPI(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.Schedules(e)
	c := e.Setup()
	tok := e.Token(c, "cli")

	list := decode[[]api.Schedule](t, e.Do(e.Client(), "GET", "/api/v1/schedules", nil, webtest.Bearer(tok)), 200)
	if len(list) != 2 {
		t.Fatalf("%d schedules", len(list))
	}
	sup := list[0]
	if sup.ID != "support" || sup.Name != "Support" || sup.Timezone != "Europe/Oslo" || len(sup.OnCall) != 0 {
		t.Errorf("support: %+v", sup)
	}
	if diff := cmp.Diff(&api.Handoff{At: utc("2026-03-02T08:00:00Z"), OnCall: []string{"ann"}}, sup.Next); diff != "" {
		t.Errorf("next (-want +got):\n%s", diff)
	}
	wantMembers := []api.Person{{ID: "ann", Name: "Ann Example, first line; ops"}, {ID: "bob", Name: "Bob Builder"}, {ID: "cat", Name: "Cat"}}
	if diff := cmp.Diff(wantMembers, sup.Members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	if sup.GapSeconds != 256*3600 || len(sup.Gaps) != 11 || !sup.Gaps[0].From.Equal(utc("2026-03-01T12:00:00Z")) {
		t.Errorf("gaps: %v seconds, %d gaps, first %+v", sup.GapSeconds, len(sup.Gaps), sup.Gaps[0])
	}
	if al := list[1]; al.ID != "always" || al.Name != "always" || !cmp.Equal(al.OnCall, []string{"bob"}) || al.GapSeconds != 0 || al.Next != nil {
		t.Errorf("always: %+v", al)
	}

	// One schedule over four days: shifts, the override, gaps, and the
	// caller's feed, created on their first request only.
	d := decode[api.ScheduleDetail](t, e.Do(e.Client(), "GET", "/api/v1/schedules/support?days=4", nil, webtest.Bearer(tok)), 200)
	wantShifts := []api.Shift{
		{Person: "ann", From: utc("2026-03-02T08:00:00Z"), To: utc("2026-03-02T16:00:00Z")},
		{Person: "bob", From: utc("2026-03-03T08:00:00Z"), To: utc("2026-03-03T16:00:00Z")},
		{Person: "ann", From: utc("2026-03-04T08:00:00Z"), To: utc("2026-03-04T09:00:00Z")},
		{Person: "cat", From: utc("2026-03-04T09:00:00Z"), To: utc("2026-03-04T11:00:00Z"), Override: true},
		{Person: "ann", From: utc("2026-03-04T11:00:00Z"), To: utc("2026-03-04T16:00:00Z")},
		{Person: "bob", From: utc("2026-03-05T08:00:00Z"), To: utc("2026-03-05T12:00:00Z")}, // clipped at 4 days
	}
	if diff := cmp.Diff(wantShifts, d.Shifts); diff != "" {
		t.Errorf("shifts (-want +got):\n%s", diff)
	}
	if d.Days != 4 || len(d.UpcomingGaps) != 4 || !d.UpcomingGaps[3].To.Equal(utc("2026-03-05T08:00:00Z")) {
		t.Errorf("days %d, gaps %+v", d.Days, d.UpcomingGaps)
	}
	if d.ICalURL == nil || d.ICalToken == nil {
		t.Fatalf("first request: no ical_url: %+v", d)
	}
	feed, err := url.Parse(*d.ICalURL)
	if err != nil || feed.Path != "/schedules/support.ics" {
		t.Fatalf("ical_url %q", *d.ICalURL)
	}
	if r := e.Get(e.Client(), feed.RequestURI()); r.Status != 200 || !strings.Contains(r.Body, "BEGIN:VEVENT") {
		t.Errorf("ical_url: %d", r.Status)
	}
	again := decode[api.ScheduleDetail](t, e.Do(e.Client(), "GET", "/api/v1/schedules/support", nil, webtest.Bearer(tok)), 200)
	if again.ICalURL != nil || again.ICalToken == nil || again.ICalToken.ID != d.ICalToken.ID || again.Days != 14 {
		t.Errorf("second request: %+v", again)
	}

	// Feed tokens: create, list, revoke.
	pf := decode[api.CalendarToken](t, e.Do(e.Client(), "POST", "/api/v1/people/cat/calendar-tokens", nil, webtest.Bearer(tok)), 201)
	if pf.Kind != "person" || pf.Subject != "cat" || !strings.HasPrefix(pf.Token, "tcal_") || !strings.HasSuffix(strings.Split(pf.ICalURL, "?")[0], "/people/cat/shifts.ics") {
		t.Errorf("person feed: %+v", pf)
	}
	sf := decode[api.CalendarToken](t, e.Do(e.Client(), "POST", "/api/v1/schedules/always/tokens", nil, webtest.Bearer(tok)), 201)
	toks := decode[[]api.CalendarToken](t, e.Do(e.Client(), "GET", "/api/v1/calendar-tokens", nil, webtest.Bearer(tok)), 200)
	if len(toks) != 3 || toks[1].ID != pf.ID || toks[1].Token != "" || toks[2].ID != sf.ID {
		t.Errorf("tokens: %+v", toks)
	}
	cat, _ := url.Parse(pf.ICalURL)
	if r := e.Get(e.Client(), cat.RequestURI()); r.Status != 200 || !strings.Contains(r.Body, "SUMMARY:On call: Support (override)") {
		t.Errorf("cat's feed: %d %s", r.Status, r.Body)
	}
	if r := e.Do(e.Client(), "DELETE", "/api/v1/calendar-tokens/"+itoa(pf.ID), nil, webtest.Bearer(tok)); r.Status != 204 {
		t.Errorf("delete: %d %s", r.Status, r.Body)
	}
	if r := e.Get(e.Client(), cat.RequestURI()); r.Status != 404 {
		t.Errorf("revoked feed: %d", r.Status)
	}

	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/api/v1/schedules/nope", 404, "not_found"},
		{"GET", "/api/v1/schedules/support?days=0", 400, "invalid"},
		{"GET", "/api/v1/schedules/support?days=91", 400, "invalid"},
		{"GET", "/api/v1/schedules/support?days=x", 400, "invalid"},
		{"POST", "/api/v1/schedules/nope/tokens", 404, "not_found"},
		{"POST", "/api/v1/people/nobody/calendar-tokens", 404, "not_found"},
		{"DELETE", "/api/v1/calendar-tokens/" + itoa(pf.ID), 404, "not_found"},
		{"DELETE", "/api/v1/calendar-tokens/x", 404, "not_found"},
	} {
		r := e.Do(e.Client(), tc.method, tc.path, nil, webtest.Bearer(tok))
		if r.Status != tc.status || webtest.APIError(t, r).Code != tc.code {
			t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, r.Status, r.Body, tc.status, tc.code)
		}
	}
	if r := e.Get(e.Client(), "/api/v1/schedules"); r.Status != 401 {
		t.Errorf("without a login: %d", r.Status)
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
