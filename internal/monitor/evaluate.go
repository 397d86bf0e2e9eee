package monitor

import (
	"fmt"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
)

// Flapping detection defaults, the values Nagios uses.
const (
	DefaultFlapWindow = 21
	DefaultFlapHigh   = 50.0
	DefaultFlapLow    = 25.0
	// MaxFlapWindow bounds State.Recent so that a typo in a config cannot
	// make every stored state kilobytes long.
	MaxFlapWindow = 256
)

// Weights of a state change in the flapping percentage: the oldest change
// in the window counts flapWeightLow, the newest flapWeightHigh, linearly in
// between, so recent behaviour matters more than old (as in Nagios).
const (
	flapWeightLow  = 0.8
	flapWeightHigh = 1.2
)

// Raw outcomes kept in State.Recent.
const (
	outcomeFailed = 'f'
	outcomeOK     = 'o'
)

// counterCap keeps the streak counters far from overflow on a monitor that
// has been up for years at a one-second interval.
const counterCap = 1 << 30

// Normalize returns p with defaults filled in: both thresholds at least 1,
// FlapWindow 21 when it is 0 (a negative window, which switches flapping
// detection off, is kept), at most MaxFlapWindow, FlapHigh 50 and FlapLow 25
// when they are not positive, and FlapLow never above FlapHigh.
func (p Policy) Normalize() Policy {
	p.FailureThreshold = max(p.FailureThreshold, 1)
	p.SuccessThreshold = max(p.SuccessThreshold, 1)
	switch {
	case p.FlapWindow == 0:
		p.FlapWindow = DefaultFlapWindow
	case p.FlapWindow == 1:
		p.FlapWindow = 2
	case p.FlapWindow > MaxFlapWindow:
		p.FlapWindow = MaxFlapWindow
	}
	if p.FlapHigh <= 0 {
		p.FlapHigh = DefaultFlapHigh
	}
	if p.FlapLow <= 0 {
		p.FlapLow = DefaultFlapLow
	}
	p.FlapLow = min(p.FlapLow, p.FlapHigh)
	return p
}

// flapping reports whether p asks for flapping detection, and the window
// and thresholds to use. It is lenient with a policy that was not
// normalised: thresholds that are not positive take the defaults.
func (p Policy) flapping() (window int, high, low float64, ok bool) {
	if p.FlapWindow < 2 {
		return 0, 0, 0, false
	}
	high, low = p.FlapHigh, p.FlapLow
	if high <= 0 {
		high = DefaultFlapHigh
	}
	if low <= 0 {
		low = DefaultFlapLow
	}
	return min(p.FlapWindow, MaxFlapWindow), high, min(low, high), true
}

// known reports whether s is one of the defined statuses.
func (s Status) known() bool {
	switch s {
	case StatusPending, StatusUp, StatusWarning, StatusDown, StatusPaused:
		return true
	}
	return false
}

// Evaluate feeds one result into the state machine and returns the new
// state and the confirmed changes it caused, in order (a status change
// first, then a flapping start or stop). It does no I/O and never fails.
//
// A result that fails (probe.Result.Failed) counts towards Down; OK and
// Warning results count towards Up and Warning. FailureThreshold failures
// in a row confirm Down from Pending, Up or Warning; SuccessThreshold
// good results in a row confirm Up or Warning (whichever the newest result
// says) from Pending or Down, and SuccessThreshold results in a row of the
// other kind move between Up and Warning. Thresholds below 1 count as 1.
//
// A result is timed by r.Time, or now when r.Time is zero. A result older
// than the newest one already seen, and any result while the monitor is
// paused, is ignored: the state comes back unchanged with no transitions.
func Evaluate(p Policy, s State, r probe.Result, now time.Time) (State, []Transition) {
	if s.Status == StatusPaused {
		return s, nil
	}
	at := r.Time
	if at.IsZero() {
		at = now
	}
	if !s.LastResultAt.IsZero() && at.Before(s.LastResultAt) {
		return s, nil
	}
	if !s.Status.known() {
		s.Status = StatusPending
		s.Since = time.Time{}
	}
	if s.Since.IsZero() {
		s.Since = at
	}
	failureThreshold := max(p.FailureThreshold, 1)
	successThreshold := max(p.SuccessThreshold, 1)

	failed := r.Failed()
	if failed {
		s.ConsecutiveFailures = min(s.ConsecutiveFailures+1, counterCap)
		s.ConsecutiveSuccesses = 0
	} else {
		s.ConsecutiveSuccesses = min(s.ConsecutiveSuccesses+1, counterCap)
		s.ConsecutiveFailures = 0
	}
	if s.LastResultAt.IsZero() || s.LastStatus != r.Status || s.StatusStreak < 1 {
		s.StatusStreak = 1
	} else {
		s.StatusStreak = min(s.StatusStreak+1, counterCap)
	}
	s.LastResultAt, s.LastStatus, s.LastReason = at, r.Status, r.Reason

	var out []Transition
	if to, ok := confirmed(s, r, failureThreshold, successThreshold); ok {
		t := Transition{
			MonitorID: r.MonitorID,
			From:      s.Status,
			To:        to,
			Time:      at,
			Reason:    r.Reason,
			Flapping:  s.Flapping,
			Result:    r,
		}
		if recovers(s.Status, to) {
			t.Reason = recoveredReason(r.Reason, s.Status, at.Sub(s.Since))
		}
		s.Status, s.Since = to, at
		out = append(out, t)
	}

	outcome := byte(outcomeOK)
	if failed {
		outcome = outcomeFailed
	}
	window, high, low, enabled := p.flapping()
	if !enabled {
		s.Recent = ""
		if s.Flapping {
			s.Flapping = false
			out = append(out, flapTransition(s, r, at, "flapping detection turned off"))
		}
		return s, out
	}
	s.Recent = pushOutcome(s.Recent, outcome, window)
	pct := FlapPercent(s.Recent, window)
	switch {
	case !s.Flapping && pct > high:
		s.Flapping = true
		out = append(out, flapTransition(s, r, at,
			fmt.Sprintf("started flapping: %.1f%% state change over the last %d results (threshold %g%%)", pct, window, high)))
	case s.Flapping && pct < low:
		s.Flapping = false
		out = append(out, flapTransition(s, r, at,
			fmt.Sprintf("stopped flapping: %.1f%% state change over the last %d results (threshold %g%%)", pct, window, low)))
	}
	return s, out
}

// confirmed returns the status the counters in s (already updated with r)
// confirm, and whether that is a change.
func confirmed(s State, r probe.Result, failureThreshold, successThreshold int) (Status, bool) {
	if r.Failed() {
		if s.Status != StatusDown && s.ConsecutiveFailures >= failureThreshold {
			return StatusDown, true
		}
		return "", false
	}
	good := StatusUp
	if r.Status == probe.Warning {
		good = StatusWarning
	}
	switch s.Status {
	case StatusPending, StatusDown:
		if s.ConsecutiveSuccesses >= successThreshold {
			return good, true
		}
	case StatusUp, StatusWarning:
		if s.Status != good && s.StatusStreak >= successThreshold {
			return good, true
		}
	}
	return "", false
}

// recovers reports whether a change from one confirmed status to another
// is a recovery: leaving down for anything better, or a warning clearing.
// Both read the same in every notification ("recovered: ...").
func recovers(from, to Status) bool {
	return from == StatusDown || (from == StatusWarning && to == StatusUp)
}

// recoveredReason words a recovery from the status from, with how long it
// lasted.
func recoveredReason(reason string, from Status, lasted time.Duration) string {
	var b strings.Builder
	b.WriteString("recovered")
	if reason != "" {
		b.WriteString(": ")
		b.WriteString(reason)
	}
	if lasted > 0 {
		fmt.Fprintf(&b, " (%s for %s)", from, lasted.Round(time.Second))
	}
	return b.String()
}

// flapTransition is a flapping start or stop: the status stays, the flag
// in s is the new value.
func flapTransition(s State, r probe.Result, at time.Time, reason string) Transition {
	return Transition{
		MonitorID: r.MonitorID,
		From:      s.Status,
		To:        s.Status,
		Time:      at,
		Reason:    reason,
		Flapping:  s.Flapping,
		Result:    r,
	}
}

// pushOutcome appends o to recent and keeps only the newest window entries.
// Anything that is not a known outcome (a state stored by a future
// version, a hand-edited row) is dropped rather than misread.
func pushOutcome(recent string, o byte, window int) string {
	b := make([]byte, 0, min(len(recent)+1, window))
	for i := 0; i < len(recent); i++ {
		if c := recent[i]; c == outcomeFailed || c == outcomeOK {
			b = append(b, c)
		}
	}
	b = append(b, o)
	if len(b) > window {
		b = b[len(b)-window:]
	}
	return string(b)
}

// FlapPercent is the weighted percent state change of the outcomes in
// recent (oldest first, as in State.Recent) over a window of window
// results. Each change between two consecutive outcomes counts with a
// weight growing linearly from 0.8 for the oldest pair of the window to
// 1.2 for the newest, and the sum is divided by the window-1 pairs, so a
// window that changes at every result scores 100. A history shorter than
// the window is placed at the newest end, as if the missing older results
// had all been like the oldest one known: a new monitor cannot start
// flapping on its first two results. It returns 0 for a window below 2.
func FlapPercent(recent string, window int) float64 {
	if window < 2 {
		return 0
	}
	if len(recent) > window {
		recent = recent[len(recent)-window:]
	}
	pairs := window - 1
	// The pair between recent[i-1] and recent[i] is pair number
	// offset+i-1 of the window, counting from 0 at the oldest.
	offset := window - len(recent)
	var sum float64
	for i := 1; i < len(recent); i++ {
		if recent[i] == recent[i-1] {
			continue
		}
		sum += flapWeight(offset+i-1, pairs)
	}
	return sum * 100 / float64(pairs)
}

// flapWeight is the weight of pair k of n (0 the oldest).
func flapWeight(k, n int) float64 {
	if n < 2 {
		return (flapWeightLow + flapWeightHigh) / 2
	}
	return flapWeightLow + (flapWeightHigh-flapWeightLow)*float64(k)/float64(n-1)
}

// Pause stops a monitor from being judged: it moves to StatusPaused and
// remembers the status it had in PausedFrom. Results evaluated while paused
// are ignored. Pausing clears flapping, since nothing is being watched.
// Pausing a paused monitor changes nothing. The transition is monitor id's:
// a transition without its monitor cannot be stored.
func Pause(id string, s State, now time.Time) (State, []Transition) {
	if s.Status == StatusPaused {
		return s, nil
	}
	from := s.Status
	if !from.known() {
		from = StatusPending
	}
	s.PausedFrom = from
	s.Status, s.Since = StatusPaused, now
	s.Flapping, s.Recent = false, ""
	return s, []Transition{{MonitorID: id, From: from, To: StatusPaused, Time: now, Reason: "paused"}}
}

// Resume returns a paused monitor to StatusPending with fresh counters, so
// its state is confirmed again by new results rather than assumed from
// before the pause. Resuming a monitor that is not paused changes nothing.
// The transition is monitor id's.
func Resume(id string, s State, now time.Time) (State, []Transition) {
	if s.Status != StatusPaused {
		return s, nil
	}
	reason := "resumed"
	if s.PausedFrom != "" {
		reason = fmt.Sprintf("resumed (was %s before the pause)", s.PausedFrom)
	}
	s.Status, s.Since = StatusPending, now
	s.PausedFrom = ""
	s.ConsecutiveFailures, s.ConsecutiveSuccesses, s.StatusStreak = 0, 0, 0
	s.Flapping, s.Recent = false, ""
	return s, []Transition{{MonitorID: id, From: StatusPaused, To: StatusPending, Time: now, Reason: reason}}
}
