package monitor

import (
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
)

// StatusUnknown is the state of a location that cannot be counted: its
// newest result is Unknown, it has none yet, or its agent is silent. A
// monitor itself is never unknown; only its locations are.
const StatusUnknown Status = "unknown"

// Quorum modes: how many locations must be down for the monitor to be.
const (
	QuorumAny     = "any"
	QuorumAll     = "all"
	QuorumAtLeast = "at_least"
)

// Quorum is a monitor's down_when: Mode QuorumAny ("" too), QuorumAll, or
// QuorumAtLeast with AtLeast locations.
type Quorum struct {
	Mode    string
	AtLeast int
}

// Location is one location of a monitor as the quorum sees it: the
// state its own results confirmed (with the monitor's thresholds), its
// newest result, and whether it is live (its agent reports).
type Location struct {
	Name  string
	State State
	Last  *probe.Result
	Live  bool
	// FailingSince is the time of the first failed result of the
	// location's current run of failures; zero when it passes. A
	// diagnosis dates the failure from it (else from State.Since).
	FailingSince time.Time
}

// Status is the location's state for the quorum: StatusUnknown while it is
// not live, has no result, its newest result is Unknown or it has not yet
// confirmed a state; else the state its results confirmed.
func (l Location) Status() Status {
	if !l.Live || l.Last == nil || l.Last.Status == probe.Unknown {
		return StatusUnknown
	}
	switch l.State.Status {
	case StatusUp, StatusWarning, StatusDown:
		return l.State.Status
	}
	return StatusUnknown
}

// Verdict is what the quorum makes of a monitor's locations.
type Verdict struct {
	// Status is the raw result the monitor's own state machine is fed:
	// Critical when the quorum is down, Warning or OK when it is not and
	// some location is up, Unknown when no location could be counted (the
	// monitor's state then stays as it is).
	Status probe.Status
	// Down, Up and Unknown name the locations in each state, in the
	// order given; Up includes those in warning.
	Down, Up, Unknown []string
}

// Combine applies the quorum q to the locations. Unknown locations count
// neither way: "any" is down with one location down, "all" when every
// location that can be counted is down (at least one), "at_least N" with N
// down. It is a pure function.
func Combine(q Quorum, locs []Location) Verdict {
	var v Verdict
	warning := false
	for _, l := range locs {
		switch l.Status() {
		case StatusDown:
			v.Down = append(v.Down, l.Name)
		case StatusUp:
			v.Up = append(v.Up, l.Name)
		case StatusWarning:
			v.Up = append(v.Up, l.Name)
			warning = true
		default:
			v.Unknown = append(v.Unknown, l.Name)
		}
	}
	d := len(v.Down)
	var down bool
	switch q.Mode {
	case QuorumAll:
		down = d > 0 && len(v.Up) == 0
	case QuorumAtLeast:
		down = d >= max(q.AtLeast, 1)
	default:
		down = d > 0
	}
	switch {
	case down:
		v.Status = probe.Critical
	case len(v.Up) == 0:
		v.Status = probe.Unknown
	case warning:
		v.Status = probe.Warning
	default:
		v.Status = probe.OK
	}
	return v
}

// Explain words a verdict for the monitor's result and so its transitions.
// A monitor down from some locations and reachable from others says so,
// with when the failures began and how each location fails, and what that
// suggests: "reachable from campus-internal, failing from external-eu and
// external-us since 09:41 UTC (external-eu: timed out at tcp connect;
// external-us: refused): a network path or firewall change is likely".
// Up, it lists where from: "up from local and external-eu". It is pure.
func Explain(v Verdict, locs []Location) string {
	byName := make(map[string]Location, len(locs))
	for _, l := range locs {
		byName[l.Name] = l
	}
	var b strings.Builder
	if v.Status != probe.Critical {
		if len(v.Up) > 0 {
			b.WriteString("up from " + list(v.Up))
		}
		if len(v.Down) > 0 {
			sep(&b, ", ")
			b.WriteString("failing from " + list(v.Down))
		}
		if len(v.Unknown) > 0 {
			sep(&b, "; ")
			b.WriteString("unknown from " + list(v.Unknown))
		}
		return b.String()
	}
	if len(v.Up) > 0 {
		b.WriteString("reachable from " + list(v.Up) + ", ")
	}
	var since time.Time
	stages := make([]string, len(v.Down))
	same := true
	for i, name := range v.Down {
		l := byName[name]
		s := l.FailingSince
		if s.IsZero() {
			s = l.State.Since
		}
		if !s.IsZero() && (since.IsZero() || s.Before(since)) {
			since = s
		}
		if l.Last != nil {
			stages[i] = FailureStage(*l.Last)
		}
		same = same && stages[i] == stages[0]
	}
	if same && stages[0] != "" && len(stages[0]) <= 40 {
		b.WriteString(stages[0] + " from " + list(v.Down))
	} else {
		b.WriteString("failing from " + list(v.Down))
	}
	if !since.IsZero() {
		b.WriteString(" since " + since.UTC().Format("15:04 UTC"))
	}
	if !same || len(stages[0]) > 40 {
		parts := make([]string, len(v.Down))
		for i, name := range v.Down {
			parts[i] = name + ": " + stages[i]
		}
		b.WriteString(" (" + strings.Join(parts, "; ") + ")")
	}
	if len(v.Unknown) > 0 {
		b.WriteString("; unknown from " + list(v.Unknown))
	}
	if len(v.Up) > 0 {
		b.WriteString(": a network path or firewall change is likely")
	}
	return b.String()
}

func sep(b *strings.Builder, s string) {
	if b.Len() > 0 {
		b.WriteString(s)
	}
}

// list joins names as people do: "a", "a and b", "a, b and c".
func list(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// FailureStage says in a few words how a failed result failed, from its
// reason and timing: "refused", "reset", "timed out at tcp connect", "TLS",
// "auth", "DNS", or the reason itself, shortened.
func FailureStage(r probe.Result) string {
	reason := strings.ToLower(r.Reason)
	at := ""
	if i := strings.Index(reason, "failed at "); i >= 0 {
		if stage, _, ok := strings.Cut(reason[i+len("failed at "):], ":"); ok && len(stage) <= 30 {
			at = stage
		}
	}
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(reason, w) {
				return true
			}
		}
		return false
	}
	var kind string
	switch {
	case has("refused"):
		if at == "auth" {
			return "auth refused"
		}
		return "refused"
	case has("connection reset", "reset by peer"):
		kind = "reset"
	case has("timed out", "timeout", "deadline exceeded"):
		kind = "timed out"
		if at == "" && r.Timing.Connect == 0 && r.Timing.FirstByte == 0 && (strings.HasPrefix(reason, "tcp ") || has("connect", "dial")) {
			at = "tcp connect"
		}
	case at == "auth" || has("authentication", "password", "permission denied", "unauthori"):
		return "auth"
	case has("tls", "x509", "certificate", "handshake"):
		return "TLS"
	case has("no such host", "lookup "):
		return "DNS"
	case has("no route", "unreachable"):
		kind = "unreachable"
	default:
		if at != "" {
			return "failed at " + at
		}
		if r.Reason == "" {
			return strings.ToLower(r.Status.String())
		}
		return probe.Clip(r.Reason, 80)
	}
	if at != "" {
		return kind + " at " + at
	}
	return kind
}
