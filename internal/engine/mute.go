package engine

import (
	"time"

	"github.com/tocsin/tocsin/internal/alert"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/mute"
)

// SetMutes hands the engine the maintenance windows and silences in force.
// The app replaces the snapshot whole on every reload and every change made
// through the UI, API or CLI; the engine never asks the database. Nil mutes
// nothing.
func (e *Engine) SetMutes(s *mute.Snapshot) { e.mutes.Store(s) }

// Mutes returns the snapshot in force (nil before the first SetMutes).
func (e *Engine) Mutes() *mute.Snapshot { return e.mutes.Load() }

// muted reports whether t is held back because its monitor is in a
// maintenance window or silenced at the moment of the transition. The
// transition itself is stored as usual; only its notifications are
// dropped. A held failure is remembered so that, when the mute ends with
// the monitor still failing, it notifies once as a fresh failure (see
// release); a recovery while muted forgets it, so nothing is sent at all.
func (e *Engine) muted(t monitor.Transition) bool {
	name, ok := alert.EventName(t)
	if !ok {
		return false
	}
	m, ok := e.mutes.Load().Check(t.MonitorID, t.Time)
	if !ok {
		return false
	}
	e.heldMu.Lock()
	switch t.To {
	case monitor.StatusDown, monitor.StatusWarning:
		e.held[t.MonitorID] = t
	case monitor.StatusUp:
		delete(e.held, t.MonitorID)
	}
	e.heldMu.Unlock()
	e.metrics.muted.WithLabelValues(m.Kind).Inc()
	e.o.Logger.Info(LogHeldBack, "monitor", t.MonitorID, "event", name, "by", m.Kind, "id", m.ID, "until", m.Until, "reason", m.Reason)
	if e.o.OnMuted != nil {
		e.o.OnMuted(t.MonitorID, name, m)
	}
	return true
}

// release returns the failure held back while the monitor was muted, when
// the mute has ended by now, no new transition happened, and the monitor
// is still in the status it failed to: the first result after a window
// ends notifies it once, as a fresh failure at now. A held failure of a
// monitor whose status has moved on is dropped.
func (e *Engine) release(id string, st monitor.State, ts []monitor.Transition, now time.Time) (monitor.Transition, bool) {
	e.heldMu.Lock()
	defer e.heldMu.Unlock()
	h, ok := e.held[id]
	if !ok {
		return monitor.Transition{}, false
	}
	if len(ts) > 0 || st.Status != h.To {
		// A new transition speaks for itself (and is checked on its own).
		delete(e.held, id)
		return monitor.Transition{}, false
	}
	if _, still := e.mutes.Load().Check(id, now); still {
		return monitor.Transition{}, false
	}
	delete(e.held, id)
	h.Time = now
	h.Reason = "still " + string(h.To) + " after its maintenance window or silence ended: " + st.LastReason
	h.Flapping = st.Flapping
	return h, true
}
