// Package cron reads the times people write in the configuration: cron
// expressions and the IANA timezones they are read in (a person's timezone
// too). config validates with it and heartbeat schedules run on it; it
// imports neither, so both may import it. Everything here is a pure
// function of its arguments.
package cron

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/adhocore/gronx"
)

// ErrNeverFires is returned for a cron expression that names no real time
// (such as "0 0 30 2 *", the 30th of February).
var ErrNeverFires = errors.New("the cron expression never fires")

// Check checks expr: valid syntax, and at least one time it fires after
// ref, read in loc (nil means UTC). It returns ErrNeverFires (wrapped) for
// an expression that never does.
func Check(expr string, loc *time.Location, ref time.Time) error {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return errors.New("the cron expression is empty")
	}
	if len(expr) > 256 {
		return errors.New("the cron expression is longer than 256 characters")
	}
	if !gronx.IsValid(expr) {
		return fmt.Errorf("invalid cron expression %q: use five fields (minute hour day-of-month month day-of-week), six with seconds first, or a macro such as @daily", expr)
	}
	if loc == nil {
		loc = time.UTC
	}
	if _, err := Next(expr, loc, ref); err != nil {
		return fmt.Errorf("cron expression %q: %w", expr, err)
	}
	return nil
}

// LoadLocation returns the IANA timezone name; "" is UTC.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	// time.LoadLocation accepts "Local" and file paths relative to the
	// zoneinfo root; neither is a timezone a config should depend on.
	if name == "Local" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") || len(name) > 64 {
		return nil, fmt.Errorf("unknown timezone %q (use an IANA name such as Europe/Oslo or UTC)", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown timezone %q (use an IANA name such as Europe/Oslo or UTC)", name)
	}
	return loc, nil
}

// Next returns the first time expr fires strictly after t, read in loc. A
// wall time that does not exist on the day clocks go forward is skipped;
// one that happens twice on the day they go back counts once, at its first
// occurrence. It returns ErrNeverFires when there is no such time.
func Next(expr string, loc *time.Location, t time.Time) (time.Time, error) {
	from := t.In(loc)
	n, err := gronx.NextTickAfter(expr, from, false)
	if err != nil {
		if strings.Contains(err.Error(), "tried so hard") || strings.Contains(err.Error(), "unreachable year") {
			return time.Time{}, ErrNeverFires
		}
		return time.Time{}, err
	}
	if !n.After(t) {
		// Not expected from gronx; never hand back a time in the past.
		return time.Time{}, ErrNeverFires
	}
	// On the day clocks go back, a wall time happens twice and cron runs
	// the job at the first; gronx may name the second.
	for _, d := range []time.Duration{time.Hour, 30 * time.Minute, 2 * time.Hour} {
		e := n.Add(-d)
		if e.After(t) && sameWall(e.In(loc), n.In(loc)) {
			return e, nil
		}
	}
	return n, nil
}

func sameWall(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute() && a.Second() == b.Second()
}
