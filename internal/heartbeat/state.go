package heartbeat

import (
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/probe"
)

// Status is what a heartbeat looks like now.
type Status string

// Heartbeat states. Paused comes from the monitor state (a person or the
// config paused it); the others from the pings and the schedule.
const (
	StatusNew     Status = "new"     // no ping yet: nothing is expected
	StatusUp      Status = "up"      // the last ping was a success and the next is not due
	StatusLate    Status = "late"    // the next ping is due, inside the grace time
	StatusDown    Status = "down"    // past the grace time, a failure ping, or a run too long
	StatusPaused  Status = "paused"  // not watched
	StatusRunning Status = "running" // started and not finished, not yet too long
)

// Definition is one heartbeat as the ingest and the deadlines need it.
type Definition struct {
	ID       string
	UUID     string // lowercase, canonical form
	Slug     string
	Name     string
	Service  string
	Schedule schedule.Schedule
	// MaxRuntime bounds a run after /start; 0 means the grace time, as
	// in Healthchecks.io.
	MaxRuntime time.Duration
	// Stored is true for heartbeats created through the API or ?create=1
	// (kept in the database), false for those in the config file.
	Stored bool
}

// maxRuntime is how long a run may take.
func (d Definition) maxRuntime() time.Duration {
	if d.MaxRuntime > 0 {
		return d.MaxRuntime
	}
	return d.Schedule.Grace
}

// MaxOpenRuns bounds the runs remembered per heartbeat; starting one more
// forgets the oldest.
const MaxOpenRuns = 32

// Run is a started, unfinished run.
type Run struct {
	RunID string    `json:"rid,omitempty"`
	Start time.Time `json:"start"`
	// Reported is set once the run was reported as too long.
	Reported bool `json:"reported,omitempty"`
}

// State is what the pings of one heartbeat left behind. It is small,
// copied by value (Runs is copied on change) and stored as JSON with each
// batch of pings.
type State struct {
	// LastPing is the time of the last success or failure ping (start and
	// log pings do not move the schedule, as in Healthchecks.io).
	LastPing time.Time `json:"last_ping,omitzero"`
	// LastFailed is true when that ping reported a failure.
	LastFailed bool `json:"last_failed,omitempty"`
	// LastReason says what the last success or failure ping said.
	LastReason string `json:"last_reason,omitempty"`
	// LastDuration is the run time measured by the last finishing ping
	// that had a matching start; 0 when none did.
	LastDuration time.Duration `json:"last_duration_ns,omitempty"`
	// LastActivity is the time of the newest ping of any kind.
	LastActivity time.Time `json:"last_activity,omitzero"`
	// Runs are the started, unfinished runs, oldest first.
	Runs []Run `json:"runs,omitempty"`
	// Overdue is set once a missed deadline was reported, until the
	// next success or failure ping.
	Overdue bool `json:"overdue,omitempty"`
}

// Outcome is what applying one ping produced.
type Outcome struct {
	// Duration is the run time when the ping finished a started run.
	Duration time.Duration
	// Result is the result to evaluate, nil for start and log pings.
	Result *probe.Result
}

// Apply returns the state after ping p of heartbeat d, and its outcome.
// It is a pure function: p.Time is the time of the ping.
func Apply(d Definition, s State, p Ping) (State, Outcome) {
	now := p.Time.UTC()
	s.LastActivity = now
	var out Outcome
	switch p.Kind {
	case KindLog:
		return s, out
	case KindStart:
		runs := make([]Run, 0, len(s.Runs)+1)
		for _, r := range s.Runs {
			if r.RunID != p.RunID {
				runs = append(runs, r)
			}
		}
		runs = append(runs, Run{RunID: p.RunID, Start: now})
		if len(runs) > MaxOpenRuns {
			runs = runs[len(runs)-MaxOpenRuns:]
		}
		s.Runs = runs
		return s, out
	}
	failed := p.Kind == KindFail || p.Kind == KindExit && p.ExitStatus != 0
	i := findRun(s.Runs, p.RunID)
	if i >= 0 {
		out.Duration = max(now.Sub(s.Runs[i].Start), 0)
	}
	// The finished run goes, and so do runs already reported as too long:
	// a newer finish supersedes them.
	var runs []Run
	for j, r := range s.Runs {
		if j != i && !r.Reported {
			runs = append(runs, r)
		}
	}
	s.Runs = runs
	s.LastPing, s.LastFailed, s.Overdue, s.LastDuration = now, failed, false, out.Duration
	s.LastReason = pingReason(p, out.Duration)
	r := probe.Result{MonitorID: d.ID, Time: now, Duration: out.Duration, Status: probe.OK, Reason: s.LastReason}
	if failed {
		r.Status = probe.Critical
	}
	out.Result = &r
	return s, out
}

// findRun returns the index of the run a finishing ping with run id rid
// ends: the one with that id (without an id, the newest run without one).
func findRun(runs []Run, rid string) int {
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].RunID == rid {
			return i
		}
	}
	return -1
}

func pingReason(p Ping, d time.Duration) string {
	var what string
	switch {
	case p.Kind == KindFail:
		what = "the job reported a failure (/fail)"
	case p.Kind == KindExit && p.ExitStatus != 0:
		what = fmt.Sprintf("the job exited with status %d", p.ExitStatus)
	case p.Kind == KindExit:
		what = "the job exited with status 0"
	default:
		what = "success ping"
	}
	if p.Transport == "email" {
		what += " by email"
	}
	if d > 0 {
		what += " after " + formatRunTime(d)
	}
	return what
}

func formatRunTime(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

// Deadline is the next moment at which something must be reported about a
// heartbeat in state s if no ping comes: the schedule's deadline (last
// ping + period or next cron time, plus grace) or the end of a run's
// allowed time, whichever is first. ok is false when nothing is expected:
// no ping yet and no run, or everything due already reported.
func Deadline(d Definition, s State) (time.Time, bool) {
	var best time.Time
	ok := false
	take := func(t time.Time) {
		if !ok || t.Before(best) {
			best, ok = t, true
		}
	}
	if !s.LastPing.IsZero() && !s.Overdue {
		if t, ok := d.Schedule.Deadline(s.LastPing); ok {
			take(t)
		}
	}
	for _, r := range s.Runs {
		if !r.Reported {
			take(r.Start.Add(d.maxRuntime()))
		}
	}
	return best, ok
}

// Expire reports everything due at now: runs past their allowed time and a
// missed schedule deadline. It returns the new state and the failed
// results, in time order; none when nothing is due yet.
func Expire(d Definition, s State, now time.Time) (State, []probe.Result) {
	var out []probe.Result
	var runs []Run
	for i, r := range s.Runs {
		end := r.Start.Add(d.maxRuntime())
		if r.Reported || now.Before(end) {
			continue
		}
		if runs == nil {
			runs = append([]Run(nil), s.Runs...)
		}
		runs[i].Reported = true
		what := "run"
		if r.RunID != "" {
			what = fmt.Sprintf("run %q", r.RunID)
		}
		limit := "max_runtime"
		if d.MaxRuntime <= 0 {
			limit = "the grace time"
		}
		out = append(out, probe.Result{
			MonitorID: d.ID, Time: end, Duration: end.Sub(r.Start), Status: probe.Critical,
			Reason: fmt.Sprintf("%s started %s has not finished within %s %s", what, schedule.FormatTime(r.Start), limit, schedule.FormatDuration(d.maxRuntime())),
		})
	}
	if runs != nil {
		s.Runs = runs
	}
	if !s.LastPing.IsZero() && !s.Overdue {
		if t, ok := d.Schedule.Deadline(s.LastPing); ok && !now.Before(t) {
			s.Overdue = true
			out = append(out, probe.Result{MonitorID: d.ID, Time: t, Status: probe.Critical, Reason: d.Schedule.MissedReason(s.LastPing)})
		}
	}
	return s, out
}

// StatusAt is the heartbeat's status at now, paused aside.
func StatusAt(d Definition, s State, now time.Time) Status {
	if s.LastPing.IsZero() && len(s.Runs) == 0 {
		return StatusNew
	}
	if s.LastFailed || s.Overdue {
		return StatusDown
	}
	running := false
	for _, r := range s.Runs {
		if r.Reported || !now.Before(r.Start.Add(d.maxRuntime())) {
			return StatusDown
		}
		running = true
	}
	if !s.LastPing.IsZero() {
		if dl, ok := d.Schedule.Deadline(s.LastPing); ok && !now.Before(dl) {
			return StatusDown
		}
	}
	if running {
		return StatusRunning
	}
	if s.LastPing.IsZero() {
		return StatusNew
	}
	if n, ok := d.Schedule.Next(s.LastPing); ok && !now.Before(n) {
		return StatusLate
	}
	return StatusUp
}

// NextExpected is when the next ping is expected, zero when none is.
func NextExpected(d Definition, s State) time.Time {
	if s.LastPing.IsZero() {
		return time.Time{}
	}
	n, _ := d.Schedule.Next(s.LastPing)
	return n
}
