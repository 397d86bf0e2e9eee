package mute

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/cron"
)

// Sources of a window.
const (
	SourceConfig = "config"
	SourceStored = "stored"
)

// maxOpenings bounds the cron times one question walks through, so a window
// that opens every minute and lasts a year costs a bounded time.
const maxOpenings = 1000

// Window is a maintenance window: one-off (Start to End) or recurring
// (opening at each Cron time in Location and lasting Duration).
type Window struct {
	ID     string
	Reason string
	Match  config.MaintenanceMatch
	// Start and End bound a one-off window: active from Start (inclusive)
	// to End (exclusive). For a recurring window they bound the
	// recurrence: it covers only what falls between them, and a zero Start
	// or End leaves that side open (windows of the configuration file have
	// neither; a stored one has a Start, and an End once ended).
	Start, End time.Time
	// Cron, Location and Duration make a recurring window.
	Cron     string
	Location *time.Location
	Duration time.Duration
	// Source is SourceConfig or SourceStored.
	Source string
	// CreatedBy is who created a stored window.
	CreatedBy string
	// EndedBy is who ended a stored window early.
	EndedBy string
}

// Recurring reports whether the window repeats on a cron expression.
func (w Window) Recurring() bool { return w.Cron != "" }

// WindowFromConfig reads a window of the configuration file. The loader has
// validated it; the errors here guard a hand-built Config.
func WindowFromConfig(m config.Maintenance) (Window, error) {
	loc, err := cron.LoadLocation(m.Timezone)
	if err != nil {
		return Window{}, fmt.Errorf("maintenance %q: %w", m.ID, err)
	}
	w := Window{ID: m.ID, Reason: m.Reason, Match: m.Match, Location: loc, Source: SourceConfig}
	if m.Cron != "" {
		if time.Duration(m.Duration) <= 0 {
			return Window{}, fmt.Errorf("maintenance %q: a recurring window needs a duration above zero", m.ID)
		}
		if err := cron.Check(m.Cron, loc, time.Now()); err != nil {
			return Window{}, fmt.Errorf("maintenance %q: %w", m.ID, err)
		}
		w.Cron, w.Duration = m.Cron, time.Duration(m.Duration)
		return w, nil
	}
	if w.Start, err = config.ParseLocalTime(m.Start, loc); err != nil {
		return Window{}, fmt.Errorf("maintenance %q: start: %w", m.ID, err)
	}
	if w.End, err = config.ParseLocalTime(m.End, loc); err != nil {
		return Window{}, fmt.Errorf("maintenance %q: end: %w", m.ID, err)
	}
	if !w.Start.Before(w.End) {
		return Window{}, fmt.Errorf("maintenance %q: end %s is not after start %s", m.ID, m.End, m.Start)
	}
	return w, nil
}

// StoredWindow builds a window created at run time. With cronExpr empty it
// is one-off, from start to end; otherwise it opens at each cronExpr time
// read in timezone ("" is UTC) and lasts duration, between start and end
// (a zero end: until someone ends it). The meaning and the DST rules are
// those of a recurring window of the configuration file.
func StoredWindow(id, reason string, match config.MaintenanceMatch, start, end time.Time, cronExpr string, duration time.Duration, timezone string) (Window, error) {
	w := Window{ID: id, Reason: reason, Match: match, Start: start, End: end, Source: SourceStored}
	if cronExpr == "" {
		if duration != 0 || timezone != "" {
			return w, fmt.Errorf("maintenance window %s: a duration or timezone needs a cron expression", id)
		}
		return w, nil
	}
	loc, err := cron.LoadLocation(timezone)
	if err != nil {
		return w, fmt.Errorf("maintenance window %s: %w", id, err)
	}
	w.Cron, w.Duration, w.Location = cronExpr, duration, loc
	return w, nil
}

// Timezone returns the name of the timezone a recurring window's cron is
// read in.
func (w Window) Timezone() string { return w.loc().String() }

// WindowsFromConfig reads every window of cfg, skipping (and returning the
// errors of) those that cannot be read.
func WindowsFromConfig(cfg *config.Config) ([]Window, error) {
	if cfg == nil {
		return nil, nil
	}
	var out []Window
	var errs []error
	for _, m := range cfg.Maintenance {
		w, err := WindowFromConfig(m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, w)
	}
	return out, errors.Join(errs...)
}

// Matches reports whether the window covers the target: a list of its
// match names the monitor, its service, one of its hosts, components or
// tags. An empty match covers nothing.
func (w Window) Matches(t Target) bool {
	m := w.Match
	return slices.Contains(m.Monitors, t.Monitor) ||
		(t.Service != "" && slices.Contains(m.Services, t.Service)) ||
		intersects(m.Hosts, t.Hosts) || intersects(m.Components, t.Components) || intersects(m.Tags, t.Tags)
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// ActiveAt reports whether the window is open at t, and the opening it is
// in. Openings of a recurring window that overlap count as one, so end is
// when the monitor is no longer covered.
func (w Window) ActiveAt(t time.Time) (start, end time.Time, ok bool) {
	if !w.Recurring() {
		if !t.Before(w.Start) && t.Before(w.End) {
			return w.Start, w.End, true
		}
		return time.Time{}, time.Time{}, false
	}
	if !w.Start.IsZero() && t.Before(w.Start) || !w.End.IsZero() && !t.Before(w.End) {
		return time.Time{}, time.Time{}, false
	}
	// The first opening after t - Duration; when it is not after t, t is
	// inside it.
	f, err := w.next(t.Add(-w.Duration))
	if err != nil || f.After(t) {
		return time.Time{}, time.Time{}, false
	}
	start, end = f, f.Add(w.Duration)
	defer func() {
		// The bounds cut the opening t is in.
		if !w.Start.IsZero() && start.Before(w.Start) {
			start = w.Start
		}
		if !w.End.IsZero() && end.After(w.End) {
			end = w.End
		}
	}()
	// Later openings that begin before this one ends extend it.
	for range maxOpenings {
		n, err := w.next(f)
		if err != nil || n.After(end) {
			break
		}
		f = n
		if e := n.Add(w.Duration); e.After(end) {
			end = e
		}
	}
	return start, end, true
}

// Next returns the first opening of the window that begins after t, and
// false when there is none.
func (w Window) Next(t time.Time) (start, end time.Time, ok bool) {
	if !w.Recurring() {
		if w.Start.After(t) {
			return w.Start, w.End, true
		}
		return time.Time{}, time.Time{}, false
	}
	if !w.Start.IsZero() && t.Before(w.Start) {
		// An opening under way when the recurrence begins counts from
		// its beginning.
		if s, e, ok := w.ActiveAt(w.Start); ok {
			return s, e, true
		}
		t = w.Start
	}
	f, err := w.next(t)
	if err != nil || !w.End.IsZero() && !f.Before(w.End) {
		return time.Time{}, time.Time{}, false
	}
	end = f.Add(w.Duration)
	if !w.End.IsZero() && end.After(w.End) {
		end = w.End
	}
	return f, end, true
}

// Over reports whether a window has ended by t: a one-off one at its End,
// a recurring one at the End of its recurrence, if it has one.
func (w Window) Over(t time.Time) bool {
	return !w.End.IsZero() && !t.Before(w.End)
}

// next is cron.Next without the second of two equal wall times on the day
// clocks go back: cron.Next skips it only when asked from before the first,
// and a window asked from between the two must not open twice.
func (w Window) next(t time.Time) (time.Time, error) {
	for range 3 {
		n, err := cron.Next(w.Cron, w.loc(), t)
		if err != nil {
			return n, err
		}
		if !repeatedWall(n, w.loc()) {
			return n, nil
		}
		t = n
	}
	return cron.Next(w.Cron, w.loc(), t)
}

// repeatedWall reports whether the wall time of t in loc also happened
// earlier the same day (t is its second occurrence).
func repeatedWall(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	for _, d := range []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour} {
		e := t.Add(-d).In(loc)
		if e.Hour() == lt.Hour() && e.Minute() == lt.Minute() && e.Second() == lt.Second() && e.Day() == lt.Day() {
			return true
		}
	}
	return false
}

func (w Window) loc() *time.Location {
	if w.Location == nil {
		return time.UTC
	}
	return w.Location
}

// Describe says what the window covers, in words: "services web, api; tags db".
func (w Window) Describe() string {
	var parts []string
	for _, p := range []struct {
		name string
		ids  []string
	}{
		{"services", w.Match.Services}, {"monitors", w.Match.Monitors}, {"hosts", w.Match.Hosts},
		{"components", w.Match.Components}, {"tags", w.Match.Tags},
	} {
		if len(p.ids) > 0 {
			parts = append(parts, p.name+" "+strings.Join(p.ids, ", "))
		}
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, "; ")
}
