package ui

import (
	"html/template"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// failing tells whether a monitor needs someone: down or warning.
func failing(st monitor.State) bool {
	s := webcore.StatusOf(st)
	return s == string(monitor.StatusDown) || s == string(monitor.StatusWarning)
}

// monitorSince is the short since-when of a failing monitor for the
// overview, "" for one that is not failing.
func (c clock) monitorSince(st monitor.State) template.HTML {
	if !failing(st) || st.Since.IsZero() {
		return ""
	}
	return template.HTML(webcore.StatusOf(st)+" since ") + c.since(st.Since)
}

// pausedSince is the short since-when of a paused monitor for the
// overview, "" for one that is not paused. It is shown, not sorted on: a
// pause is not a failure.
func (c clock) pausedSince(st monitor.State) template.HTML {
	if st.Status != monitor.StatusPaused || st.Since.IsZero() {
		return ""
	}
	return "paused since " + c.since(st.Since)
}

// monitorProblem is the opening line of a monitor's page: its state in
// words, since when, and for a failing one the reason.
func (c clock) monitorProblem(mv webcore.MonitorView) template.HTML {
	st := mv.State
	status := webcore.StatusOf(st)
	if st.Since.IsZero() {
		if status == string(monitor.StatusPending) {
			return "No confirmed state yet: waiting for the first results."
		}
		return template.HTML(capital(status) + ".")
	}
	out := template.HTML(capital(status)+" since ") + c.since(st.Since)
	if failing(st) {
		reason := st.LastReason
		if reason == "" && mv.LastResult != nil {
			reason = mv.LastResult.Reason
		}
		if reason != "" {
			return out + ": " + template.HTML(template.HTMLEscapeString(reason))
		}
	}
	return out + "."
}

// heartbeatSince is when a failing heartbeat started failing, zero for
// one that is not failing: the failure ping, the end of a run's allowed
// time, or the deadline the missing ping had.
func (c clock) heartbeatSince(v webcore.HeartbeatView) time.Time {
	switch heartbeat.Status(v.DisplayStatus()) {
	case heartbeat.StatusDown:
	case heartbeat.StatusLate:
		return v.NextExpected
	default:
		return time.Time{}
	}
	if v.State.LastFailed {
		return v.State.LastPing
	}
	if st, ok := c.overRun(v); ok {
		return st.Add(maxRuntime(v))
	}
	if dl, ok := v.Schedule.Deadline(v.State.LastPing); ok && !v.State.LastPing.IsZero() {
		return dl
	}
	return time.Time{}
}

// overRun returns the start of the oldest run that went past its allowed
// time.
func (c clock) overRun(v webcore.HeartbeatView) (time.Time, bool) {
	for _, r := range v.State.Runs {
		if r.Reported || !c.now.Before(r.Start.Add(maxRuntime(v))) {
			return r.Start, true
		}
	}
	return time.Time{}, false
}

func maxRuntime(v webcore.HeartbeatView) time.Duration {
	if v.MaxRuntime > 0 {
		return v.MaxRuntime
	}
	return v.Schedule.Grace
}

// heartbeatSinceText is the short since-when of a failing or paused
// heartbeat for the tables, "" for any other.
func (c clock) heartbeatSinceText(v webcore.HeartbeatView) template.HTML {
	t := c.heartbeatSince(v)
	if t.IsZero() && v.Paused {
		t = v.PausedSince
	}
	if t.IsZero() {
		return ""
	}
	return template.HTML(v.DisplayStatus()+" since ") + c.since(t)
}

// heartbeatProblem is the opening line of a heartbeat's page. A silent
// heartbeat says when it last pinged and when the next ping was due, not
// what that last ping said.
func (c clock) heartbeatProblem(v webcore.HeartbeatView) template.HTML {
	st := v.State
	switch heartbeat.Status(v.DisplayStatus()) {
	case heartbeat.StatusPaused:
		if !v.PausedSince.IsZero() {
			return "Paused since " + c.since(v.PausedSince) + ": missing pings are not reported until it is resumed."
		}
		return "Paused: missing pings are not reported until it is resumed."
	case heartbeat.StatusNew:
		return "No ping yet: nothing is expected until the first one."
	case heartbeat.StatusRunning:
		if len(st.Runs) > 0 {
			return "Running since " + c.since(st.Runs[0].Start) + "."
		}
	case heartbeat.StatusDown, heartbeat.StatusLate:
		if st.LastFailed {
			out := "Down since " + c.since(st.LastPing)
			if st.LastReason != "" {
				out += ": " + template.HTML(template.HTMLEscapeString(st.LastReason))
			}
			return out
		}
		if start, ok := c.overRun(v); ok {
			return "Down since " + c.since(start.Add(maxRuntime(v))) + ": a run started " + c.when(start) + " has not finished."
		}
		if !st.LastPing.IsZero() {
			out := "No ping since " + c.since(st.LastPing)
			if !v.NextExpected.IsZero() {
				out += ", expected by " + c.when(v.NextExpected)
			}
			return out + "."
		}
	}
	if st.LastPing.IsZero() {
		return "No ping yet."
	}
	return "Up: last ping " + c.since(st.LastPing) + "."
}

// capital upper-cases the first letter of an ASCII status name.
func capital(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
