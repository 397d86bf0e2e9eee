package ui_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestSchedulesList(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.Schedules(e)
	c := e.Setup()
	r := e.Get(c, "/schedules")
	if r.Status != 200 {
		t.Fatalf("/schedules: %d %s", r.Status, r.Body)
	}
	support := row(t, r.Body, "support")
	for _, want := range []string{
		`<td data-oncall><span class="error">nobody</span></td>`,                    // Sunday
		`Mar 2 08:00 UTC: Ann Example, first line; ops`,                             // the next handoff
		`<strong>10 d 16 h uncovered</strong>`,                                      // of 14 days, 80 h are covered
		`<li>Sun 2026-03-01 13:00 – Mon 09:00 Europe/Oslo (12:00 – 08:00 UTC)</li>`, // the first gap, clipped to now
		`and 8 more`,
	} {
		if !strings.Contains(support, want) {
			t.Errorf("support row lacks %q:\n%s", want, support)
		}
	}
	always := row(t, r.Body, "always")
	if !strings.Contains(always, `<td data-oncall>Bob Builder</td>`) || !strings.Contains(always, `<td data-gaps><span class="muted">none</span></td>`) {
		t.Errorf("always row:\n%s", always)
	}
	// Times follow the viewer's zone.
	if r := e.Get(c, "/schedules?tz=Europe/Oslo"); !strings.Contains(row(t, r.Body, "support"), `Mar 2 09:00 CET / Mar 2 08:00 UTC: Ann`) {
		t.Errorf("?tz=Europe/Oslo: %s", row(t, r.Body, "support"))
	}
	// Without a login the pages lead to the login; a feed without its token is refused.
	anon := e.Client()
	for _, p := range []string{"/schedules", "/schedules/support"} {
		if r := e.Get(anon, p); r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("%s without a login: %d %s", p, r.Status, r.Header.Get("Location"))
		}
	}
}

// row is the table row of the schedule id.
func row(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<tr data-schedule="`+id+`">`)
	if i < 0 {
		t.Fatalf("no row of schedule %q in:\n%s", id, body)
	}
	j := strings.Index(body[i:], "</tr>")
	return body[i : i+j]
}

// day is the calendar cell of a date.
func day(t *testing.T, body, date string) string {
	t.Helper()
	i := strings.Index(body, `data-date="`+date+`"`)
	if i < 0 {
		t.Fatalf("no day %s in the calendar", date)
	}
	rest := body[i:]
	if j := strings.Index(rest[1:], `data-date="`); j >= 0 {
		rest = rest[:j+1]
	}
	return rest
}

func TestScheduleCalendar(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.Schedules(e)
	c := e.Setup()

	// The week of the override, in the schedule's own zone.
	r := e.Get(c, "/schedules/support?view=week&from=2026-03-04&tz=Europe/Oslo")
	if r.Status != 200 {
		t.Fatalf("week view: %d %s", r.Status, r.Body)
	}
	for _, want := range []string{
		`data-view="week"`, `Mon 2 Mar – Sun 8 Mar 2026`, `Times in Europe/Oslo, the schedule's own time zone`,
		`href="/schedules/support?view=week&amp;from=2026-02-23" rel="prev"`,
		`href="/schedules/support?view=week&amp;from=2026-03-09" rel="next"`,
		`<li><span class="swatch m0"></span>Ann Example, first line; ops</li>`,
		`<li><span class="swatch m2"></span>Cat</li>`,
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("week view lacks %q", want)
		}
	}
	mon := day(t, r.Body, "2026-03-02")
	for _, want := range []string{
		`class="bar gap" data-gap title="Nobody on call 00:00–09:00"`,
		`data-person="ann" title="Ann Example, first line; ops 09:00–17:00"`,
		`title="Nobody on call 17:00–24:00"`,
		`has-gap`,
	} {
		if !strings.Contains(mon, want) {
			t.Errorf("Monday lacks %q:\n%s", want, mon)
		}
	}
	wed := day(t, r.Body, "2026-03-04")
	for _, want := range []string{
		`data-person="ann" title="Ann Example, first line; ops 09:00–10:00"`,
		`class="bar m2 override" data-person="cat" data-override title="Cat 10:00–12:00 (override)"`,
		`data-person="ann" title="Ann Example, first line; ops 12:00–17:00"`,
	} {
		if !strings.Contains(wed, want) {
			t.Errorf("Wednesday lacks %q:\n%s", want, wed)
		}
	}
	if sat := day(t, r.Body, "2026-03-07"); !strings.Contains(sat, `title="Nobody on call 00:00–24:00"`) || strings.Contains(sat, "data-person") {
		t.Errorf("Saturday is not one gap:\n%s", sat)
	}

	// The default is this month, in the viewer's zone (UTC here), with a
	// note of the schedule's zone.
	r = e.Get(c, "/schedules/support")
	for _, want := range []string{`data-view="month"`, `<strong class="cal-title">March 2026</strong>`, `Times in UTC; the schedule keeps its handoffs in Europe/Oslo`,
		`data-person="bob" title="Bob Builder 08:00–16:00"`, `data-date="2026-02-23"`, `data-date="2026-04-05"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("month view lacks %q", want)
		}
	}
	if !strings.Contains(day(t, r.Body, "2026-03-03"), `data-person="bob" title="Bob Builder 08:00–16:00"`) {
		t.Errorf("Tuesday in UTC:\n%s", day(t, r.Body, "2026-03-03"))
	}
	// Across the change to summer time the shift stays 09:00 local.
	r = e.Get(c, "/schedules/support?from=2026-03-30&view=week&tz=Europe/Oslo")
	if !strings.Contains(day(t, r.Body, "2026-03-30"), `09:00–17:00`) {
		t.Errorf("Monday after the change:\n%s", day(t, r.Body, "2026-03-30"))
	}

	for path, want := range map[string]int{
		"/schedules/nope":                    404,
		"/schedules/support?from=yesterday":  400,
		"/schedules/support?from=1066-10-14": 400,
	} {
		if r := e.Get(c, path); r.Status != want {
			t.Errorf("%s: %d, want %d", path, r.Status, want)
		}
	}
}

var feedRE = regexp.MustCompile(`id="new-feed">([^<]+)<`)

// newFeed posts the form at path and returns the feed address it shows.
func newFeed(t testing.TB, e *webtest.Env, c *http.Client, path string) *url.URL {
	t.Helper()
	r := e.PostForm(c, path, url.Values{})
	m := feedRE.FindStringSubmatch(r.Body)
	if r.Status != 200 || m == nil {
		t.Fatalf("POST %s: %d, no feed address in:\n%s", path, r.Status, r.Body)
	}
	u, err := url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestScheduleFeed(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.Schedules(e)
	c := e.Setup()
	feed := newFeed(t, e, c, "/schedules/support/tokens")
	if feed.Path != "/schedules/support.ics" || !strings.HasPrefix(feed.Query().Get("token"), "tcal_") {
		t.Fatalf("feed address %s", feed)
	}
	anon := e.Client()
	r := e.Get(anon, feed.RequestURI())
	if r.Status != 200 || r.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Fatalf("feed: %d %s\n%s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	checkICal(t, r.Body)
	unfolded := strings.ReplaceAll(r.Body, "\r\n ", "")
	for _, want := range []string{
		"BEGIN:VCALENDAR\r\n", "VERSION:2.0\r\n", "PRODID:-//Tocsin//On-call schedules//EN\r\n", "X-WR-CALNAME:On call: Support\r\n",
		`SUMMARY:Ann Example\, first line\; ops on call` + "\r\n",
		`DESCRIPTION:Ann Example\, first line\; ops is on call in the schedule Support (Europe/Oslo).` + "\r\n",
		"SUMMARY:Cat on call (override)\r\n",
		"SUMMARY:Nobody on call\r\n",
	} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("feed lacks %q", want)
		}
	}
	cal, err := ics.ParseCalendar(strings.NewReader(r.Body))
	if err != nil {
		t.Fatalf("the feed does not parse: %v", err)
	}
	type span struct{ start, end string }
	got := map[span]string{}
	now := e.Clock.Now()
	for _, ev := range cal.Events() {
		st, en := ev.GetProperty(ics.ComponentPropertyDtStart), ev.GetProperty(ics.ComponentPropertyDtEnd)
		if st == nil || en == nil || ev.GetProperty(ics.ComponentPropertyDtstamp) == nil || ev.Id() == "" {
			t.Fatalf("event without DTSTART, DTEND, DTSTAMP or UID: %s", ev.Serialize(nil))
		}
		got[span{st.Value, en.Value}] = ev.GetProperty(ics.ComponentPropertySummary).Value
		from, err1 := time.Parse("20060102T150405Z", st.Value)
		to, err2 := time.Parse("20060102T150405Z", en.Value)
		if err1 != nil || err2 != nil {
			t.Fatalf("DTSTART %q or DTEND %q is not a UTC time", st.Value, en.Value)
		}
		if from.Before(now.Add(-8*24*time.Hour)) || to.After(now.Add(57*24*time.Hour)) || !from.Before(to) {
			t.Errorf("event %s – %s outside a week back and eight weeks ahead", from, to)
		}
	}
	for sp, want := range map[span]string{
		// Parsed back, the escaped name is the name again.
		{"20260302T080000Z", "20260302T160000Z"}: "Ann Example, first line; ops on call",
		{"20260304T090000Z", "20260304T110000Z"}: "Cat on call (override)",
		{"20260303T160000Z", "20260304T080000Z"}: "Nobody on call",
		// After the change to summer time, 09:00 Oslo is 07:00 UTC.
		{"20260330T070000Z", "20260330T150000Z"}: "Ann Example, first line; ops on call",
		{"20260331T070000Z", "20260331T150000Z"}: "Bob Builder on call",
	} {
		if got[sp] != want {
			t.Errorf("event %s – %s is %q, want %q", sp.start, sp.end, got[sp], want)
		}
	}

	// Refusals: no token, a forged one, one of another feed.
	other := newFeed(t, e, c, "/schedules/always/tokens")
	for path, want := range map[string]int{
		"/schedules/support.ics": 401,
		"/schedules/support.ics?token=tcal_" + strings.Repeat("A", 43): 404,
		"/schedules/support.ics?token=" + strings.Repeat("x", 5000):    404,
		"/schedules/support.ics?" + other.RawQuery:                     404,
		"/schedules/nope.ics?" + feed.RawQuery:                         404,
		"/people/ann/shifts.ics?" + feed.RawQuery:                      404,
		"/schedules/always.ics?" + other.RawQuery:                      200,
	} {
		if r := e.Get(anon, path); r.Status != want {
			t.Errorf("%s: %d, want %d", path, r.Status, want)
		}
	}

	// The page lists the token with its first read; revoking it stops the feed.
	page := e.Get(c, "/schedules/support")
	m := regexp.MustCompile(`<tr data-token="(\d+)">`).FindStringSubmatch(page.Body)
	if m == nil || !strings.Contains(page.Body, "tcal_") || strings.Contains(page.Body, feed.Query().Get("token")) {
		t.Fatalf("the schedule page does not list the token by its prefix alone")
	}
	if r := e.PostForm(c, "/calendar-tokens/"+m[1]+"/revoke", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/schedules/support" {
		t.Fatalf("revoke: %d %s", r.Status, r.Header.Get("Location"))
	}
	if r := e.Get(anon, feed.RequestURI()); r.Status != 404 {
		t.Errorf("revoked feed: %d, want 404", r.Status)
	}
	if r := e.PostForm(c, "/calendar-tokens/"+m[1]+"/revoke", nil); r.Status != 404 {
		t.Errorf("revoking twice: %d, want 404", r.Status)
	}
}

func TestPersonFeed(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.Schedules(e)
	c := e.Setup()
	feed := newFeed(t, e, c, "/people/bob/calendar-tokens")
	if feed.Path != "/people/bob/shifts.ics" {
		t.Fatalf("feed address %s", feed)
	}
	r := e.Get(e.Client(), feed.RequestURI())
	if r.Status != 200 {
		t.Fatalf("person feed: %d %s", r.Status, r.Body)
	}
	checkICal(t, r.Body)
	unfolded := strings.ReplaceAll(r.Body, "\r\n ", "")
	for _, want := range []string{"X-WR-CALNAME:On call: Bob Builder\r\n", "SUMMARY:On call: Support\r\n", "SUMMARY:On call: always\r\n"} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("person feed lacks %q", want)
		}
	}
	if strings.Contains(unfolded, "Ann") || strings.Contains(unfolded, "Nobody") {
		t.Errorf("person feed shows someone else's shifts or gaps")
	}
	// A person token opens no other person's feed and no schedule's.
	for _, p := range []string{"/people/ann/shifts.ics?", "/schedules/support.ics?"} {
		if r := e.Get(e.Client(), p+feed.RawQuery); r.Status != 404 {
			t.Errorf("%s with bob's token: %d, want 404", p, r.Status)
		}
	}
	if r := e.PostForm(c, "/people/nobody/calendar-tokens", nil); r.Status != 404 {
		t.Errorf("feed of someone in no schedule: %d, want 404", r.Status)
	}
	list := e.Get(c, "/schedules")
	if !strings.Contains(list.Body, `<tr data-person="bob"><td>Bob Builder</td>`) || !strings.Contains(list.Body, "tcal_") {
		t.Errorf("the list does not show bob's feed")
	}
}

// checkICal checks the framing RFC 5545 asks for: CRLF line ends, lines
// of at most 75 octets, long lines folded.
func checkICal(t *testing.T, body string) {
	t.Helper()
	if !strings.HasSuffix(body, "END:VCALENDAR\r\n") {
		t.Errorf("the calendar does not end with END:VCALENDAR CRLF")
	}
	folded := false
	for i, line := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
		if strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 75 {
			t.Errorf("line %d is %d octets: %q", i+1, len(line), line)
		}
		folded = folded || strings.HasPrefix(line, " ")
	}
	if !folded {
		t.Errorf("no long line was folded")
	}
}

// TestScheduleThatCannotBeComputed: a schedule that skipped validation (an
// unknown time zone) shows its error, nobody on call and one long gap on
// every page and in its feed, and breaks nothing else.
func TestScheduleThatCannotBeComputed(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.Schedules(e)
	e.RT.Mu.Lock()
	e.RT.Cfg.Schedules[1].Timezone = "Mars/Olympus"
	e.RT.Mu.Unlock()
	c := e.Setup()
	always := row(t, e.Get(c, "/schedules").Body, "always")
	for _, want := range []string{`Mars/Olympus`, `<p class="error">schedule &#34;always&#34;:`, `<td data-oncall><span class="error">nobody</span></td>`, `<strong>14 d uncovered</strong>`} {
		if !strings.Contains(always, want) {
			t.Errorf("always row lacks %q:\n%s", want, always)
		}
	}
	r := e.Get(c, "/schedules/always?view=week&from=2026-03-02")
	if r.Status != 200 || !strings.Contains(day(t, r.Body, "2026-03-03"), `title="Nobody on call 00:00–24:00"`) {
		t.Errorf("calendar: %d", r.Status)
	}
	feed := newFeed(t, e, c, "/schedules/always/tokens")
	if r := e.Get(e.Client(), feed.RequestURI()); r.Status != 200 || !strings.Contains(r.Body, "SUMMARY:Nobody on call") {
		t.Errorf("feed: %d %s", r.Status, r.Body)
	}
	// The other schedule is unaffected.
	if !strings.Contains(row(t, e.Get(c, "/schedules").Body, "support"), "Mar 2 08:00 UTC: Ann") {
		t.Errorf("support row changed")
	}
}
