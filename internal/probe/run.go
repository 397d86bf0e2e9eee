package probe

import "time"

// Run is one probe run in progress: when it started, the Result being
// filled in, and the prefix every failure reason gets ("tcp db:5432: ").
// Each kind starts its Probe with Begin and ends it with Finish or Fail, so
// the start time, the duration and the timing phases are set the same way
// everywhere.
type Run struct {
	// Start is when the run began, on the prober's clock.
	Start time.Time
	// Res is the Result being built; Finish completes and returns it.
	Res Result
	// Trace, when set, records the timing phases copied into Res.Timing
	// by Finish. Kinds that fill in Res.Timing themselves leave it nil.
	Trace *Trace
	// Prefix is put in front of the reasons given to Fail.
	Prefix string
	now    func() time.Time
}

// Begin starts a run now(). Reasons given to Fail get prefix in front; tr,
// when not nil, supplies the timing phases.
func Begin(now func() time.Time, prefix string, tr *Trace) *Run {
	start := now()
	return &Run{Start: start, Res: Result{Time: start.UTC()}, Trace: tr, Prefix: prefix, now: now}
}

// Elapsed is the time since the run began.
func (r *Run) Elapsed() time.Duration { return r.now().Sub(r.Start) }

// Finish ends the run with status and reason as given and returns its
// Result, with the timing phases of its trace and its duration.
func (r *Run) Finish(status Status, reason string) Result {
	r.Res.Status = status
	r.Res.Reason = reason
	if r.Trace != nil {
		r.Res.Timing = r.Trace.Timing()
	}
	r.Res.Duration = r.now().Sub(r.Start)
	return r.Res
}

// Fail is Finish with the run's prefix in front of reason.
func (r *Run) Fail(status Status, reason string) Result {
	return r.Finish(status, r.Prefix+reason)
}
