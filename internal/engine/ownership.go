package engine

import (
	"iter"
	"time"

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
		// The list's filters and counts follow: they are how every
		// replica's pages show the monitors the others run.
		e.indexState(en)
		e.heldMu.Lock()
		delete(e.held, id)
		e.heldMu.Unlock()
	}
}

// Overdue returns, in configured order, the monitors pick selects that
// this process probes (not paused, with a prober) and whose newest result
// is older than their interval, or that have none: those whose run fell
// due while nobody ran them, as when this process has just taken them
// over from a replica that died. The app runs them at once rather than at
// their next slot, up to an interval later.
func (e *Engine) Overdue(now time.Time, pick func(id string) bool) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []string
	for _, id := range e.order {
		en := e.entries[id]
		if en.prober == nil || en.state.Status == monitor.StatusPaused || !pick(id) {
			continue
		}
		if last := en.state.LastResultAt; last.IsZero() || now.Sub(last) > en.cfg.Interval.D() {
			out = append(out, id)
		}
	}
	return out
}

// Fencing is an Ownership that can tell a monitor that has stopped
// running here only for a while from one another process runs now: its
// replica could not renew the lease in time (cut off from the database,
// or the database failing over) and nobody else has taken it yet. Rows of
// such a monitor that could not be written are held: written once the
// lease is renewed, dropped once another replica holds it.
type Fencing interface {
	Ownership
	// Fenced reports whether the monitor was this process's and stopped
	// running here because its lease was not renewed in time, while
	// nobody else is known to hold it.
	Fenced(monitorID string) bool
}

// Leases is a Fencing whose leases the store checks in the transaction
// of each write of the monitors' rows (store.Fence): a write that hung
// (a network that stalls without closing the connection) past the time
// another replica took its monitors over is refused by the database
// rather than paging a second time. A refused write is handled like
// fencing: the rows of the buckets it found lost are held until a round
// of leases renews them (they are written) or finds them taken (they are
// dropped).
type Leases interface {
	Fencing
	// Fence returns the fence of a write of rows of the monitors ids
	// yields; nil when it checks nothing. It answers from memory.
	Fence(ids iter.Seq[string]) *store.Fence
	// Revoke stops running the monitors of buckets at once, as fenced
	// ones, because a write found their leases lost.
	Revoke(buckets []int)
}

// batchMonitors yields the monitor of every row of b (a monitor once per
// kind of row at most, as it comes); rows of no monitor are left out.
func batchMonitors(b store.Batch) iter.Seq[string] {
	return func(yield func(string) bool) {
		last := ""
		each := func(id string) bool {
			if id == "" || id == last {
				return true
			}
			last = id
			return yield(id)
		}
		for i := range b.Results {
			if !each(b.Results[i].MonitorID) {
				return
			}
		}
		for id := range b.States {
			if !each(id) {
				return
			}
		}
		for i := range b.Transitions {
			if !each(b.Transitions[i].MonitorID) {
				return
			}
		}
		for i := range b.Outbox {
			if !each(b.Outbox[i].Event.MonitorID) {
				return
			}
		}
		for i := range b.Alerts {
			if !each(b.Alerts[i].MonitorID) {
				return
			}
		}
	}
}

// fate is what a flush does with an unwritten row, by its monitor.
type fate int

const (
	// write: the monitor is this process's (or the row has none).
	write fate = iota
	// hold: the monitor is fenced; keep the row, write nothing of it.
	hold
	// drop: another process runs the monitor now.
	drop
)

// fateOf says what becomes of the unwritten rows of a monitor.
func (e *Engine) fateOf(monitorID string) fate {
	if monitorID == "" || e.o.Ownership.Owns(monitorID) {
		return write
	}
	if f, ok := e.o.Ownership.(Fencing); ok && f.Fenced(monitorID) {
		return hold
	}
	return drop
}

// sortRows splits a batch by the fate of each row's monitor; a
// notification of no monitor (an incident's) is always written.
func sortRows(b store.Batch, fateOf func(string) fate) [3]store.Batch {
	var out [3]store.Batch
	for i := range out {
		out[i].States = map[string]monitor.State{}
	}
	for _, r := range b.Results {
		f := fateOf(r.MonitorID)
		out[f].Results = append(out[f].Results, r)
	}
	for id, st := range b.States {
		out[fateOf(id)].States[id] = st
	}
	for _, t := range b.Transitions {
		f := fateOf(t.MonitorID)
		out[f].Transitions = append(out[f].Transitions, t)
	}
	for _, m := range b.Outbox {
		f := fateOf(m.Event.MonitorID)
		out[f].Outbox = append(out[f].Outbox, m)
	}
	for _, a := range b.Alerts {
		f := fateOf(a.MonitorID)
		out[f].Alerts = append(out[f].Alerts, a)
	}
	return out
}

// rowCount counts the rows of a batch.
func rowCount(b store.Batch) int {
	return len(b.Results) + len(b.States) + len(b.Transitions) + len(b.Outbox) + len(b.Alerts)
}

// appendBatch puts the rows of later after those of b; for a monitor in
// both, later's state wins.
func appendBatch(b, later store.Batch) store.Batch {
	if b.States == nil {
		b.States = map[string]monitor.State{}
	}
	for id, st := range later.States {
		b.States[id] = st
	}
	b.Results = append(b.Results, later.Results...)
	b.Transitions = append(b.Transitions, later.Transitions...)
	b.Outbox = append(b.Outbox, later.Outbox...)
	b.Alerts = append(b.Alerts, later.Alerts...)
	return b
}
