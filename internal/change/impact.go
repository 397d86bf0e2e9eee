package change

import (
	"fmt"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
)

// Affected is one service that needs what an impact preview asks about.
type Affected struct {
	Service catalog.Service
	// Direct is true when the service names the entry in its own
	// depends_on; false when it needs it through other services.
	Direct bool
	// OnCall are the people the first step of the service's escalation
	// policy reaches now; empty when it reaches nobody.
	OnCall []catalog.Person
	// Problems say in words what may keep a page for the service from
	// reaching anyone now (catalog.ServiceWarnings).
	Problems []string
}

// ImpactReport is the answer to "what breaks if this goes?".
type ImpactReport struct {
	// Entry is what was asked about: a service id, "host:ID" or
	// "component:ID".
	Entry string
	// Name is the entry's name in the configuration.
	Name string
	// Monitors watch the entry: a host's or component's monitors, a
	// service's own.
	Monitors []string
	// Affected are the services that depend on the entry, nearest first.
	Affected []Affected
}

// Impact returns every service that depends on entry (a service id,
// "host:ID" or "component:ID"), directly or through other services, with
// their owners and who is on call at t. A bare name that is no service
// but the id of a host or a component is read as that host or component.
// An entry the catalog does not know is an EINVALID error naming it.
func Impact(c *catalog.Catalog, entry string, t time.Time) (ImpactReport, error) {
	entry = strings.TrimSpace(entry)
	if entry == "" {
		return ImpactReport{}, errs.Errorf(errs.EINVALID, `name what to preview: a service id, "host:ID" or "component:ID"`)
	}
	r := ImpactReport{Entry: entry}
	kind, id := config.ParseDependency(entry)
	if kind == config.DependService && !strings.Contains(entry, ":") {
		if _, ok := c.Service(id); !ok {
			if _, ok := c.Host(id); ok {
				kind, entry = config.DependHost, config.DependHost+":"+id
			} else if _, ok := c.Component(id); ok {
				kind, entry = config.DependComponent, config.DependComponent+":"+id
			}
			r.Entry = entry
		}
	}
	switch kind {
	case config.DependHost:
		h, ok := c.Host(id)
		if !ok {
			return r, errs.Errorf(errs.EINVALID, "unknown host %q: the configuration's hosts are %s", id, listIDs(hostIDs(c)))
		}
		r.Name, r.Monitors = orID(h.Name, h.ID), h.Monitors
	case config.DependComponent:
		co, ok := c.Component(id)
		if !ok {
			return r, errs.Errorf(errs.EINVALID, "unknown component %q: the configuration's components are %s", id, listIDs(componentIDs(c)))
		}
		r.Name, r.Monitors = orID(co.Name, co.ID), co.Monitors
	default:
		s, ok := c.Service(id)
		if !ok {
			return r, errs.Errorf(errs.EINVALID, `unknown service, host or component %q: write a service id, "host:ID" or "component:ID"`, entry)
		}
		r.Name, r.Monitors = s.Name, s.Monitors
	}
	direct := map[string]bool{}
	for _, s := range c.DependentsOf(entry) {
		direct[s] = true
	}
	for _, sid := range c.AllDependents(entry) {
		s, ok := c.Service(sid)
		if !ok {
			continue
		}
		a := Affected{Service: s, Direct: direct[sid], Problems: c.ServiceWarnings(sid, t)}
		for _, pid := range c.OnCallNow(sid, t) {
			if p, ok := c.Person(pid); ok {
				a.OnCall = append(a.OnCall, p)
			}
		}
		r.Affected = append(r.Affected, a)
	}
	return r, nil
}

func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

func hostIDs(c *catalog.Catalog) []string {
	var out []string
	for _, h := range c.Hosts() {
		out = append(out, h.ID)
	}
	return out
}

func componentIDs(c *catalog.Catalog) []string {
	var out []string
	for _, co := range c.Components() {
		out = append(out, co.ID)
	}
	return out
}

// listIDs quotes up to ten ids for an error message.
func listIDs(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, id := range ids {
		if i == 10 {
			fmt.Fprintf(&b, " and %d more", len(ids)-10)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", id)
	}
	return b.String()
}
