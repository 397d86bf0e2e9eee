// Package schedule says when a heartbeat's next ping is due: a simple
// schedule (a period after the last ping) or a cron expression in an IANA
// timezone, each with a grace time. Everything here is a pure function of
// its arguments, so it is table-tested across DST changes and leap days.
package schedule

import (
	"fmt"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/cron"
)

// Schedule is when pings are expected. Exactly one of Period and Cron is set.
type Schedule struct {
	// Period is the time between pings of a simple schedule.
	Period time.Duration
	// Cron is a cron expression: five fields, or six with seconds first,
	// or a macro such as @daily.
	Cron string
	// Location is the timezone Cron is read in; nil means UTC.
	Location *time.Location
	// Grace is how long after the expected time a ping may still arrive
	// before the heartbeat is down.
	Grace time.Duration
}

// LoadLocation returns the IANA timezone name; "" is UTC. It is
// cron.LoadLocation, for callers that build a Schedule from a timezone.
func LoadLocation(name string) (*time.Location, error) { return cron.LoadLocation(name) }

// Next returns the time the ping after one received at last is expected.
// For a simple schedule it is last+Period; for a cron schedule it is the
// first time the expression fires after last, read in Location. A wall
// time that does not exist on the day clocks go forward is skipped; one
// that happens twice on the day they go back counts once, at its first
// occurrence. ok is false when a cron expression has no next time.
func (s Schedule) Next(last time.Time) (next time.Time, ok bool) {
	if s.Cron == "" {
		if s.Period <= 0 {
			return time.Time{}, false
		}
		return last.Add(s.Period), true
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	n, err := cron.Next(s.Cron, loc, last)
	if err != nil {
		return time.Time{}, false
	}
	return n.UTC(), true
}

// Deadline is Next(last) plus the grace time: past it, the heartbeat is down.
func (s Schedule) Deadline(last time.Time) (time.Time, bool) {
	n, ok := s.Next(last)
	if !ok {
		return time.Time{}, false
	}
	return n.Add(s.Grace), true
}

// String describes the schedule for people: `every 24h` or
// `cron "8 10 * * *", Europe/Oslo`.
func (s Schedule) String() string {
	if s.Cron == "" {
		return "every " + FormatDuration(s.Period)
	}
	loc := "UTC"
	if s.Location != nil {
		loc = s.Location.String()
	}
	return fmt.Sprintf("cron %q, %s", s.Cron, loc)
}

// FormatDuration writes d without zero units: 1h, 1h30m, 90s → 1m30s.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	if d%(24*time.Hour) == 0 && d >= 48*time.Hour {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// FormatTime writes t in UTC to the minute, or to the second when it has
// seconds: `2026-03-28 10:08 UTC`.
func FormatTime(t time.Time) string {
	t = t.UTC()
	if t.Second() != 0 {
		return t.Format("2006-01-02 15:04:05 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// MissedReason says why a heartbeat whose last ping was at last is down:
// `no ping since 2026-03-28 10:08 UTC; expected by 2026-03-29 10:08 UTC
// (cron "8 10 * * *", Europe/Oslo) + 1h grace`.
func (s Schedule) MissedReason(last time.Time) string {
	n, ok := s.Next(last)
	if !ok {
		return fmt.Sprintf("no ping since %s; the schedule (%s) has no next time", FormatTime(last), s)
	}
	return fmt.Sprintf("no ping since %s; expected by %s (%s) + %s grace", FormatTime(last), FormatTime(n), s, FormatDuration(s.Grace))
}
