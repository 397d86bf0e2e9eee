package alert

import (
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
)

// DefaultGroupInterval is the least time between two alert.updated
// notifications of one alert when alerting.group_interval is not set: a
// burst of monitors joining tells the people paged once, not once each.
const DefaultGroupInterval = 5 * time.Minute

// Group keys: a service's alert is keyed by the service id, a monitor's own
// by this prefix and the monitor id.
const monitorKeyPrefix = "monitor:"

// PolicyFor returns the escalation policy that pages for a service (its
// own, or its owning team's default), and false when none does. The
// catalog answers it.
type PolicyFor func(serviceID string) (config.EscalationPolicy, bool)

// Change is what one transition does to the paged alert of its group: a
// failure opens the group's alert or joins it, a recovery marks the
// monitor recovered (the store resolves the alert when every monitor of it
// has). The engine stores it with the transition, in the same transaction.
type Change struct {
	GroupKey  string
	MonitorID string
	ServiceID string
	PolicyID  string
	// Down: the monitor failed; otherwise it recovered.
	Down   bool
	Time   time.Time
	Reason string
	// FirstStep is when the first step of the policy is due if the change
	// opens the alert: the failure, plus alerting.group_wait, plus the
	// first step's `after`. Zero when no policy pages for the group.
	FirstStep time.Time
	// UpdateEvery is alerting.group_interval.
	UpdateEvery time.Duration
	// ImpactedBy names the dependency a failure is put down to; the
	// change then joins that dependency's alert (GroupKey is its key).
	ImpactedBy string
	// Released names a dependency that recovered: the monitor, still
	// failing, leaves the alerts it joined as impacted by it, and the
	// change then applies as a failure; when it was in no such alert,
	// the change does nothing.
	Released string
}

// Group returns the change t makes to the paged alert of its monitor's
// group, and false when it makes none.
//
// A monitor going down fails; a warning pages nobody (it is told to the
// channels that subscribe to monitor.warning, as before). Going up, or
// being paused, is a recovery; a monitor going from down to warning stays
// failing in its alert until it is up. Flapping starts and stops change
// nothing, and so does a monitor's first state or its resumption. policy
// may be nil: no group then has a policy.
func Group(cfg *config.Config, t monitor.Transition, policy PolicyFor) (Change, bool) {
	if cfg == nil || t.From == t.To {
		return Change{}, false
	}
	m, ok := cfg.Monitor(t.MonitorID)
	if !ok {
		return Change{}, false
	}
	return GroupFor(cfg, m, t, policy)
}

// GroupFor is Group for a caller that holds t's monitor m, the one of cfg
// with t's MonitorID.
func GroupFor(cfg *config.Config, m *config.Monitor, t monitor.Transition, policy PolicyFor) (Change, bool) {
	if t.From == t.To {
		return Change{}, false
	}
	c := Change{
		GroupKey:    GroupKey(cfg, m),
		MonitorID:   m.ID,
		ServiceID:   m.Service,
		Time:        t.Time.UTC(),
		Reason:      t.Reason,
		UpdateEvery: updateEvery(cfg),
	}
	switch {
	case t.To == monitor.StatusDown:
		c.Down = true
	case (t.To == monitor.StatusUp || t.To == monitor.StatusPaused) && (t.From == monitor.StatusDown || t.From == monitor.StatusWarning):
		// Only a monitor that was failing can have joined an alert.
		if t.To == monitor.StatusPaused {
			c.Reason = "paused"
		}
		return c, true
	default:
		return Change{}, false
	}
	if policy != nil && m.Service != "" {
		if p, ok := policy(m.Service); ok && len(p.Steps) > 0 {
			c.PolicyID = p.ID
			c.FirstStep = c.Time.Add(cfg.Alerting.GroupWait.D() + p.Steps[0].After.D())
		}
	}
	return c, true
}

// GroupKey is the key of the alert a monitor's failures join: its service
// (alerting.group_by "service", the default), or the monitor itself when
// it has no service or group_by is "monitor".
func GroupKey(cfg *config.Config, m *config.Monitor) string {
	if m.Service == "" || cfg.Alerting.GroupBy == "monitor" {
		return monitorKeyPrefix + m.ID
	}
	return m.Service
}
