package config

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/cron"
)

// Schedule is an on-call schedule: layers of rotations, the later above
// the earlier, and overrides above them all. The times are local to
// Timezone. internal/oncall computes who is on call from it.
type Schedule struct {
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Timezone is the IANA name handoffs, start dates, restrict hours and
	// overrides are read in, such as Europe/Oslo. Required.
	Timezone  string             `yaml:"timezone"`
	Layers    []ScheduleLayer    `yaml:"layers"`
	Overrides []ScheduleOverride `yaml:"overrides"`
}

// ScheduleLayer is one rotation of a schedule.
type ScheduleLayer struct {
	Name string `yaml:"name"`
	// Rotation is "daily", "weekly" or a duration such as "12h".
	Rotation string `yaml:"rotation"`
	// Handoff is the local time a shift begins, "HH:MM".
	Handoff string `yaml:"handoff"`
	// Start is the local date of the first shift, "YYYY-MM-DD".
	Start string `yaml:"start"`
	// Members are person ids; they take shifts in this order.
	Members []string `yaml:"members"`
	// Restrict limits the layer to some days and hours.
	Restrict *ScheduleRestrict `yaml:"restrict"`
}

// ScheduleRestrict limits a layer to Days (mon … sun, weekdays, weekend;
// none means every day) from From to To local time, "HH:MM", From before To.
type ScheduleRestrict struct {
	Days []string `yaml:"days"`
	From string   `yaml:"from"`
	To   string   `yaml:"to"`
}

// ScheduleOverride puts Person on call from From to To, local times
// "YYYY-MM-DD HH:MM" in the schedule's timezone (or RFC 3339 with an offset).
type ScheduleOverride struct {
	Person string `yaml:"person"`
	From   string `yaml:"from"`
	To     string `yaml:"to"`
}

// Rotation names.
const (
	RotationDaily  = "daily"
	RotationWeekly = "weekly"
)

// Start dates lie within these years: far enough apart for any real
// rotation, near enough that shift arithmetic in nanoseconds cannot
// overflow for centuries.
const (
	MinStartYear = 2000
	MaxStartYear = 2100
)

// MinRotation is the shortest rotation given as a duration: a shift shorter
// than an hour hands the pager over faster than anyone can pick it up.
const MinRotation = time.Hour

// ParseRotation reads a rotation: daily and weekly as calendar days (which
// keep their local handoff time across daylight-saving changes), anything
// else as a fixed duration of at least MinRotation.
func ParseRotation(s string) (days int, every time.Duration, err error) {
	switch s {
	case RotationDaily:
		return 1, 0, nil
	case RotationWeekly:
		return 7, 0, nil
	case "":
		return 0, 0, fmt.Errorf("rotation is required: daily, weekly or a duration such as 12h")
	}
	d, err := ParseDuration(s)
	if err != nil {
		return 0, 0, fmt.Errorf("invalid rotation %q: use daily, weekly or a duration such as 12h", s)
	}
	if d < MinRotation {
		return 0, 0, fmt.Errorf("rotation %s is shorter than an hour", s)
	}
	return 0, d, nil
}

// minutesPerDay is the end of a day as a clock time: "24:00" may close a
// restrict window.
const minutesPerDay = 24 * 60

// ParseClock reads a local time of day "HH:MM" as minutes after midnight.
// "24:00" is accepted only when allowEnd is set (the end of a window).
func ParseClock(s string, allowEnd bool) (int, error) {
	if allowEnd && s == "24:00" {
		return minutesPerDay, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != len("15:04") {
		return 0, fmt.Errorf("invalid time of day %q: write HH:MM, such as 09:00", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// ParseDate reads a date "YYYY-MM-DD" (midnight UTC; only the date counts).
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid date %q: write YYYY-MM-DD, such as 2026-01-05", s)
	}
	return t, nil
}

// localTimeLayout is an override's bound in the schedule's timezone.
const localTimeLayout = "2006-01-02 15:04"

// ParseLocalTime reads an override bound: "YYYY-MM-DD HH:MM" in loc, or
// RFC 3339 with its own offset.
func ParseLocalTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation(localTimeLayout, s, loc); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid time %q: write %q in the schedule's timezone, such as 2026-12-24 09:00", s, "YYYY-MM-DD HH:MM")
}

var weekdayNames = map[string][]time.Weekday{
	"mon": {time.Monday}, "tue": {time.Tuesday}, "wed": {time.Wednesday}, "thu": {time.Thursday},
	"fri": {time.Friday}, "sat": {time.Saturday}, "sun": {time.Sunday},
	"weekdays": {time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
	"weekend":  {time.Saturday, time.Sunday},
}

// ParseWeekdays reads restrict days: mon … sun, weekdays, weekend.
func ParseWeekdays(names []string) ([]time.Weekday, error) {
	var out []time.Weekday
	for _, n := range names {
		ds, ok := weekdayNames[strings.ToLower(n)]
		if !ok {
			return nil, fmt.Errorf("unknown day %q (use mon, tue, wed, thu, fri, sat, sun, weekdays or weekend)", n)
		}
		for _, d := range ds {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// Schedule returns the schedule with the given id.
func (c *Config) Schedule(id string) (*Schedule, bool) {
	for i := range c.Schedules {
		if c.Schedules[i].ID == id {
			return &c.Schedules[i], true
		}
	}
	return nil, false
}

// validateSchedules checks the schedules: their ids, timezones, layers,
// members (defined people) and overrides (defined people, not overlapping).
func (l *loader) validateSchedules(cfg *Config, people map[string]string) {
	l.ids("schedules", len(cfg.Schedules), func(i int) string { return cfg.Schedules[i].ID }, nil)
	for i := range cfg.Schedules {
		s := &cfg.Schedules[i]
		p := fmt.Sprintf("schedules[%d]", i)
		var loc *time.Location
		if s.Timezone == "" {
			l.errAt(p+".timezone", "timezone is required: handoffs are local times (use an IANA name such as Europe/Oslo, or UTC)")
		} else if tz, err := cron.LoadLocation(s.Timezone); err != nil {
			l.errAt(p+".timezone", "unknown timezone %q (use an IANA name such as Europe/Oslo or UTC)", s.Timezone)
		} else {
			loc = tz
		}
		if len(s.Layers) == 0 {
			l.errAt(p+".layers", "a schedule needs at least one layer (a rotation of members)")
		}
		for j := range s.Layers {
			l.validateLayer(&s.Layers[j], fmt.Sprintf("%s.layers[%d]", p, j), people)
		}
		l.validateOverrides(s.Overrides, p, loc, people)
	}
}

func (l *loader) validateLayer(ly *ScheduleLayer, p string, people map[string]string) {
	if _, _, err := ParseRotation(ly.Rotation); err != nil {
		l.errAt(p+".rotation", "%v", err)
	}
	if ly.Handoff == "" {
		l.errAt(p+".handoff", "handoff is required: the local time a shift begins, such as 09:00")
	} else if _, err := ParseClock(ly.Handoff, false); err != nil {
		l.errAt(p+".handoff", "%v", err)
	}
	if ly.Start == "" {
		l.errAt(p+".start", "start is required: the date of the first shift, such as 2026-01-05")
	} else if d, err := ParseDate(ly.Start); err != nil {
		l.errAt(p+".start", "%v", err)
	} else if d.Year() < MinStartYear || d.Year() > MaxStartYear {
		l.errAt(p+".start", "start %s is out of range: use a date from %d to %d", ly.Start, MinStartYear, MaxStartYear)
	}
	if len(ly.Members) == 0 {
		l.errAt(p+".members", "a layer needs at least one member (a person id)")
	}
	l.personRefs(p+".members", ly.Members, people)
	r := ly.Restrict
	if r == nil {
		return
	}
	if _, err := ParseWeekdays(r.Days); err != nil {
		l.errAt(p+".restrict.days", "%v", err)
	}
	from, errFrom := ParseClock(r.From, false)
	if errFrom != nil {
		l.errAt(p+".restrict.from", "%v", errFrom)
	}
	to, errTo := ParseClock(r.To, true)
	if errTo != nil {
		l.errAt(p+".restrict.to", "%v", errTo)
	}
	if errFrom == nil && errTo == nil && from >= to {
		l.errAt(p+".restrict", "from %s is not before to %s: a window ends the day it starts (use 24:00 for midnight, or two layers for a night)", r.From, r.To)
	}
}

// personRefs checks that every id in list names a person, suggesting the
// nearest id for a typo.
func (l *loader) personRefs(path string, list []string, people map[string]string) {
	for i, id := range list {
		l.personRef(fmt.Sprintf("%s[%d]", path, i), id, people)
	}
}

func (l *loader) personRef(path, id string, people map[string]string) {
	if _, ok := people[id]; ok {
		return
	}
	msg := fmt.Sprintf("undefined person %q", id)
	if s := nearest(id, people); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	l.errAt(path, "%s", msg)
}

// nearest returns the id of defined closest to id: within two edits, and
// fewer edits than half of id, so a short id is not "corrected" into an
// unrelated one.
func nearest(id string, defined map[string]string) string {
	best, bestDist := "", 3
	for _, c := range slices.Sorted(maps.Keys(defined)) {
		if d := editDistance(id, c); d < bestDist && 2*d < len(id) {
			best, bestDist = c, d
		}
	}
	return best
}

func (l *loader) validateOverrides(os []ScheduleOverride, p string, loc *time.Location, people map[string]string) {
	type span struct {
		from, to time.Time
		path     string
	}
	var spans []span
	for k := range os {
		o := &os[k]
		op := fmt.Sprintf("%s.overrides[%d]", p, k)
		if o.Person == "" {
			l.errAt(op+".person", "person is required")
		} else {
			l.personRef(op+".person", o.Person, people)
		}
		if loc == nil {
			continue
		}
		from, errFrom := ParseLocalTime(o.From, loc)
		if errFrom != nil {
			l.errAt(op+".from", "%v", errFrom)
		}
		to, errTo := ParseLocalTime(o.To, loc)
		if errTo != nil {
			l.errAt(op+".to", "%v", errTo)
		}
		if errFrom != nil || errTo != nil {
			continue
		}
		if !from.Before(to) {
			l.errAt(op+".to", "to %s is not after from %s", o.To, o.From)
			continue
		}
		spans = append(spans, span{from, to, op})
	}
	sort.SliceStable(spans, func(a, b int) bool { return spans[a].from.Before(spans[b].from) })
	for k := 1; k < len(spans); k++ {
		if prev := spans[k-1]; spans[k].from.Before(prev.to) {
			l.errAt(spans[k].path+".from", "overlaps %s: one override at a time, so nobody is unsure who is on call", l.at(prev.path, prev.path, spans[k].path))
		}
	}
}
