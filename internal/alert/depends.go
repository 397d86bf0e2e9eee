package alert

import (
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
)

// States reports the live state of a monitor (the engine's), and false for
// a monitor it does not know.
type States func(monitorID string) (monitor.State, bool)

// Dependency suppression: when something a service depends on is down,
// the service's failing monitors are put down to it. Instead of paging on
// their own they join the dependency's alert, marked "impacted by" it;
// when the dependency recovers, those still failing leave its alert and
// open (or join) their own, which pages.
//
// A dependency is down while one of its monitors is down: a service's
// monitors, a host's or component's `monitors`. Depending on something
// that is itself down because of its own dependency puts the failure down
// to the root of the chain; cycles in `depends_on` are cut where they
// close (configuration validation refuses them besides).

// Impact returns c, a failure, rewritten to join the alert of the first
// dependency of its service that is down, or c unchanged when none is.
func Impact(cfg *config.Config, c Change, states States, policy PolicyFor) Change {
	if cfg == nil || states == nil || !c.Down || c.ServiceID == "" {
		return c
	}
	dep, via, ok := rootCause(cfg, c.ServiceID, states, map[string]bool{c.ServiceID: true})
	if !ok {
		return c
	}
	c.ImpactedBy = dep
	c.GroupKey = GroupKey(cfg, via)
	// Should the dependency have no alert (it failed before this
	// process ran), one is opened for it, paged by its policy.
	c.PolicyID, c.FirstStep = "", time.Time{}
	if via.Service != "" && policy != nil {
		if p, ok := policy(via.Service); ok && len(p.Steps) > 0 {
			c.PolicyID = p.ID
			c.FirstStep = c.Time.Add(cfg.Alerting.GroupWait.D() + p.Steps[0].After.D())
		}
	}
	return c
}

// rootCause finds the first dependency of service svc that is down, and
// follows it to the root of the chain: the dependency's name ("service:db",
// "host:h1") and one of its down monitors, whose alert the failure joins.
func rootCause(cfg *config.Config, svc string, states States, seen map[string]bool) (string, *config.Monitor, bool) {
	s, ok := cfg.Service(svc)
	if !ok {
		return "", nil, false
	}
	for _, dep := range s.DependsOn {
		kind, id := split(dep)
		if kind == "service" && seen[id] {
			continue // the cycle closes here
		}
		m, ok := downMonitor(cfg, dep, states)
		if !ok {
			continue
		}
		if kind == "service" {
			seen[id] = true
			if root, via, ok := rootCause(cfg, id, states, seen); ok {
				return root, via, true
			}
		}
		return kind + ":" + id, m, true
	}
	return "", nil, false
}

// split names a depends_on entry: "db" is ("service", "db"), "host:h1" is
// ("host", "h1").
func split(dep string) (kind, id string) {
	if k, v, ok := strings.Cut(dep, ":"); ok && (k == "host" || k == "component") {
		return k, v
	}
	return "service", dep
}

// members lists the monitors of a dependency.
func members(cfg *config.Config, dep string) []*config.Monitor {
	var out []*config.Monitor
	kind, id := split(dep)
	var ids []string
	switch kind {
	case "host":
		for i := range cfg.Hosts {
			if cfg.Hosts[i].ID == id {
				ids = cfg.Hosts[i].Monitors
			}
		}
	case "component":
		for i := range cfg.Components {
			if cfg.Components[i].ID == id {
				ids = cfg.Components[i].Monitors
			}
		}
	default:
		for i := range cfg.Monitors {
			if cfg.Monitors[i].Service == id {
				out = append(out, &cfg.Monitors[i])
			}
		}
		return out
	}
	for _, mid := range ids {
		if m, ok := cfg.Monitor(mid); ok {
			out = append(out, m)
		}
	}
	return out
}

// downMonitor returns the first monitor of dep that is down.
func downMonitor(cfg *config.Config, dep string, states States) (*config.Monitor, bool) {
	for _, m := range members(cfg, dep) {
		if st, ok := states(m.ID); ok && st.Status == monitor.StatusDown {
			return m, true
		}
	}
	return nil, false
}

// Released returns what the recovery t does to the failures put down to
// the dependencies it belongs to: when such a dependency (its service, a
// host or component listing it) is no longer down, each monitor of a
// dependent service that is still down leaves the dependency's alert
// (Moved) and fails on its own, joining another dependency's alert when
// one is down, else its own alert, which pages.
func Released(cfg *config.Config, t monitor.Transition, states States, policy PolicyFor) []Change {
	if cfg == nil || states == nil || t.To == monitor.StatusDown {
		return nil
	}
	if !slices.ContainsFunc(cfg.Services, func(s config.Service) bool { return len(s.DependsOn) > 0 }) {
		return nil
	}
	m, ok := cfg.Monitor(t.MonitorID)
	if !ok {
		return nil
	}
	var deps []string
	if m.Service != "" {
		deps = append(deps, m.Service)
	}
	for _, h := range cfg.Hosts {
		for _, id := range h.Monitors {
			if id == m.ID {
				deps = append(deps, "host:"+h.ID)
			}
		}
	}
	for _, c := range cfg.Components {
		for _, id := range c.Monitors {
			if id == m.ID {
				deps = append(deps, "component:"+c.ID)
			}
		}
	}
	var out []Change
	for _, dep := range deps {
		if _, down := downMonitor(cfg, dep, states); down {
			continue
		}
		kind, id := split(dep)
		name := kind + ":" + id
		for _, s := range cfg.Services {
			if !dependsOn(cfg, s.ID, name, map[string]bool{}) {
				continue
			}
			for _, sm := range members(cfg, s.ID) {
				st, ok := states(sm.ID)
				if !ok || st.Status != monitor.StatusDown {
					continue
				}
				own, ok := Group(cfg, monitor.Transition{MonitorID: sm.ID, From: monitor.StatusUp, To: monitor.StatusDown, Time: t.Time,
					Reason: "still failing after " + name + " recovered: " + st.LastReason}, policy)
				if ok {
					own = Impact(cfg, own, states, policy)
					own.Released = name
					out = append(out, own)
				}
			}
		}
	}
	return out
}

// dependsOn reports whether service svc depends on dep ("service:db",
// "host:h1"), directly or through other services.
func dependsOn(cfg *config.Config, svc, dep string, seen map[string]bool) bool {
	if seen[svc] {
		return false
	}
	seen[svc] = true
	s, ok := cfg.Service(svc)
	if !ok {
		return false
	}
	for _, d := range s.DependsOn {
		k, i := split(d)
		if k+":"+i == dep || k == "service" && dependsOn(cfg, i, dep, seen) {
			return true
		}
	}
	return false
}

func updateEvery(cfg *config.Config) time.Duration {
	if d := cfg.Alerting.GroupInterval.D(); d > 0 {
		return d
	}
	return DefaultGroupInterval
}
