package engine

import (
	"github.com/tocsin/tocsin/internal/alert"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// route carries the transitions of one evaluation through the stages after
// the state machine, in order, and returns the outbox messages and the
// changes to paged alerts they cause. It is pure but for newID: what it
// returns goes into the same batch as the transitions, so they are stored
// together or not at all. A nil cfg (before the first Apply) routes
// nothing.
//
// states is the live state of every monitor, for dependency suppression.
// m is the monitor of the transitions, cfg's own: every transition of one
// evaluation is of one monitor.
func (e *Engine) route(cfg *config.Config, m *config.Monitor, ts []monitor.Transition, states alert.States) ([]notify.OutboxMessage, []store.AlertChange) {
	if cfg == nil || len(ts) == 0 {
		return nil, nil
	}
	var out []notify.OutboxMessage
	var changes []store.AlertChange
	for _, t := range ts {
		// Maintenance windows and silences: the transition is stored,
		// but a muted monitor notifies nobody, channels nor pages. A
		// muted failure opens or joins no paged alert; a muted recovery
		// still reaches its alert, so one opened before the window
		// resolves.
		muted := e.muted(t)

		// Stage 2, alert, grouping: the transition opens, joins or
		// recovers the paged alert of its group. The store applies the
		// change in the flush transaction, where it finds the group's
		// open alert; the escalator pages from there.
		// Dependency suppression: a failure put down to a dependency
		// that is down joins its alert; a recovery releases the
		// failures put down to what recovered.
		if !muted || t.To == monitor.StatusUp {
			if c, ok := alert.GroupFor(cfg, m, t, e.o.Policies); ok {
				changes = append(changes, store.AlertChange(alert.Impact(cfg, c, states, e.o.Policies)))
				if !c.Down {
					for _, r := range alert.Released(cfg, t, states, e.o.Policies) {
						changes = append(changes, store.AlertChange(r))
					}
				}
			}
		}
		if muted {
			continue
		}

		// Stage 2, alert: whether t is worth telling anyone, and whom.
		a, ok := alert.RaiseFor(cfg, m, t, cfg.Server.BaseURL)
		if !ok {
			continue
		}
		// Paging and incidents are not stages here: the grouping
		// change above is stored with the transition, and from the
		// store the escalator (internal/escalate) pages by policy and
		// the incident runner (internal/incident) opens and resolves
		// incidents, each on its own timers.

		// Stage 5, notify: one durable outbox message per channel.
		out = append(out, notify.Messages(a.Event, a.Channels, e.o.NewID)...)
	}
	return out, changes
}
