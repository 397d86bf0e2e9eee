package oncall

import (
	"fmt"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/cron"
)

// FromConfig builds the Schedule of a validated configuration schedule.
// It parses with config's own readers, so what validation accepted
// converts; an error means the schedule was not validated.
func FromConfig(c config.Schedule) (Schedule, error) {
	loc, err := cron.LoadLocation(c.Timezone)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", c.ID, err)
	}
	s := Schedule{Loc: loc}
	for i, cl := range c.Layers {
		l, err := layerFromConfig(cl)
		if err != nil {
			return Schedule{}, fmt.Errorf("schedule %q: layers[%d]: %w", c.ID, i, err)
		}
		s.Layers = append(s.Layers, l)
	}
	for i, co := range c.Overrides {
		from, err := config.ParseLocalTime(co.From, loc)
		if err != nil {
			return Schedule{}, fmt.Errorf("schedule %q: overrides[%d]: %w", c.ID, i, err)
		}
		to, err := config.ParseLocalTime(co.To, loc)
		if err != nil {
			return Schedule{}, fmt.Errorf("schedule %q: overrides[%d]: %w", c.ID, i, err)
		}
		s.Overrides = append(s.Overrides, Override{Person: co.Person, From: from, To: to})
	}
	return s, nil
}

func layerFromConfig(cl config.ScheduleLayer) (Layer, error) {
	days, every, err := config.ParseRotation(cl.Rotation)
	if err != nil {
		return Layer{}, err
	}
	handoff, err := config.ParseClock(cl.Handoff, false)
	if err != nil {
		return Layer{}, err
	}
	start, err := config.ParseDate(cl.Start)
	if err != nil {
		return Layer{}, err
	}
	l := Layer{Days: days, Every: every, Handoff: handoff, Start: start, Members: cl.Members}
	if r := cl.Restrict; r != nil {
		wd, err := config.ParseWeekdays(r.Days)
		if err != nil {
			return Layer{}, err
		}
		from, err := config.ParseClock(r.From, false)
		if err != nil {
			return Layer{}, err
		}
		to, err := config.ParseClock(r.To, true)
		if err != nil {
			return Layer{}, err
		}
		l.Restrict = &Restrict{Days: wd, From: from, To: to}
	}
	return l, nil
}
