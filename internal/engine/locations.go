package engine

import (
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
)

// A monitor that lists locations is run from each of them independently.
// Each location has its own state, moved by its own results through the
// monitor's state machine with the monitor's thresholds; the monitor's
// state is then decided by the quorum of its locations (down_when) and
// moved through the state machine again, so transitions, alerts and
// notifications come from the combined state only, by the usual path.

// locEntry is the live side of one location of a monitor.
type locEntry struct {
	state monitor.State
	last  *probe.Result
	// failingSince is when the current run of failures began.
	failingSince time.Time
}

// LocationView is the state of one location of a monitor.
type LocationView struct {
	Location string
	// Status is the location's state as its quorum counts it:
	// monitor.StatusUnknown while it has no live agent, no result yet,
	// an Unknown newest result or no confirmed state.
	Status monitor.Status
	// Since is when the location's confirmed state began.
	Since time.Time
	// Last is the location's newest result; nil before the first.
	Last *probe.Result
	// Live is false while the location has no live agent.
	Live bool
}

// keptLocations keeps the location states of a monitor whose locations
// changed in a reload, for the locations it still lists.
func keptLocations(m config.Monitor, old map[string]*locEntry) map[string]*locEntry {
	if len(m.Locations) == 0 || len(old) == 0 {
		return nil
	}
	out := make(map[string]*locEntry, len(m.Locations))
	for _, l := range m.Locations {
		if le, ok := old[l]; ok {
			out[l] = le
		}
	}
	return out
}

// locationsFromState restores the location states of a monitor from its
// saved state, for the locations it lists.
func locationsFromState(m config.Monitor, st monitor.State) map[string]*locEntry {
	if len(m.Locations) == 0 || len(st.Locations) == 0 {
		return nil
	}
	out := make(map[string]*locEntry, len(m.Locations))
	for _, l := range m.Locations {
		if ls, ok := st.Locations[l]; ok {
			out[l] = &locEntry{state: ls.State, last: ls.Last, failingSince: ls.FailingSince}
		}
	}
	return out
}

// savedLocations is the location states of en as its monitor state keeps
// them: a new map, as copies of the state share the old one. Callers hold
// e.mu.
func savedLocations(en *entry) map[string]monitor.LocationState {
	if len(en.locs) == 0 {
		return nil
	}
	out := make(map[string]monitor.LocationState, len(en.locs))
	for name, le := range en.locs {
		ls := monitor.LocationState{State: le.state, FailingSince: le.failingSince}
		ls.State.Locations = nil
		if le.last != nil {
			last := *le.last
			last.Metrics, last.Facts = nil, nil
			ls.Last = &last
		}
		out[name] = ls
	}
	return out
}

// home is the server's own location. Callers hold e.mu.
func (e *Engine) home() string {
	if e.cfg == nil {
		return config.LocalLocation
	}
	return e.cfg.Server.Home()
}

// locationOf is where r was taken: the server's location when it names
// none. Callers hold e.mu.
func (e *Engine) locationOf(r probe.Result) string {
	if r.Location == "" {
		return e.home()
	}
	return r.Location
}

// live reports whether loc has a live agent. Callers hold e.mu.
func (e *Engine) live(loc string) bool {
	return loc == e.home() || e.o.LocationLive == nil || e.o.LocationLive(loc)
}

// locations lists en's locations for the quorum, in the configured order.
// Callers hold e.mu.
func (e *Engine) locations(en *entry) []monitor.Location {
	where := en.cfg.Where(e.home())
	out := make([]monitor.Location, len(where))
	for i, name := range where {
		out[i] = monitor.Location{Name: name, Live: e.live(name)}
		if le := en.locs[name]; le != nil {
			out[i].State, out[i].Last, out[i].FailingSince = le.state, le.last, le.failingSince
		}
	}
	return out
}

// evaluateLocation moves the state of the location r was taken from, then
// the monitor's state by the quorum of its locations. It returns false for
// a result from a location the monitor does not run at. A quorum that can
// count no location leaves the monitor's state as it is. Callers hold e.mu.
func (e *Engine) evaluateLocation(en *entry, r probe.Result, now time.Time) (monitor.State, []monitor.Transition, bool) {
	loc := e.locationOf(r)
	if !en.cfg.RunsAt(loc, e.home()) {
		return en.state, nil, false
	}
	if en.locs == nil {
		en.locs = map[string]*locEntry{}
	}
	le := en.locs[loc]
	if le == nil {
		le = &locEntry{state: monitor.State{Status: monitor.StatusPending, Since: now}}
		en.locs[loc] = le
	}
	// Flapping is judged on the combined state only.
	p := en.policy
	p.FlapWindow = -1
	before := le.state.LastResultAt
	le.state, _ = monitor.Evaluate(p, le.state, r, now)
	if le.state.LastResultAt != before || before.IsZero() {
		// Taken (not older than the location's newest): keep it.
		switch {
		case !r.Failed():
			le.failingSince = time.Time{}
		case le.failingSince.IsZero():
			le.failingSince = le.state.LastResultAt
		}
		rr := r
		le.last = &rr
	}

	locs := e.locations(en)
	v := monitor.Combine(monitor.Quorum{Mode: en.cfg.DownWhen.Mode, AtLeast: en.cfg.DownWhen.AtLeast}, locs)
	combined := r
	combined.Status, combined.Reason, combined.Location = v.Status, monitor.Explain(v, locs), ""
	if combined.Time.IsZero() {
		combined.Time = now
	}
	// A location's result may be older than another's already counted
	// (an agent replaying its buffer); the verdict is new all the same.
	if combined.Time.Before(en.state.LastResultAt) {
		combined.Time = en.state.LastResultAt
	}
	en.last = &combined
	saved := savedLocations(en)
	if v.Status == probe.Unknown {
		st := en.state
		st.Locations = saved
		return st, nil, true
	}
	// The thresholds were applied per location.
	cp := en.policy
	cp.FailureThreshold, cp.SuccessThreshold = 1, 1
	next, ts := monitor.Evaluate(cp, en.state, combined, now)
	next.Locations = saved
	return next, ts, true
}

// view copies en for readers. Callers hold e.mu.
func (e *Engine) view(en *entry) View {
	v := View{Config: en.cfg, Prober: en.prober, State: en.state, Last: en.last}
	if len(en.cfg.Locations) == 0 {
		return v
	}
	for _, l := range e.locations(en) {
		lv := LocationView{Location: l.Name, Status: l.Status(), Since: l.State.Since, Last: l.Last, Live: l.Live}
		v.Locations = append(v.Locations, lv)
	}
	return v
}
