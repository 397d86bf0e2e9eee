package mute

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

func testConfig() *config.Config {
	return &config.Config{
		Services: []config.Service{{ID: "web", Tags: []string{"public"}}, {ID: "db"}},
		Monitors: []config.Monitor{
			{ID: "home", Service: "web", Tags: []string{"http"}},
			{ID: "pg", Service: "db", Tags: []string{"db-main"}},
			{ID: "lonely"},
		},
		Heartbeats: []config.Heartbeat{{ID: "backup", Service: "db"}},
		Hosts:      []config.Host{{ID: "srv1", Monitors: []string{"pg", "backup"}}},
		Components: []config.Component{{ID: "fiber", Monitors: []string{"home"}}},
	}
}

func mustMatcher(t *testing.T, s string) Matcher {
	t.Helper()
	m, err := ParseMatcher(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTargets(t *testing.T) {
	ts := Targets(testConfig())
	home := ts["home"]
	if home.Service != "web" || strings.Join(home.Tags, ",") != "http,public" || strings.Join(home.Components, ",") != "fiber" {
		t.Errorf("home = %+v", home)
	}
	if b := ts["backup"]; b.Service != "db" || strings.Join(b.Hosts, ",") != "srv1" {
		t.Errorf("backup = %+v", b)
	}
}

func TestMatchers(t *testing.T) {
	ts := Targets(testConfig())
	tests := []struct {
		matcher string
		want    []string // the monitors it matches, of home, pg, lonely, backup
	}{
		{"service=web", []string{"home"}},
		{"service!=web", []string{"pg", "lonely", "backup"}},
		{"service=", []string{"lonely"}},
		{"tag=public", []string{"home"}},
		{"tag=~db-.*", []string{"pg"}},
		{"tag=~db", nil}, // anchored: db-main is not db
		{"tag!~db-.*", []string{"home", "lonely", "backup"}},
		{"host=srv1", []string{"pg", "backup"}},
		{"component=fiber", []string{"home"}},
		{"monitor=~(home|lonely)", []string{"home", "lonely"}},
	}
	for _, tc := range tests {
		m := mustMatcher(t, tc.matcher)
		var got []string
		for _, id := range []string{"home", "pg", "lonely", "backup"} {
			if m.Matches(ts[id]) {
				got = append(got, id)
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s matches %v, want %v", tc.matcher, got, tc.want)
		}
	}
}

func TestBadMatchers(t *testing.T) {
	for in, want := range map[string]string{
		"service":       "invalid matcher",
		"=web":          "invalid matcher",
		"colour=red":    `unknown matcher name "colour"`,
		"tag=~(":        "invalid regular expression",
		"service=<>web": "", // a value may hold any character
		"tag=~" + strings.Repeat("a", maxRegex+1): "longer than",
	} {
		_, err := ParseMatcher(in)
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one containing %q", in, err, want)
		}
	}
	// A matcher not built by NewMatcher never matches everything.
	if (Matcher{Name: "tag", Op: OpRegex, Value: ".*"}).Matches(Target{Tags: []string{"x"}}) {
		t.Error("an uncompiled regex matcher matched")
	}
}

func TestCheckSilence(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ok := Silence{Matchers: []Matcher{mustMatcher(t, "service=web")}, Reason: "deploy", StartsAt: now, EndsAt: now.Add(time.Hour)}
	if err := CheckSilence(ok, now); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mod  func(*Silence)
		want string
	}{
		"no matchers":  {func(s *Silence) { s.Matchers = nil }, "at least one matcher"},
		"no reason":    {func(s *Silence) { s.Reason = "  " }, "reason is required"},
		"no end":       {func(s *Silence) { s.EndsAt = time.Time{} }, "needs an end"},
		"end before":   {func(s *Silence) { s.EndsAt = now.Add(-time.Minute); s.StartsAt = now }, "not after the start"},
		"past":         {func(s *Silence) { s.StartsAt = now.Add(-2 * time.Hour); s.EndsAt = now.Add(-time.Hour) }, "already past"},
		"too long":     {func(s *Silence) { s.EndsAt = now.Add(MaxSilence + time.Hour) }, "at most 90 days"},
		"bad operator": {func(s *Silence) { s.Matchers = []Matcher{{Name: "tag", Op: "~", Value: "x"}} }, "unknown operator"},
	} {
		s := ok
		tc.mod(&s)
		if err := CheckSilence(s, now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}

func TestSnapshotCheck(t *testing.T) {
	cfg := testConfig()
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	w := Window{ID: "upgrade", Reason: "kernel", Match: config.MaintenanceMatch{Hosts: []string{"srv1"}}, Start: at, End: at.Add(time.Hour)}
	s := Silence{ID: "7", Reason: "noisy", CreatedBy: "ann", Matchers: []Matcher{mustMatcher(t, "service=db")}, StartsAt: at.Add(-time.Hour), EndsAt: at.Add(3 * time.Hour)}
	snap := New(cfg, []Window{w}, []Silence{s})

	m, ok := snap.Check("pg", at.Add(time.Minute))
	if !ok || m.Kind != KindMaintenance || m.ID != "upgrade" || !m.Until.Equal(at.Add(time.Hour)) {
		t.Errorf("pg in the window: %+v %v, want maintenance upgrade", m, ok)
	}
	m, ok = snap.Check("pg", at.Add(time.Hour)) // the window's end is exclusive
	if !ok || m.Kind != KindSilence || m.ID != "7" || m.CreatedBy != "ann" {
		t.Errorf("pg after the window: %+v %v, want silence 7", m, ok)
	}
	if _, ok := snap.Check("pg", at.Add(3*time.Hour)); ok {
		t.Error("pg muted after the silence ended")
	}
	if _, ok := snap.Check("home", at.Add(time.Minute)); ok {
		t.Error("home muted")
	}
	if _, ok := snap.Check("nobody", at); ok {
		t.Error("an unknown monitor muted")
	}
	var none *Snapshot
	if _, ok := none.Check("pg", at); ok {
		t.Error("a nil snapshot muted")
	}
	if got := snap.Muted([]string{"home", "pg", "backup"}, at); len(got) != 2 {
		t.Errorf("Muted = %v, want pg and backup", got)
	}
}

// TestRecurringAcrossDST: a window opening at 02:30 local every day for an
// hour, in Europe/Oslo and America/New_York, across both changes of 2026.
// On the night clocks go forward 02:30 does not exist and the window skips
// that day; on the night they go back it opens once, at the first 02:30.
func TestRecurringAcrossDST(t *testing.T) {
	for _, tc := range []struct {
		zone          string
		forward, back time.Time // local midnight of each change day
	}{
		{"Europe/Oslo", date(2026, 3, 29), date(2026, 10, 25)},
		{"America/New_York", date(2026, 3, 8), date(2026, 11, 1)},
	} {
		loc, err := time.LoadLocation(tc.zone)
		if err != nil {
			t.Fatal(err)
		}
		w, err := WindowFromConfig(config.Maintenance{ID: "nightly", Reason: "backup", Cron: "30 2 * * *", Duration: config.Duration(time.Hour), Timezone: tc.zone})
		if err != nil {
			t.Fatal(err)
		}
		at := func(d time.Time, h, m int) time.Time {
			return time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc)
		}
		// The day before the spring change: open 02:30 to 03:30 local.
		before := tc.forward.AddDate(0, 0, -1)
		if s, e, ok := w.ActiveAt(at(before, 2, 45)); !ok || !s.Equal(at(before, 2, 30)) || e.Sub(s) != time.Hour {
			t.Errorf("%s: %s 02:45: %v %v %v", tc.zone, before.Format(time.DateOnly), s, e, ok)
		}
		if _, _, ok := w.ActiveAt(at(before, 3, 30)); ok {
			t.Errorf("%s: open at 03:30, its end", tc.zone)
		}
		// The spring change day: no 02:30, so no window at all that night.
		day := tc.forward
		for h := range 24 {
			if _, _, ok := w.ActiveAt(time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc).Add(time.Duration(h) * time.Hour)); ok {
				t.Errorf("%s: open on %s at +%dh, the night 02:30 does not exist", tc.zone, day.Format(time.DateOnly), h)
			}
		}
		// The autumn change day: one opening at the first 02:30 lasting an
		// hour of real time.
		first := at(tc.back, 2, 30)
		if e := first.Add(-time.Hour); e.In(loc).Hour() == 2 && e.In(loc).Minute() == 30 {
			first = e // time.Date may name the second of two 02:30s
		}
		s, e, ok := w.ActiveAt(first.Add(10 * time.Minute))
		if !ok || !s.Equal(first) || e.Sub(s) != time.Hour {
			t.Errorf("%s: autumn: %v %v %v, want an hour from %v", tc.zone, s, e, ok, first)
		}
		if _, _, ok := w.ActiveAt(first.Add(90 * time.Minute)); ok {
			t.Errorf("%s: open at the second 02:30 + 30m", tc.zone)
		}
		// Next finds the following night's opening.
		if n, _, ok := w.Next(first); !ok || !n.Equal(at(tc.back.AddDate(0, 0, 1), 2, 30)) {
			t.Errorf("%s: Next after the autumn opening: %v %v", tc.zone, n, ok)
		}
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// TestOverlappingOpenings: a window opening every hour for 90 minutes is one
// long opening.
func TestOverlappingOpenings(t *testing.T) {
	w := Window{ID: "w", Cron: "0 * * * *", Duration: 90 * time.Minute}
	at := time.Date(2026, 1, 1, 10, 15, 0, 0, time.UTC)
	s, e, ok := w.ActiveAt(at)
	if !ok || !s.Equal(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("%v %v %v", s, e, ok)
	}
	// Bounded: maxOpenings hours on from the first opening found.
	if want := s.Add(time.Duration(maxOpenings+1)*time.Hour + 30*time.Minute); !e.Equal(want) {
		t.Errorf("end %v, want %v", e, want)
	}
}

func TestWindowFromConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		m    config.Maintenance
		want string
	}{
		{config.Maintenance{ID: "a", Start: "2026-01-02 10:00", End: "2026-01-02 09:00"}, "not after start"},
		{config.Maintenance{ID: "b", Start: "tomorrow", End: "2026-01-02 09:00"}, "invalid time"},
		{config.Maintenance{ID: "c", Cron: "0 2 * * *"}, "duration above zero"},
		{config.Maintenance{ID: "d", Cron: "0 2 * * *", Duration: config.Duration(time.Hour), Timezone: "Mars/Base"}, "unknown timezone"},
	} {
		if _, err := WindowFromConfig(tc.m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.m.ID, err, tc.want)
		}
	}
	w, err := WindowFromConfig(config.Maintenance{ID: "e", Reason: "r", Start: "2026-01-02 10:00", End: "2026-01-02T12:00:00Z", Timezone: "Europe/Oslo"})
	if err != nil || !w.Start.Equal(time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)) || !w.End.Equal(time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("%+v %v", w, err)
	}
}

// FuzzParseMatcher: any text is refused with an error or read into a
// matcher that writes back to the same matcher, and matching never panics.
func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{"service=web", "tag!=x", "tag=~db-.*", "host!~(a|b)", "=", "!", "a=~(", "monitor==x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMatcher(s)
		if err != nil {
			return
		}
		again, err := ParseMatcher(m.String())
		if err != nil || again.Name != m.Name || again.Op != m.Op {
			t.Fatalf("%q read as %+v, written %q, read back %+v %v", s, m, m.String(), again, err)
		}
		m.Matches(Target{Monitor: s, Service: s, Tags: []string{s}})
	})
}
