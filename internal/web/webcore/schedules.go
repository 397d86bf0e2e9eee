package webcore

import (
	"slices"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/oncall"
)

// GapWindow is how far ahead the pages, the API and /metrics look for
// on-call gaps: the same two weeks `tocsin validate` checks.
const GapWindow = 14 * 24 * time.Hour

// summaryEvery is how long a schedule summary is reused: who is on call
// changes at handoffs, minutes apart at the closest, so a scrape or a page
// a minute late shows nothing stale that matters.
const summaryEvery = time.Minute

// ScheduleInfo is one on-call schedule of the running configuration,
// converted for the rotation engine.
type ScheduleInfo struct {
	Config   config.Schedule
	Schedule oncall.Schedule
	// Members are the ids of everyone the schedule can put on call, in
	// the order of first appearance: layers from the bottom up, then
	// overrides.
	Members []string
	// Err is set when the schedule could not be converted, which only a
	// configuration that skipped validation can cause; such a schedule
	// shows its error and nobody on call.
	Err error
}

// Name is the schedule's display name, its id when it has none.
func (i ScheduleInfo) Name() string {
	if i.Config.Name != "" {
		return i.Config.Name
	}
	return i.Config.ID
}

// Shifts returns the schedule's shifts within [from, to).
func (i ScheduleInfo) Shifts(from, to time.Time) []oncall.Shift {
	if i.Err != nil {
		return nil
	}
	return oncall.Shifts(i.Schedule, from, to)
}

// Gaps returns the stretches within [from, to) in which nobody is on call;
// a schedule that could not be converted is one gap.
func (i ScheduleInfo) Gaps(from, to time.Time) []oncall.Gap {
	if i.Err != nil {
		return []oncall.Gap{{From: from, To: to}}
	}
	return oncall.Gaps(i.Schedule, from, to)
}

// ScheduleSummary is what a list of schedules shows of one: who is on call
// now, the next handoff, and the gaps of the next GapWindow.
type ScheduleSummary struct {
	ScheduleInfo
	At     time.Time
	OnCall []string
	// NextAt is the next handoff and Next who comes on call then (nobody
	// when a gap begins); NextAt is zero when nothing changes within a year.
	NextAt time.Time
	Next   []string
	Gaps   []oncall.Gap
	// GapSeconds is the uncovered time of Gaps.
	GapSeconds float64
}

// Summarize computes the summary of i at now.
func Summarize(i ScheduleInfo, now time.Time) ScheduleSummary {
	sum := ScheduleSummary{ScheduleInfo: i, At: now}
	if i.Err == nil {
		sum.OnCall = oncall.OnCall(i.Schedule, now)
		if at, who, ok := oncall.NextHandoff(i.Schedule, now); ok {
			sum.NextAt, sum.Next = at, who
		}
	}
	sum.Gaps = i.Gaps(now, now.Add(GapWindow))
	for _, g := range sum.Gaps {
		sum.GapSeconds += g.To.Sub(g.From).Seconds()
	}
	return sum
}

// Schedules converts the schedules of the running configuration once per
// configuration, and keeps their summaries for a minute, so pages, the API
// and every /metrics scrape cost a map lookup between changes.
type Schedules struct {
	rt Runtime

	mu        sync.Mutex
	cfg       *config.Config
	list      []ScheduleInfo
	byID      map[string]int
	summaryAt time.Time
	summaries []ScheduleSummary
}

// NewSchedules returns the schedules of rt's running configuration.
func NewSchedules(rt Runtime) *Schedules { return &Schedules{rt: rt} }

// load converts the running configuration's schedules when it changed.
// The caller holds mu.
func (s *Schedules) load() {
	cfg := s.rt.Config()
	if cfg == s.cfg && s.byID != nil {
		return
	}
	s.cfg, s.list, s.byID, s.summaries = cfg, nil, map[string]int{}, nil
	if cfg == nil {
		return
	}
	for _, cs := range cfg.Schedules {
		info := ScheduleInfo{Config: cs}
		info.Schedule, info.Err = oncall.FromConfig(cs)
		for _, l := range cs.Layers {
			for _, m := range l.Members {
				if !slices.Contains(info.Members, m) {
					info.Members = append(info.Members, m)
				}
			}
		}
		for _, o := range cs.Overrides {
			if !slices.Contains(info.Members, o.Person) {
				info.Members = append(info.Members, o.Person)
			}
		}
		s.byID[cs.ID] = len(s.list)
		s.list = append(s.list, info)
	}
}

// List returns every schedule, in configuration order.
func (s *Schedules) List() []ScheduleInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	return s.list
}

// Get returns the schedule with the id; false when there is none.
func (s *Schedules) Get(id string) (ScheduleInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	i, ok := s.byID[id]
	if !ok {
		return ScheduleInfo{}, false
	}
	return s.list[i], true
}

// Summaries returns the summary of every schedule at now, recomputed at
// most once a minute and whenever the configuration changes.
func (s *Schedules) Summaries(now time.Time) []ScheduleSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	if s.summaries != nil && !now.Before(s.summaryAt) && now.Sub(s.summaryAt) < summaryEvery {
		return s.summaries
	}
	out := make([]ScheduleSummary, len(s.list))
	for i, info := range s.list {
		out[i] = Summarize(info, now)
	}
	s.summaries, s.summaryAt = out, now
	return out
}

// PersonShift is a shift of one person in one schedule.
type PersonShift struct {
	oncall.Shift
	Schedule ScheduleInfo
}

// PersonShifts returns the shifts of person in every schedule within
// [from, to), in time order.
func (s *Schedules) PersonShifts(person string, from, to time.Time) []PersonShift {
	var out []PersonShift
	for _, info := range s.List() {
		if !slices.Contains(info.Members, person) {
			continue
		}
		for _, sh := range info.Shifts(from, to) {
			if sh.Person == person {
				out = append(out, PersonShift{Shift: sh, Schedule: info})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b PersonShift) int { return a.From.Compare(b.From) })
	return out
}

// PersonName is a person's display name from the running catalog, the id
// itself when the catalog does not know it.
func PersonName(rt Runtime, id string) string {
	if cat := rt.Catalog(); cat != nil {
		if p, ok := cat.Person(id); ok && p.Name != "" {
			return p.Name
		}
	}
	return id
}
