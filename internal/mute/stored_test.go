package mute

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

// TestStoredRecurringAcrossDST walks a stored recurring window (Sundays at
// 01:30 local for 90 minutes, bounded by a start and an end) through most
// of 2026 in Europe/Oslo and America/New_York, 15 minutes at a time, and
// compares the snapshot's answer with openings worked out independently:
// the first 01:30 of each Sunday, an hour and a half of real time, cut by
// the bounds. New York's clocks go back at 02:00 on 1 November, so 01:30
// happens twice that day; the window opens once.
func TestStoredRecurringAcrossDST(t *testing.T) {
	cfg := &config.Config{Services: []config.Service{{ID: "web"}}, Monitors: []config.Monitor{{ID: "home", Service: "web"}}}
	for _, zone := range []string{"Europe/Oslo", "America/New_York"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		// The end falls half an hour into the opening of 8 November.
		until := time.Date(2026, 11, 8, 0, 0, 0, 0, loc).Add(2 * time.Hour)
		w, err := StoredWindow("7", "patching", config.MaintenanceMatch{Services: []string{"web"}}, from, until, "30 1 * * SUN", 90*time.Minute, zone)
		if err != nil {
			t.Fatal(err)
		}
		snap := New(cfg, []Window{w}, nil)
		expect := func(t0 time.Time) (time.Time, bool) {
			if t0.Before(from) || !t0.Before(until) {
				return time.Time{}, false
			}
			lt := t0.In(loc)
			for _, back := range []int{0, 1} {
				d := lt.AddDate(0, 0, -back)
				if d.Weekday() != time.Sunday {
					continue
				}
				// No change of clocks happens before 02:00, so 01:30 is
				// midnight plus 90 minutes of real time.
				open := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc).Add(90 * time.Minute)
				end := open.Add(90 * time.Minute)
				if end.After(until) {
					end = until
				}
				if !t0.Before(open) && t0.Before(end) {
					return end, true
				}
			}
			return time.Time{}, false
		}
		openings := 0
		for at := from.Add(-time.Hour); at.Before(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); at = at.Add(15 * time.Minute) {
			if wd := at.In(loc).Weekday(); wd > time.Monday && wd < time.Saturday && at.Minute()+at.Hour()%6 != 0 {
				continue // midweek, every six hours is enough
			}
			wantUntil, want := expect(at)
			m, got := snap.Check("home", at)
			if got != want || got && !m.Until.Equal(wantUntil) {
				t.Fatalf("%s: at %s (%s) muted %v until %v, want %v until %v", zone, at.Format(time.RFC3339), at.In(loc).Format(time.RFC3339), got, m.Until, want, wantUntil)
			}
			if got && at.In(loc).Hour() == 1 && at.In(loc).Minute() == 30 && at.In(loc).Weekday() == time.Sunday {
				openings++
			}
		}
		// 37 Sundays from 1 March to 8 November; New York's second 01:30
		// of 1 November (inside the opening) counts in the walk too.
		want := 37
		if zone == "America/New_York" {
			want = 38
		}
		if openings != want {
			t.Errorf("%s: %d instants at Sunday 01:30 muted, want %d", zone, openings, want)
		}
		// Listed: the next opening after the recurrence's start, cut by
		// its end.
		if s, e, ok := w.Next(until.Add(-24 * time.Hour)); !ok || !s.Equal(until.Add(-30*time.Minute)) || !e.Equal(until) {
			t.Errorf("%s: next opening before the end: %v %v %v", zone, s, e, ok)
		}
		if _, _, ok := w.Next(until); ok || !w.Over(until) || w.Over(until.Add(-time.Second)) {
			t.Errorf("%s: an opening after the end of the recurrence", zone)
		}
	}
}

// TestCheckStoredWindow refuses bad recurring windows with clear errors.
func TestCheckStoredWindow(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	match := config.MaintenanceMatch{Services: []string{"web"}}
	if _, err := StoredWindow("1", "x", match, now, time.Time{}, "0 2 * * *", time.Hour, "Mars/Olympus"); err == nil || !strings.Contains(err.Error(), "unknown timezone") {
		t.Errorf("unknown timezone: %v", err)
	}
	if _, err := StoredWindow("1", "x", match, now, now.Add(time.Hour), "", time.Hour, ""); err == nil {
		t.Error("a duration without cron was accepted")
	}
	for _, tc := range []struct {
		cron     string
		dur      time.Duration
		from, to time.Time
		want     string
	}{
		{"0 2 * * *", 0, now, time.Time{}, "duration above zero"},
		{"61 2 * * *", time.Hour, now, time.Time{}, "invalid cron expression"},
		{"0 0 30 2 *", time.Hour, now, time.Time{}, "never fires"},
		{"0 2 * * *", time.Hour, now, now.Add(-time.Hour), "is not after the start"},
		{"0 2 * * *", time.Hour, now.Add(-48 * time.Hour), now.Add(-time.Hour), "already past"},
		{"0 2 1 1 *", time.Hour, now, now.AddDate(0, 3, 0), "never opens"},
		{"0 2 * * *", time.Hour, now, time.Time{}, ""},
		{"0 2 * * *", time.Hour, now.AddDate(0, 1, 0), now.AddDate(0, 2, 0), ""},
	} {
		w, err := StoredWindow("1", "x", match, tc.from, tc.to, tc.cron, tc.dur, "Europe/Oslo")
		if err != nil {
			t.Fatal(err)
		}
		err = CheckWindow(w, now)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s for %s from %v to %v: %v, want %q", tc.cron, tc.dur, tc.from, tc.to, err, tc.want)
		}
	}
}
