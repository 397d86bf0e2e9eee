package engine

import (
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store"
)

// Ownership says which monitors this process runs and evaluates. The
// engine asks it wherever it accepts work: before each scheduled run
// (Runs) and for each result handed in (Submit).
//
// A process that runs alone owns every monitor (Single). Several replicas
// sharing one database will each own a share of them, held as leases in
// the store, so that exactly one replica probes a monitor and writes its
// state. Owns is called for every result: it must be cheap and safe for
// concurrent use, answering from memory, never from the database.
type Ownership interface {
	// Owns reports whether the monitor is this process's to run and
	// evaluate.
	Owns(monitorID string) bool
}

// Single is the Ownership of a process that runs alone: every monitor is
// its own.
type Single struct{}

// Owns returns true.
func (Single) Owns(string) bool { return true }

var _ Ownership = Single{}

// Adopt replaces the live state of configured monitors with states read
// from the store: those of monitors whose ownership this process just took
// over, which their previous owner evaluated meanwhile. The next result
// of such a monitor is then judged from where its previous owner left it,
// so a monitor that moves between replicas does not alert again (nor
// forget it was down). Monitors not configured are left out.
func (e *Engine) Adopt(states map[string]monitor.State) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, st := range states {
		en, ok := e.entries[id]
		if !ok {
			continue
		}
		en.state, en.last = st, lastFromState(id, st)
		en.locs = locationsFromState(en.cfg, st)
		if len(en.cfg.Locations) == 0 {
			en.state.Locations = nil
		}
		e.heldMu.Lock()
		delete(e.held, id)
		e.heldMu.Unlock()
	}
}

// keepOwned drops from a batch kept after a failed write the rows of
// monitors this process no longer owns. Another replica runs those now,
// from the state it loaded when it took them over; writing what this one
// evaluated before it lost them would overwrite that state and could
// notify a change the new owner notifies too.
func keepOwned(b store.Batch, owns func(string) bool) (store.Batch, int) {
	dropped := 0
	keep := func(id string) bool {
		if owns(id) {
			return true
		}
		dropped++
		return false
	}
	out := store.Batch{States: map[string]monitor.State{}}
	for _, r := range b.Results {
		if keep(r.MonitorID) {
			out.Results = append(out.Results, r)
		}
	}
	for id, st := range b.States {
		if keep(id) {
			out.States[id] = st
		}
	}
	for _, t := range b.Transitions {
		if keep(t.MonitorID) {
			out.Transitions = append(out.Transitions, t)
		}
	}
	for _, m := range b.Outbox {
		if m.Event.MonitorID == "" || keep(m.Event.MonitorID) {
			out.Outbox = append(out.Outbox, m)
		}
	}
	for _, a := range b.Alerts {
		if keep(a.MonitorID) {
			out.Alerts = append(out.Alerts, a)
		}
	}
	return out, dropped
}
