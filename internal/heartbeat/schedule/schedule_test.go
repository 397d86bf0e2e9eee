package schedule

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/cron"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

func TestNext(t *testing.T) {
	oslo := mustLoc(t, "Europe/Oslo")
	ny := mustLoc(t, "America/New_York")
	lordHowe := mustLoc(t, "Australia/Lord_Howe")
	tests := []struct {
		name string
		s    Schedule
		last time.Time
		want time.Time
	}{
		{"period", Schedule{Period: 24 * time.Hour}, utc(2026, 3, 28, 10, 8, 0), utc(2026, 3, 29, 10, 8, 0)},
		// A simple period is elapsed time: DST does not stretch it.
		{"period across DST", Schedule{Period: 24 * time.Hour, Location: oslo}, utc(2026, 3, 28, 23, 0, 0), utc(2026, 3, 29, 23, 0, 0)},
		{"period into leap day", Schedule{Period: 24 * time.Hour}, utc(2028, 2, 28, 12, 0, 0), utc(2028, 2, 29, 12, 0, 0)},
		{"cron UTC daily", Schedule{Cron: "8 10 * * *"}, utc(2026, 3, 28, 10, 8, 0), utc(2026, 3, 29, 10, 8, 0)},
		{"cron ping a bit late", Schedule{Cron: "8 10 * * *"}, utc(2026, 3, 28, 10, 9, 30), utc(2026, 3, 29, 10, 8, 0)},
		{"cron ping a bit early", Schedule{Cron: "8 10 * * *"}, utc(2026, 3, 28, 10, 7, 0), utc(2026, 3, 28, 10, 8, 0)},
		{"cron Oslo winter", Schedule{Cron: "8 10 * * *", Location: oslo}, utc(2026, 1, 10, 9, 8, 0), utc(2026, 1, 11, 9, 8, 0)},
		// 28 March is CET (+1), 29 March CEST (+2): 10:08 local moves an hour earlier in UTC.
		{"cron Oslo spring forward", Schedule{Cron: "8 10 * * *", Location: oslo}, utc(2026, 3, 28, 9, 8, 0), utc(2026, 3, 29, 8, 8, 0)},
		{"cron Oslo fall back", Schedule{Cron: "8 10 * * *", Location: oslo}, utc(2026, 10, 24, 8, 8, 0), utc(2026, 10, 25, 9, 8, 0)},
		// 02:30 does not exist on 29 March 2026 in Oslo: skipped that day.
		{"cron in the spring gap", Schedule{Cron: "30 2 * * *", Location: oslo}, utc(2026, 3, 28, 1, 30, 0), utc(2026, 3, 30, 0, 30, 0)},
		// 02:30 happens twice on 25 October 2026 in Oslo: the first counts.
		{"cron in the repeated hour", Schedule{Cron: "30 2 * * *", Location: oslo}, utc(2026, 10, 24, 0, 30, 0), utc(2026, 10, 25, 0, 30, 0)},
		{"cron after the first of a repeated time", Schedule{Cron: "30 2 * * *", Location: oslo}, utc(2026, 10, 25, 0, 30, 0), utc(2026, 10, 26, 1, 30, 0)},
		{"cron New York spring", Schedule{Cron: "0 2 * * *", Location: ny}, utc(2026, 3, 7, 7, 0, 0), utc(2026, 3, 9, 6, 0, 0)},
		// Lord Howe moves its clocks by 30 minutes.
		{"cron half-hour DST, first of the repeated time", Schedule{Cron: "45 1 * * *", Location: lordHowe}, utc(2026, 4, 3, 14, 45, 0), utc(2026, 4, 4, 14, 45, 0)},
		{"cron half-hour DST, after the repeated time", Schedule{Cron: "45 1 * * *", Location: lordHowe}, utc(2026, 4, 4, 14, 45, 0), utc(2026, 4, 5, 15, 15, 0)},
		{"cron leap day", Schedule{Cron: "0 0 29 2 *"}, utc(2025, 3, 1, 0, 0, 0), utc(2028, 2, 29, 0, 0, 0)},
		{"cron last day of February in a leap year", Schedule{Cron: "0 12 L 2 *"}, utc(2028, 1, 1, 0, 0, 0), utc(2028, 2, 29, 12, 0, 0)},
		{"cron with seconds", Schedule{Cron: "*/15 * * * * *"}, utc(2026, 1, 1, 0, 0, 7), utc(2026, 1, 1, 0, 0, 15)},
		{"macro daily", Schedule{Cron: "@daily", Location: oslo}, utc(2026, 6, 1, 12, 0, 0), utc(2026, 6, 1, 22, 0, 0)},
		{"macro hourly", Schedule{Cron: "@hourly"}, utc(2026, 6, 1, 12, 0, 0), utc(2026, 6, 1, 13, 0, 0)},
		{"weekdays", Schedule{Cron: "0 9 * * 1-5"}, utc(2026, 3, 27, 9, 0, 0), utc(2026, 3, 30, 9, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.s.Next(tc.last)
			if !ok {
				t.Fatalf("Next(%s) has no next time", tc.last)
			}
			if !got.Equal(tc.want) {
				t.Errorf("Next(%s) = %s, want %s", tc.last, got, tc.want)
			}
			if !got.After(tc.last) {
				t.Errorf("Next(%s) = %s is not after the last ping", tc.last, got)
			}
			dl, _ := tc.s.Deadline(tc.last)
			if !dl.Equal(got.Add(tc.s.Grace)) {
				t.Errorf("Deadline = %s, want Next + grace", dl)
			}
		})
	}
}

func TestMissedReason(t *testing.T) {
	oslo := mustLoc(t, "Europe/Oslo")
	s := Schedule{Cron: "8 10 * * *", Location: oslo, Grace: time.Hour}
	got := s.MissedReason(utc(2026, 3, 28, 9, 8, 0))
	want := `no ping since 2026-03-28 09:08 UTC; expected by 2026-03-29 08:08 UTC (cron "8 10 * * *", Europe/Oslo) + 1h grace`
	if got != want {
		t.Errorf("MissedReason =\n %s\nwant\n %s", got, want)
	}
	s = Schedule{Period: 24 * time.Hour, Grace: 90 * time.Minute}
	got = s.MissedReason(utc(2026, 3, 28, 9, 8, 5))
	want = `no ping since 2026-03-28 09:08:05 UTC; expected by 2026-03-29 09:08:05 UTC (every 24h) + 1h30m grace`
	if got != want {
		t.Errorf("MissedReason =\n %s\nwant\n %s", got, want)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Hour: "1h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s", 30 * time.Second: "30s",
		48 * time.Hour: "2d", 24 * time.Hour: "24h", 0: "0s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// FuzzCron feeds arbitrary expressions and timezones through parsing and
// Next: no panic, and a next time is always after the reference.
func FuzzCron(f *testing.F) {
	for _, s := range []string{"8 10 * * *", "@daily", "0 0 30 2 *", "*/5 * * * * *", "0 0 29 2 *", "30 2 * * *", "0 0 L * *", "0 0 * * 5L", "0 0 1W * *", "0 0 * * 1#2", "1-5/2 * * * *"} {
		f.Add(s, "Europe/Oslo", int64(1774688880))
		f.Add(s, "UTC", int64(1792800000))
	}
	f.Add("0 0 * * *", "Mars/Base", int64(0))
	f.Fuzz(func(t *testing.T, expr, tz string, unix int64) {
		loc, err := LoadLocation(tz)
		if err != nil {
			return
		}
		ref := time.Unix(unix%(1<<35), 0).UTC()
		if err := cron.Check(expr, loc, ref); err != nil {
			return
		}
		s := Schedule{Cron: expr, Location: loc, Grace: time.Minute}
		n, ok := s.Next(ref)
		if ok && !n.After(ref) {
			t.Fatalf("Next(%s) = %s, not after", ref, n)
		}
		_ = s.MissedReason(ref)
	})
}
