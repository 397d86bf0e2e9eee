package probe

import (
	"testing"
	"time"
)

// TestRun checks the start and end every kind shares: the start time in
// UTC, the duration on the prober's clock, the prefix only on Fail, and
// the timing phases only from a trace.
func TestRun(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	now := at
	clock := func() time.Time { return now }

	r := Begin(clock, "tcp db:5432: ", nil)
	r.Res.Timing.Connect = 5 * time.Millisecond // set by the kind itself
	now = now.Add(40 * time.Millisecond)
	if got := r.Elapsed(); got != 40*time.Millisecond {
		t.Errorf("Elapsed = %s", got)
	}
	res := r.Fail(Critical, "connection refused")
	if res.Reason != "tcp db:5432: connection refused" || res.Status != Critical {
		t.Errorf("Fail = %v %q", res.Status, res.Reason)
	}
	if !res.Time.Equal(at) || res.Time.Location() != time.UTC || res.Duration != 40*time.Millisecond {
		t.Errorf("Time %v, Duration %s", res.Time, res.Duration)
	}
	if res.Timing.Connect != 5*time.Millisecond {
		t.Errorf("a run without a trace overwrote the timing: %+v", res.Timing)
	}

	r = Begin(clock, "x: ", NewTrace())
	r.Res.Timing.Connect = 5 * time.Millisecond
	res = r.Finish(OK, "fine")
	if res.Reason != "fine" || res.Status != OK {
		t.Errorf("Finish = %v %q", res.Status, res.Reason)
	}
	if res.Timing != (Timing{}) {
		t.Errorf("a traced run did not take its timing from the trace: %+v", res.Timing)
	}
}
