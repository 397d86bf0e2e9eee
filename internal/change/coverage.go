package change

import (
	"fmt"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// The kinds of coverage findings.
const (
	// FindingNoCheck: a service no monitor and no heartbeat watches.
	FindingNoCheck = "no_check"
	// FindingLivenessOnly: a service whose checks only prove something
	// answers (a port, a ping, a certificate, a process), none that it
	// works for its users.
	FindingLivenessOnly = "liveness_only"
	// FindingNoOwner and FindingNoPolicy come from the catalog's warnings.
	FindingNoOwner  = catalog.WarnServiceNoOwner
	FindingNoPolicy = catalog.WarnServiceNoPolicy
	// FindingUnreached: a heartbeat or a mail loop whose alerts reach
	// nobody on call: it has no service, its service has no escalation
	// policy, or the policy reaches no person now.
	FindingUnreached = "alerts_reach_nobody"
)

// Classify says what a monitor's success proves; probe.Kinds.ClassOf is
// the one Tocsin uses, so the report needs no probe kind.
type Classify func(m *config.Monitor) probe.Class

// Check is one monitor or heartbeat of a service, with its class.
type Check struct {
	// Kind is "monitor" or "heartbeat".
	Kind string
	ID   string
	// Type is the monitor's type; "heartbeat" for a heartbeat.
	Type  string
	Class probe.Class
}

// ServiceCoverage is how one service is watched.
type ServiceCoverage struct {
	ID   string
	Name string
	// Checks are the service's monitors then heartbeats, in config order.
	Checks []Check
	// Functional is true when at least one check is functional.
	Functional bool
	HasOwner   bool
	HasPolicy  bool
}

// Finding is one thing the coverage report asks someone to fix.
type Finding struct {
	// Kind is one of the Finding constants.
	Kind string
	// Subject is what it is about: "service:ID", "heartbeat:ID" or
	// "monitor:ID".
	Subject string
	Message string
}

// Report is the coverage report.
type Report struct {
	Services []ServiceCoverage
	// Findings are in config order: the services' findings first, then
	// the monitors', then the heartbeats'.
	Findings []Finding
}

// Clean reports whether there is nothing to fix.
func (r Report) Clean() bool { return len(r.Findings) == 0 }

// Coverage builds the coverage report of cfg and its catalog c at t (who
// is on call then). Every heartbeat is functional: a job that pings after
// its work proves that work was done. A monitor's class comes from
// classify.
func Coverage(cfg *config.Config, c *catalog.Catalog, classify Classify, t time.Time) Report {
	var r Report
	monitorsOf := map[string][]*config.Monitor{}
	for i := range cfg.Monitors {
		m := &cfg.Monitors[i]
		monitorsOf[m.Service] = append(monitorsOf[m.Service], m)
	}
	heartbeatsOf := map[string][]*config.Heartbeat{}
	for i := range cfg.Heartbeats {
		h := &cfg.Heartbeats[i]
		heartbeatsOf[h.Service] = append(heartbeatsOf[h.Service], h)
	}
	warned := map[[2]string]string{}
	for _, w := range c.Warnings() {
		warned[[2]string{w.Kind, w.ID}] = w.Message
	}
	for _, s := range c.Services() {
		sc := ServiceCoverage{ID: s.ID, Name: s.Name}
		var liveness []string
		for _, m := range monitorsOf[s.ID] {
			cl := classify(m)
			sc.Checks = append(sc.Checks, Check{Kind: "monitor", ID: m.ID, Type: m.Type, Class: cl})
			if cl == probe.ClassFunctional {
				sc.Functional = true
			} else {
				liveness = append(liveness, fmt.Sprintf("%s (%s)", m.ID, m.Type))
			}
		}
		for _, h := range heartbeatsOf[s.ID] {
			sc.Checks = append(sc.Checks, Check{Kind: "heartbeat", ID: h.ID, Type: "heartbeat", Class: probe.ClassFunctional})
			sc.Functional = true
		}
		subject := "service:" + s.ID
		switch {
		case len(sc.Checks) == 0:
			r.Findings = append(r.Findings, Finding{Kind: FindingNoCheck, Subject: subject,
				Message: fmt.Sprintf("service %q has no monitor and no heartbeat: nothing tells anyone it is down", s.ID)})
		case !sc.Functional:
			r.Findings = append(r.Findings, Finding{Kind: FindingLivenessOnly, Subject: subject,
				Message: fmt.Sprintf("service %q has only liveness checks (%s): nothing proves it works end to end", s.ID, strings.Join(liveness, ", "))})
		}
		msg, noOwner := warned[[2]string{FindingNoOwner, s.ID}]
		sc.HasOwner = !noOwner
		if noOwner {
			r.Findings = append(r.Findings, Finding{Kind: FindingNoOwner, Subject: subject, Message: msg})
		}
		msg, noPolicy := warned[[2]string{FindingNoPolicy, s.ID}]
		sc.HasPolicy = !noPolicy
		if noPolicy {
			r.Findings = append(r.Findings, Finding{Kind: FindingNoPolicy, Subject: subject, Message: msg})
		}
		r.Services = append(r.Services, sc)
	}
	for i := range cfg.Monitors {
		m := &cfg.Monitors[i]
		if m.Type != "mailloop" {
			continue
		}
		if why := reachesNobody(c, m.Service, t); why != "" {
			r.Findings = append(r.Findings, Finding{Kind: FindingUnreached, Subject: "monitor:" + m.ID,
				Message: fmt.Sprintf("mail loop %q: its alerts reach nobody on call: %s", m.ID, why)})
		}
	}
	for i := range cfg.Heartbeats {
		h := &cfg.Heartbeats[i]
		if why := reachesNobody(c, h.Service, t); why != "" {
			r.Findings = append(r.Findings, Finding{Kind: FindingUnreached, Subject: "heartbeat:" + h.ID,
				Message: fmt.Sprintf("heartbeat %q: its alerts reach nobody on call: %s", h.ID, why)})
		}
	}
	return r
}

// reachesNobody says why a page for the service reaches no person at t,
// or "" when some step of its escalation policy reaches one.
func reachesNobody(c *catalog.Catalog, serviceID string, t time.Time) string {
	if serviceID == "" {
		return "it belongs to no service, so no escalation policy pages for it"
	}
	p, steps, ok := c.Path(serviceID, t)
	if !ok {
		return fmt.Sprintf("service %q has no escalation policy", serviceID)
	}
	var problems []string
	for _, st := range steps {
		for _, rc := range st.Recipients {
			if rc.Kind == catalog.KindPerson && rc.Problem == "" {
				return ""
			}
			if rc.Problem != "" {
				problems = append(problems, rc.Problem)
			}
		}
	}
	if len(problems) == 0 {
		return fmt.Sprintf("escalation policy %q of service %q reaches no person, only channels", p.ID, serviceID)
	}
	return fmt.Sprintf("escalation policy %q of service %q reaches no person now (%s)", p.ID, serviceID, strings.Join(problems, "; "))
}
