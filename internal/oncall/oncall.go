// Package oncall is the pure rotation engine of on-call schedules: given a
// schedule and an instant, who is on call, when the next handoff is, and
// where nobody is. No I/O and no clock: every function takes its instants.
//
// Wall-clock rule across daylight-saving changes: a handoff (or a restrict
// bound) at a local time that does not exist that day — 02:30 on a
// spring-forward night in Europe/Oslo — happens at the first valid instant
// after the gap, the moment of the change (03:00 local). A local time that
// happens twice — 02:30 on a fall-back night — means the first of the two.
package oncall

import (
	"fmt"
	"time"
)

// PersonID is the id of a person of the configuration.
type PersonID = string

// Days per shift of the calendar rotations.
const (
	DaysDaily  = 1
	DaysWeekly = 7
)

// searchHorizon bounds the walk of NextHandoff: a schedule whose on-call set
// does not change within a year has no handoff worth naming.
const searchHorizon = 366 * 24 * time.Hour

// Schedule is one on-call schedule.
type Schedule struct {
	// Loc is the timezone of handoffs, start dates and restrict hours.
	Loc *time.Location
	// Layers are listed from the bottom up: a later layer overrides an
	// earlier one wherever it has someone.
	Layers []Layer
	// Overrides beat every layer. They do not overlap one another.
	Overrides []Override
}

// Layer is one rotation.
type Layer struct {
	// Days is the shift length in calendar days (DaysDaily, DaysWeekly), or
	// 0 when Every is set: calendar shifts keep their local handoff time
	// across daylight-saving changes.
	Days int
	// Every is a fixed shift length in elapsed time, such as 12h; a shift
	// then lasts exactly that long, whatever the wall clock does.
	Every time.Duration
	// Handoff is the local time of day a shift begins, in minutes after
	// midnight.
	Handoff int
	// Start is the local date of the first shift (only its year, month and
	// day count). Before the first handoff on it the layer has nobody.
	Start time.Time
	// Members take shifts in this order, then start over.
	Members []PersonID
	// Restrict, when set, limits the layer to some days and hours.
	Restrict *Restrict
}

// Restrict limits a layer to some weekdays and a local time window each of
// those days.
type Restrict struct {
	// Days are the weekdays the layer covers; none means every day.
	Days []time.Weekday
	// From and To bound the window in minutes after local midnight,
	// From < To (the window does not cross midnight).
	From, To int
}

// Override puts Person on call from From (inclusive) to To (exclusive).
type Override struct {
	Person   PersonID
	From, To time.Time
}

// Gap is an interval in which nobody is on call.
type Gap struct{ From, To time.Time }

// OnCall returns who is on call at t: the override covering t, else the
// highest layer that has someone, else nobody (nil).
func OnCall(s Schedule, t time.Time) []PersonID {
	if p, _, ok := whoAt(s, t); ok {
		return []PersonID{p}
	}
	return nil
}

// whoAt is OnCall for one person, saying whether an override put them on
// call; ok is false when nobody is.
func whoAt(s Schedule, t time.Time) (p PersonID, override, ok bool) {
	for _, o := range s.Overrides {
		if !t.Before(o.From) && t.Before(o.To) {
			return o.Person, true, true
		}
	}
	for i := len(s.Layers) - 1; i >= 0; i-- {
		if p, ok := layerAt(s.Loc, s.Layers[i], t); ok {
			return p, false, true
		}
	}
	return "", false, false
}

// layerAt returns who layer l has on call at t, if anyone.
func layerAt(loc *time.Location, l Layer, t time.Time) (PersonID, bool) {
	if len(l.Members) == 0 || !restricted(loc, l.Restrict, t) {
		return "", false
	}
	k, ok := shiftIndex(loc, l, t)
	if !ok {
		return "", false
	}
	n := int64(len(l.Members))
	return l.Members[((k%n)+n)%n], true
}

// shiftIndex is the number of the shift running at t (0 for the first),
// false before the first one begins.
func shiftIndex(loc *time.Location, l Layer, t time.Time) (int64, bool) {
	first := shiftStart(loc, l, 0)
	if t.Before(first) {
		return 0, false
	}
	if l.Days == 0 {
		return int64(t.Sub(first) / l.Every), true
	}
	// Whole local days from the start date to t's local date, counted on
	// a clock without daylight saving.
	lt := t.In(loc)
	days := civilDays(l.Start, lt)
	k := days / int64(l.Days)
	if t.Before(shiftStart(loc, l, k)) {
		k--
	}
	return k, true
}

// shiftStart is the instant shift k begins.
func shiftStart(loc *time.Location, l Layer, k int64) time.Time {
	if l.Days == 0 {
		return wall(loc, l.Start.Year(), l.Start.Month(), l.Start.Day(), l.Handoff).Add(time.Duration(k) * l.Every)
	}
	return wall(loc, l.Start.Year(), l.Start.Month(), l.Start.Day()+int(k)*l.Days, l.Handoff)
}

// civilDays counts calendar days from date a to the local date of b.
func civilDays(a, b time.Time) int64 {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int64(db.Sub(da) / (24 * time.Hour))
}

// restricted reports whether t lies inside r (always, when r is nil).
func restricted(loc *time.Location, r *Restrict, t time.Time) bool {
	if r == nil {
		return true
	}
	lt := t.In(loc)
	if !dayIn(r.Days, lt.Weekday()) {
		return false
	}
	from := wall(loc, lt.Year(), lt.Month(), lt.Day(), r.From)
	to := wall(loc, lt.Year(), lt.Month(), lt.Day(), r.To)
	return !t.Before(from) && t.Before(to)
}

func dayIn(days []time.Weekday, d time.Weekday) bool {
	if len(days) == 0 {
		return true
	}
	for _, x := range days {
		if x == d {
			return true
		}
	}
	return false
}

// wall is the instant of a local date and time of day (minutes after
// midnight) in loc, by the package's rule: a time in a spring-forward gap
// becomes the moment of the change, a time that happens twice the first.
func wall(loc *time.Location, y int, m time.Month, d, minutes int) time.Time {
	t := time.Date(y, m, d, 0, minutes, 0, 0, loc)
	want := time.Date(y, m, d, 0, minutes, 0, 0, time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, time.UTC)
	start, end := t.ZoneBounds()
	switch {
	case got.After(want):
		// Read with the offset after the change: the wall time lies in the
		// gap, whose end is the change itself, the start of t's zone.
		return start
	case got.Before(want):
		// Read with the offset before the change: the change is t's zone's end.
		return end
	}
	// A fall-back night: the same wall time an offset earlier, in the zone
	// before this one, is the first of the two.
	if !start.IsZero() {
		_, off := t.Zone()
		_, prevOff := start.Add(-time.Second).Zone()
		if prevOff > off {
			if e := t.Add(-time.Duration(prevOff-off) * time.Second); e.Before(start) {
				return e
			}
		}
	}
	return t
}

// NextChange returns the first instant after t at which the on-call set of
// s may change: a shift begins, a restrict window opens or closes, an
// override begins or ends. The set may turn out the same (the next member
// of a one-member layer is the same person).
func NextChange(s Schedule, t time.Time) time.Time {
	var next time.Time
	take := func(c time.Time) {
		if c.After(t) && (next.IsZero() || c.Before(next)) {
			next = c
		}
	}
	for _, o := range s.Overrides {
		take(o.From)
		take(o.To)
	}
	for _, l := range s.Layers {
		if len(l.Members) == 0 {
			continue
		}
		k, ok := shiftIndex(s.Loc, l, t)
		if !ok {
			take(shiftStart(s.Loc, l, 0))
		} else {
			take(shiftStart(s.Loc, l, k+1))
		}
		if r := l.Restrict; r != nil {
			lt := t.In(s.Loc)
			// The next window bound is at most a week and a day away, and
			// a day's bounds come before the next day's: the first day
			// with a bound after t has the next one.
			for d := 0; d <= 8; d++ {
				day := time.Date(lt.Year(), lt.Month(), lt.Day()+d, 12, 0, 0, 0, time.UTC)
				if !dayIn(r.Days, day.Weekday()) {
					continue
				}
				if to := wall(s.Loc, day.Year(), day.Month(), day.Day(), r.To); to.After(t) {
					take(wall(s.Loc, day.Year(), day.Month(), day.Day(), r.From))
					take(to)
					break
				}
			}
		}
	}
	return next
}

// NextHandoff returns the first instant after t at which someone else
// comes on call, and who; false when that does not happen within a year.
func NextHandoff(s Schedule, t time.Time) (time.Time, []PersonID, bool) {
	now := OnCall(s, t)
	for c := NextChange(s, t); !c.IsZero() && c.Sub(t) <= searchHorizon; c = NextChange(s, c) {
		if who := OnCall(s, c); !same(who, now) {
			return c, who, true
		}
	}
	return time.Time{}, nil, false
}

// Gaps returns the intervals within [from, to) in which nobody is on call,
// clipped to the window and merged where they touch.
func Gaps(s Schedule, from, to time.Time) []Gap {
	var out []Gap
	for c := from; c.Before(to); {
		n := NextChange(s, c)
		if n.IsZero() || n.After(to) {
			n = to
		}
		if len(OnCall(s, c)) == 0 {
			if k := len(out); k > 0 && out[k-1].To.Equal(c) {
				out[k-1].To = n
			} else {
				out = append(out, Gap{From: c, To: n})
			}
		}
		c = n
	}
	return out
}

// Shift is a stretch of time in which one person is on call.
type Shift struct {
	Person   PersonID
	From, To time.Time
	// Override is true when an override, not a layer, puts Person on call.
	Override bool
}

// Shifts returns who is on call within [from, to) as consecutive shifts,
// clipped to the window, in time order. A person on call on both sides of
// a change that keeps them (a one-member layer's next shift, a layer below
// showing through with the same person) stays one shift; an override is
// always a shift of its own. Where nobody is on call there is no shift:
// those stretches are the Gaps.
func Shifts(s Schedule, from, to time.Time) []Shift {
	var out []Shift
	for c := from; c.Before(to); {
		n := NextChange(s, c)
		if n.IsZero() || n.After(to) {
			n = to
		}
		if p, ov, ok := whoAt(s, c); ok {
			if k := len(out); k > 0 && out[k-1].To.Equal(c) && out[k-1].Person == p && out[k-1].Override == ov {
				out[k-1].To = n
			} else {
				out = append(out, Shift{Person: p, From: c, To: n, Override: ov})
			}
		}
		c = n
	}
	return out
}

func same(a, b []PersonID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Describe says g in words, local to loc with UTC beside:
//
//	Sat 2026-12-12 17:00 – Mon 09:00 Europe/Oslo (16:00 – 08:00 UTC)
//
// The end shows its date too when it is a week or more after the start; a
// UTC time shows its weekday when that differs from the local one.
func (g Gap) Describe(loc *time.Location) string {
	from, to := g.From.In(loc), g.To.In(loc)
	toLayout := "Mon 15:04"
	if to.Sub(from) >= 6*24*time.Hour {
		toLayout = "Mon 2006-01-02 15:04"
	}
	utc := func(local time.Time) string {
		u := local.UTC()
		if u.Weekday() != local.Weekday() {
			return u.Format("Mon 15:04")
		}
		return u.Format("15:04")
	}
	return fmt.Sprintf("%s – %s %s (%s – %s UTC)", from.Format("Mon 2006-01-02 15:04"), to.Format(toLayout), loc, utc(from), utc(to))
}
