package monitor

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tocsin/tocsin/internal/probe"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// at is the time of the i-th result of a sequence, one every 10 seconds.
func at(i int) time.Time { return t0.Add(time.Duration(i) * 10 * time.Second) }

// results turns "ooxw?" into results: o OK, w Warning, x Critical, ? Unknown.
func results(seq string) []probe.Result {
	out := make([]probe.Result, 0, len(seq))
	for i, c := range seq {
		r := probe.Result{MonitorID: "web", Time: at(i)}
		switch c {
		case 'o':
			r.Status, r.Reason = probe.OK, "200 OK in 38ms"
		case 'w':
			r.Status, r.Reason = probe.Warning, "200 OK in 2.1s, warning above 1s"
		case 'x':
			r.Status, r.Reason = probe.Critical, "GET https://web/: 503, expected 200"
		case '?':
			r.Status, r.Reason = probe.Unknown, "probe could not run"
		default:
			panic("bad sequence character " + string(c))
		}
		out = append(out, r)
	}
	return out
}

// run feeds the results in order and returns the final state and every
// transition, with results stripped to keep the expectations readable.
func run(p Policy, s State, rs []probe.Result) (State, []Transition) {
	var all []Transition
	for _, r := range rs {
		var ts []Transition
		s, ts = Evaluate(p, s, r, t0)
		all = append(all, ts...)
	}
	for i := range all {
		all[i].Result = probe.Result{}
	}
	return s, all
}

func tr(from, to Status, i int, reason string) Transition {
	return Transition{MonitorID: "web", From: from, To: to, Time: at(i), Reason: reason}
}

const (
	okReason   = "200 OK in 38ms"
	warnReason = "200 OK in 2.1s, warning above 1s"
	critReason = "GET https://web/: 503, expected 200"
)

func TestEvaluateThresholds(t *testing.T) {
	noFlap := Policy{FlapWindow: -1}
	tests := []struct {
		name   string
		policy Policy
		start  State
		seq    string
		want   []Transition
		status Status
	}{
		{
			name:   "zero policy confirms on the first result",
			policy: noFlap, seq: "o", status: StatusUp,
			want: []Transition{tr(StatusPending, StatusUp, 0, okReason)},
		},
		{
			name:   "pending confirms down at the failure threshold",
			policy: Policy{FailureThreshold: 3, SuccessThreshold: 2, FlapWindow: -1}, seq: "xxx", status: StatusDown,
			want: []Transition{tr(StatusPending, StatusDown, 2, critReason)},
		},
		{
			name:   "pending confirms up at the success threshold",
			policy: Policy{FailureThreshold: 3, SuccessThreshold: 2, FlapWindow: -1}, seq: "xoo", status: StatusUp,
			want: []Transition{tr(StatusPending, StatusUp, 2, okReason)},
		},
		{
			name:   "failures below the threshold keep up",
			policy: Policy{FailureThreshold: 3, FlapWindow: -1}, seq: "oxxoxx", status: StatusUp,
			want: []Transition{tr(StatusPending, StatusUp, 0, okReason)},
		},
		{
			name:   "unknown counts as failure",
			policy: Policy{FailureThreshold: 2, FlapWindow: -1}, seq: "o?x", status: StatusDown,
			want: []Transition{
				tr(StatusPending, StatusUp, 0, okReason),
				tr(StatusUp, StatusDown, 2, critReason),
			},
		},
		{
			name:   "recovery needs the success threshold and says how long it was down",
			policy: Policy{FailureThreshold: 1, SuccessThreshold: 3, FlapWindow: -1}, seq: "oooxooxooo", status: StatusUp,
			want: []Transition{
				tr(StatusPending, StatusUp, 2, okReason),
				tr(StatusUp, StatusDown, 3, critReason),
				tr(StatusDown, StatusUp, 9, "recovered: 200 OK in 38ms (down for 1m0s)"),
			},
		},
		{
			name:   "negative thresholds count as one",
			policy: Policy{FailureThreshold: -5, SuccessThreshold: -1, FlapWindow: -1}, seq: "xo", status: StatusUp,
			want: []Transition{
				tr(StatusPending, StatusDown, 0, critReason),
				tr(StatusDown, StatusUp, 1, "recovered: 200 OK in 38ms (down for 10s)"),
			},
		},
		{
			name:   "warnings confirm warning after the success threshold",
			policy: Policy{SuccessThreshold: 2, FlapWindow: -1}, seq: "oowowwoo", status: StatusUp,
			want: []Transition{
				tr(StatusPending, StatusUp, 1, okReason),
				tr(StatusUp, StatusWarning, 5, warnReason),
				tr(StatusWarning, StatusUp, 7, "recovered: "+okReason+" (warning for 20s)"),
			},
		},
		{
			name:   "a warning that clears is a recovery like a down that clears",
			policy: noFlap, seq: "wwo", status: StatusUp,
			want: []Transition{
				tr(StatusPending, StatusWarning, 0, warnReason),
				tr(StatusWarning, StatusUp, 2, "recovered: "+okReason+" (warning for 20s)"),
			},
		},
		{
			name:   "warning from pending follows the newest good result",
			policy: Policy{SuccessThreshold: 2, FlapWindow: -1}, seq: "ow", status: StatusWarning,
			want: []Transition{tr(StatusPending, StatusWarning, 1, warnReason)},
		},
		{
			name:   "warning goes down on failures",
			policy: Policy{FailureThreshold: 2, FlapWindow: -1}, seq: "wxx", status: StatusDown,
			want: []Transition{
				tr(StatusPending, StatusWarning, 0, warnReason),
				tr(StatusWarning, StatusDown, 2, critReason),
			},
		},
		{
			name:   "down recovers to warning",
			policy: Policy{FlapWindow: -1}, seq: "xw", status: StatusWarning,
			want: []Transition{
				tr(StatusPending, StatusDown, 0, critReason),
				tr(StatusDown, StatusWarning, 1, "recovered: "+warnReason+" (down for 10s)"),
			},
		},
		{
			name:   "unknown stored status reads as pending",
			policy: noFlap, start: State{Status: "exploded"}, seq: "x", status: StatusDown,
			want: []Transition{tr(StatusPending, StatusDown, 0, critReason)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, got := run(tt.policy, tt.start, results(tt.seq))
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("transitions (-want +got):\n%s", diff)
			}
			if s.Status != tt.status {
				t.Errorf("final status = %q, want %q", s.Status, tt.status)
			}
		})
	}
}

func TestEvaluateState(t *testing.T) {
	p := Policy{FailureThreshold: 2, FlapWindow: 5}.Normalize()
	s, _ := run(p, State{}, results("oowxx"))
	want := State{
		Status:              StatusDown,
		Since:               at(4),
		ConsecutiveFailures: 2,
		LastResultAt:        at(4),
		LastStatus:          probe.Critical,
		LastReason:          critReason,
		StatusStreak:        2,
		Recent:              "oooff",
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

func TestEvaluateIgnoresOldResults(t *testing.T) {
	p := Policy{FlapWindow: -1}
	s, _ := run(p, State{}, results("oo"))
	old := probe.Result{MonitorID: "web", Time: at(0).Add(-time.Second), Status: probe.Critical, Reason: critReason}
	got, ts := Evaluate(p, s, old, at(5))
	if len(ts) != 0 {
		t.Errorf("an out-of-order result made transitions: %v", ts)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("an out-of-order result changed the state (-want +got):\n%s", diff)
	}
	// A result at the same instant as the newest one is not "older".
	same := probe.Result{MonitorID: "web", Time: s.LastResultAt, Status: probe.Critical}
	if got, _ := Evaluate(p, s, same, at(5)); got.Status != StatusDown {
		t.Errorf("a result at the same time as the last was ignored: status %q", got.Status)
	}
}

func TestEvaluateZeroTimeUsesNow(t *testing.T) {
	now := t0.Add(time.Hour)
	s, ts := Evaluate(Policy{}, State{}, probe.Result{Status: probe.Critical, Reason: "refused"}, now)
	if len(ts) != 1 || !ts[0].Time.Equal(now) {
		t.Fatalf("transitions = %v, want one at %v", ts, now)
	}
	if !s.LastResultAt.Equal(now) || !s.Since.Equal(now) {
		t.Errorf("LastResultAt = %v, Since = %v, want both %v", s.LastResultAt, s.Since, now)
	}
	// Zero result time and zero now: still evaluated, nothing breaks.
	s, ts = Evaluate(Policy{}, State{}, probe.Result{Status: probe.OK}, time.Time{})
	if s.Status != StatusUp || len(ts) != 1 {
		t.Errorf("with zero times: status %q, %d transitions; want up, 1", s.Status, len(ts))
	}
}

func TestFlapPercent(t *testing.T) {
	tests := []struct {
		recent string
		window int
		want   float64
	}{
		{"", 21, 0},
		{"o", 21, 0},
		{"oooooooooooooooooooooo", 21, 0},
		// Every result changes: 100 whatever the weights.
		{"ofofofofofofofofofofo", 21, 100},
		// One change between the two newest results: weight 1.2 of 20 pairs.
		{strings.Repeat("o", 20) + "f", 21, 1.2 * 100 / 20},
		// One change between the two oldest: weight 0.8.
		{"o" + strings.Repeat("f", 20), 21, 0.8 * 100 / 20},
		// Window 5, pairs weighted 0.8, 0.933.., 1.066.., 1.2.
		{"ofoff", 5, (0.8 + (0.8 + 0.4/3) + (0.8 + 0.8/3)) * 100 / 4},
		// A short history sits at the newest end of the window.
		{"of", 5, 1.2 * 100 / 4},
		// Longer than the window: only the newest window entries count.
		{"fofoooo", 5, 0.8 * 100 / 4},
		{"of", 2, 100},
		{"of", 1, 0},
	}
	for _, tt := range tests {
		got := FlapPercent(tt.recent, tt.window)
		if math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("FlapPercent(%q, %d) = %v, want %v", tt.recent, tt.window, got, tt.want)
		}
	}
}

func TestEvaluateFlapping(t *testing.T) {
	p := Policy{FlapWindow: 5, FlapHigh: 50, FlapLow: 25}
	// Outcomes oxoxo: 4 changes in a window of 5 = 100% at the fifth
	// result; after oxo (3 results) the window is "ooxo"+... see percents.
	s, got := run(p, State{}, results("oxoxooooo"))
	for i := range got {
		got[i].Reason = reasonHead(got[i].Reason)
	}
	want := []Transition{
		tr(StatusPending, StatusUp, 0, okReason),
		tr(StatusUp, StatusDown, 1, critReason),
		tr(StatusDown, StatusUp, 2, "recovered: 200 OK in 38ms (down for 10s)"),
		// After "oxo": window "oooxo" → pairs 2 and 3 change:
		// (1.0667+1.2)/4*100 = 56.7% > 50.
		{MonitorID: "web", From: StatusUp, To: StatusUp, Time: at(2), Flapping: true, Reason: "started flapping: 56.7%"},
		{MonitorID: "web", From: StatusUp, To: StatusDown, Time: at(3), Flapping: true, Reason: critReason},
		{MonitorID: "web", From: StatusDown, To: StatusUp, Time: at(4), Flapping: true, Reason: "recovered: 200 OK in 38ms (down for 10s)"},
		// Windows then: "oxoxo" 100%, "xoxoo" (0.8+0.933+1.067)/4 = 70%,
		// "oxooo" (0.8+0.933)/4 = 43.3%, "xoooo" 0.8/4 = 20% < 25: stop.
		{MonitorID: "web", From: StatusUp, To: StatusUp, Time: at(7), Flapping: false, Reason: "stopped flapping: 20.0%"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if s.Flapping {
		t.Error("still flapping at the end")
	}
	if s.Recent != "ooooo" {
		t.Errorf("Recent = %q, want %q", s.Recent, "ooooo")
	}
}

// reasonHead keeps a flapping reason up to its percentage.
func reasonHead(r string) string {
	if i := strings.Index(r, "% state change"); i >= 0 {
		return r[:i+1]
	}
	return r
}

func TestEvaluateFlappingHysteresis(t *testing.T) {
	// Between FlapLow and FlapHigh nothing changes either way.
	p := Policy{FlapWindow: 5, FlapHigh: 60, FlapLow: 40, FailureThreshold: 10}
	s, got := run(p, State{}, results("oooxo"))
	// "oooxo" = 56.7%: below 60, so no start.
	if len(got) != 1 || s.Flapping {
		t.Fatalf("flapping started at 56.7%% with threshold 60: %v", got)
	}
	s.Flapping = true
	next, ts := Evaluate(p, s, probe.Result{MonitorID: "web", Time: at(5), Status: probe.OK}, t0)
	// "ooxoo" = (0.933+1.067)/4 = 50%: above 40, so no stop.
	if len(ts) != 0 || !next.Flapping {
		t.Errorf("flapping stopped at 50%% with low threshold 40: %v", ts)
	}
}

func TestEvaluateFlappingTurnedOff(t *testing.T) {
	s := State{Status: StatusUp, Flapping: true, Recent: "ofofo", LastResultAt: at(0)}
	got, ts := Evaluate(Policy{FlapWindow: -1}, s, probe.Result{MonitorID: "web", Time: at(1)}, t0)
	want := []Transition{{MonitorID: "web", From: StatusUp, To: StatusUp, Time: at(1), Flapping: false, Reason: "flapping detection turned off", Result: probe.Result{MonitorID: "web", Time: at(1)}}}
	if diff := cmp.Diff(want, ts); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if got.Flapping || got.Recent != "" {
		t.Errorf("flapping %v, recent %q after turning detection off", got.Flapping, got.Recent)
	}
}

func TestPauseResume(t *testing.T) {
	p := Policy{FlapWindow: -1}
	s, _ := run(p, State{}, results("x"))
	pausedAt := at(3)
	s, ts := Pause("web", s, pausedAt)
	if diff := cmp.Diff([]Transition{{MonitorID: "web", From: StatusDown, To: StatusPaused, Time: pausedAt, Reason: "paused"}}, ts); diff != "" {
		t.Errorf("pause transitions (-want +got):\n%s", diff)
	}
	if s.Status != StatusPaused || s.PausedFrom != StatusDown || !s.Since.Equal(pausedAt) {
		t.Errorf("after pause: %+v", s)
	}
	if again, ts := Pause("web", s, at(4)); len(ts) != 0 || !cmp.Equal(again, s) {
		t.Errorf("pausing twice changed something: %v", ts)
	}

	ignored, ts := Evaluate(p, s, probe.Result{MonitorID: "web", Time: at(5), Status: probe.OK}, at(5))
	if len(ts) != 0 || !cmp.Equal(ignored, s) {
		t.Errorf("a result while paused was not ignored: %v, %+v", ts, ignored)
	}

	s, ts = Resume("web", s, at(6))
	if diff := cmp.Diff([]Transition{{MonitorID: "web", From: StatusPaused, To: StatusPending, Time: at(6), Reason: "resumed (was down before the pause)"}}, ts); diff != "" {
		t.Errorf("resume transitions (-want +got):\n%s", diff)
	}
	if s.Status != StatusPending || s.PausedFrom != "" || s.ConsecutiveFailures != 0 {
		t.Errorf("after resume: %+v", s)
	}
	if again, ts := Resume("web", s, at(7)); len(ts) != 0 || !cmp.Equal(again, s) {
		t.Errorf("resuming a running monitor changed something: %v", ts)
	}

	// After resume the monitor confirms again from pending.
	s, ts = Evaluate(Policy{SuccessThreshold: 2, FlapWindow: -1}, s, probe.Result{MonitorID: "web", Time: at(8), Status: probe.OK}, at(8))
	if len(ts) != 0 || s.Status != StatusPending {
		t.Errorf("one success after resume with threshold 2: %v, status %q", ts, s.Status)
	}
}

// TestPauseResumeTransitions checks every transition Pause and Resume
// return carries the monitor it belongs to, from every starting status:
// the store refuses a transition without one.
func TestPauseResumeTransitions(t *testing.T) {
	tests := []struct {
		name string
		in   State
		op   func(string, State, time.Time) (State, []Transition)
		want []Transition
	}{
		{"pause new", State{}, Pause, []Transition{{MonitorID: "m", From: StatusPending, To: StatusPaused, Time: t0, Reason: "paused"}}},
		{"pause up", State{Status: StatusUp}, Pause, []Transition{{MonitorID: "m", From: StatusUp, To: StatusPaused, Time: t0, Reason: "paused"}}},
		{"pause unknown status", State{Status: "gone"}, Pause, []Transition{{MonitorID: "m", From: StatusPending, To: StatusPaused, Time: t0, Reason: "paused"}}},
		{"pause paused", State{Status: StatusPaused}, Pause, nil},
		{"resume paused up", State{Status: StatusPaused, PausedFrom: StatusUp}, Resume, []Transition{{MonitorID: "m", From: StatusPaused, To: StatusPending, Time: t0, Reason: "resumed (was up before the pause)"}}},
		{"resume paused", State{Status: StatusPaused}, Resume, []Transition{{MonitorID: "m", From: StatusPaused, To: StatusPending, Time: t0, Reason: "resumed"}}},
		{"resume running", State{Status: StatusDown}, Resume, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := tt.op("m", tt.in, t0)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("transitions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want Policy
	}{
		{Policy{}, Policy{FailureThreshold: 1, SuccessThreshold: 1, FlapWindow: 21, FlapHigh: 50, FlapLow: 25}},
		{Policy{FailureThreshold: 3, SuccessThreshold: -2, FlapWindow: -1}, Policy{FailureThreshold: 3, SuccessThreshold: 1, FlapWindow: -1, FlapHigh: 50, FlapLow: 25}},
		{Policy{FlapWindow: 1, FlapHigh: 20, FlapLow: 30}, Policy{FailureThreshold: 1, SuccessThreshold: 1, FlapWindow: 2, FlapHigh: 20, FlapLow: 20}},
		{Policy{FlapWindow: 100000}, Policy{FailureThreshold: 1, SuccessThreshold: 1, FlapWindow: MaxFlapWindow, FlapHigh: 50, FlapLow: 25}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.in.Normalize()); diff != "" {
			t.Errorf("Normalize(%+v) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// FuzzEvaluate drives the state machine with arbitrary policies, results,
// clocks and pause/resume calls and checks what must always hold.
func FuzzEvaluate(f *testing.F) {
	f.Add(int8(3), int8(2), int16(21), uint8(50), uint8(25), []byte("\x00\x02\x02\x01\x00\x03\x10\x20"))
	f.Add(int8(0), int8(0), int16(0), uint8(0), uint8(0), []byte("\x02\x00\x02\x00\x02\x00\x02"))
	f.Add(int8(-1), int8(5), int16(-1), uint8(200), uint8(250), []byte("\xff\xfe\x01"))
	f.Fuzz(func(t *testing.T, fail, succ int8, window int16, high, low uint8, ops []byte) {
		p := Policy{FailureThreshold: int(fail), SuccessThreshold: int(succ), FlapWindow: int(window), FlapHigh: float64(high), FlapLow: float64(low)}
		var s State
		clock := t0
		for _, op := range ops {
			prev := s
			var ts []Transition
			switch {
			case op == 0xff:
				s, ts = Pause("m", s, clock)
			case op == 0xfe:
				s, ts = Resume("m", s, clock)
			default:
				r := probe.Result{MonitorID: "m", Status: probe.Status(op & 3)}
				// Bits 2..4 move the result time: mostly forward, sometimes
				// back (out of order) or zero.
				switch (op >> 2) & 7 {
				case 0:
					r.Time = time.Time{}
				case 1:
					r.Time = clock.Add(-time.Minute)
				default:
					clock = clock.Add(time.Duration(op>>2&7) * time.Second)
					r.Time = clock
				}
				s, ts = Evaluate(p, s, r, clock)
				when := r.Time
				if when.IsZero() {
					when = clock
				}
				accepted := prev.Status != StatusPaused && (prev.LastResultAt.IsZero() || !when.Before(prev.LastResultAt))
				if !accepted {
					if len(ts) != 0 || !cmp.Equal(prev, s) {
						t.Fatalf("an ignored result changed the state: %+v → %+v", prev, s)
					}
					break
				}
				if !s.LastResultAt.Equal(when) {
					t.Fatalf("LastResultAt = %v, want %v", s.LastResultAt, when)
				}
				if r.Failed() && (s.ConsecutiveFailures < 1 || s.ConsecutiveSuccesses != 0) ||
					!r.Failed() && (s.ConsecutiveSuccesses < 1 || s.ConsecutiveFailures != 0) {
					t.Fatalf("after a %v result: failures %d, successes %d", r.Status, s.ConsecutiveFailures, s.ConsecutiveSuccesses)
				}
				if s.StatusStreak < 1 || s.StatusStreak > max(s.ConsecutiveFailures, s.ConsecutiveSuccesses) {
					t.Fatalf("status streak %d outside 1..%d", s.StatusStreak, max(s.ConsecutiveFailures, s.ConsecutiveSuccesses))
				}
			}
			// Only a monitor never evaluated keeps the zero status.
			if !s.Status.known() && (s.Status != "" || prev.Status != "") {
				t.Fatalf("unknown status %q", s.Status)
			}
			if w := p.FlapWindow; len(s.Recent) > max(w, 0) || len(s.Recent) > MaxFlapWindow {
				t.Fatalf("Recent %q longer than window %d", s.Recent, w)
			}
			from := prev.Status
			if !from.known() {
				from = StatusPending
			}
			for _, tr := range ts {
				if tr.MonitorID != "m" {
					t.Fatalf("transition %q → %q has monitor %q, want %q", tr.From, tr.To, tr.MonitorID, "m")
				}
				if tr.From != from {
					t.Fatalf("transition from %q, state was %q", tr.From, from)
				}
				if tr.From == tr.To && tr.Flapping == prev.Flapping {
					t.Fatalf("transition %q → %q changes nothing", tr.From, tr.To)
				}
				from = tr.To
			}
			if end := s.Status; from != end && (end != "" || from != StatusPending) {
				t.Fatalf("transitions end at %q, state is %q", from, s.Status)
			}
		}
	})
}
