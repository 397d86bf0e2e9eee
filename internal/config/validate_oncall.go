package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Alert grouping (alerting.group_by).
const (
	GroupByService = "service"
	GroupByMonitor = "monitor"
)

// DefaultGroupInterval is the least time between two updates of one alert.
const DefaultGroupInterval = 5 * time.Minute

// Escalation target kinds: the part of a step's notify entry before the
// colon.
const (
	TargetPerson   = "person"
	TargetTeam     = "team"
	TargetSchedule = "schedule"
	TargetChannel  = "channel"
)

// TargetKinds lists the kinds an escalation step may notify. It is read-only.
var TargetKinds = []string{TargetPerson, TargetTeam, TargetSchedule, TargetChannel}

// Dependency kinds of a service's depends_on entry; a bare id names a
// service.
const (
	DependService   = "service"
	DependHost      = "host"
	DependComponent = "component"
)

// Limits of the catalog's free-text fields.
const (
	maxRunbook = 4000
	maxFreeTxt = 500
	maxTag     = 63
	maxCycles  = 10
)

// ParseTarget splits an escalation target such as "team:ops" into its
// kind and id. It checks the form only, not that the id exists.
func ParseTarget(s string) (kind, id string, err error) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok || !slices.Contains(TargetKinds, kind) {
		return "", "", fmt.Errorf("invalid target %q: write person:ID, team:ID, schedule:ID or channel:ID", s)
	}
	if id == "" {
		return "", "", fmt.Errorf("invalid target %q: the id after %q is missing", s, kind+":")
	}
	return kind, id, nil
}

// ParseDependency splits a depends_on entry into its kind (DependService,
// DependHost or DependComponent) and id: "host:db1", "component:wan",
// or a service id on its own.
func ParseDependency(s string) (kind, id string) {
	if k, rest, ok := strings.Cut(s, ":"); ok && (k == DependHost || k == DependComponent) {
		return k, rest
	}
	return DependService, s
}

// Policy returns the escalation policy with the given id.
func (c *Config) Policy(id string) (*EscalationPolicy, bool) {
	for i := range c.EscalationPolicies {
		if c.EscalationPolicies[i].ID == id {
			return &c.EscalationPolicies[i], true
		}
	}
	return nil, false
}

// Host returns the host with the given id.
func (c *Config) Host(id string) (*Host, bool) {
	for i := range c.Hosts {
		if c.Hosts[i].ID == id {
			return &c.Hosts[i], true
		}
	}
	return nil, false
}

// Component returns the component with the given id.
func (c *Config) Component(id string) (*Component, bool) {
	for i := range c.Components {
		if c.Components[i].ID == id {
			return &c.Components[i], true
		}
	}
	return nil, false
}

// ServicePolicy returns the id of the escalation policy that pages for
// the service s: its own, else its first owning team's; "" when neither
// names one.
func (c *Config) ServicePolicy(s *Service) string {
	if s.EscalationPolicy != "" {
		return s.EscalationPolicy
	}
	for _, o := range s.Owners {
		if t, ok := c.Team(o); ok {
			return t.EscalationPolicy
		}
	}
	return ""
}

// oncallDefaults fills in what the catalog's sections leave out.
func (l *loader) oncallDefaults(cfg *Config) {
	a := &cfg.Alerting
	if a.GroupBy == "" && !l.ix.has("alerting.group_by") {
		a.GroupBy = GroupByService
	}
	setDuration(&a.GroupInterval, DefaultGroupInterval, l.ix.has("alerting.group_interval"))
	for i := range cfg.EscalationPolicies {
		if p := &cfg.EscalationPolicies[i]; p.Name == "" {
			p.Name = p.ID
		}
	}
	for i := range cfg.Hosts {
		if h := &cfg.Hosts[i]; h.Name == "" {
			h.Name = h.ID
		}
	}
	for i := range cfg.Components {
		if c := &cfg.Components[i]; c.Name == "" {
			c.Name = c.ID
		}
	}
}

// oncallIDs are the id sets the catalog's checks refer to.
type oncallIDs struct {
	people, teams, channels, services, monitors, schedules, policies, hosts, components map[string]string
}

// validateOncall checks the catalog's keys: the services' runbook, tier,
// contacts, dependencies, policy and tags; monitors' tags; people's
// contacts; teams' channels and policy; escalation policies, hosts,
// components and alerting. Maintenance windows are checked on their own.
func (l *loader) validateOncall(cfg *Config, ids oncallIDs) {
	ids.schedules = map[string]string{}
	for i, s := range cfg.Schedules {
		if _, dup := ids.schedules[s.ID]; !dup && s.ID != "" {
			ids.schedules[s.ID] = fmt.Sprintf("schedules[%d].id", i)
		}
	}
	ids.policies = l.ids("escalation_policies", len(cfg.EscalationPolicies), func(i int) string { return cfg.EscalationPolicies[i].ID }, nil)
	ids.hosts = l.ids("hosts", len(cfg.Hosts), func(i int) string { return cfg.Hosts[i].ID }, nil)
	ids.components = l.ids("components", len(cfg.Components), func(i int) string { return cfg.Components[i].ID }, nil)
	for i := range cfg.Heartbeats {
		if id := cfg.Heartbeats[i].ID; id != "" {
			if _, ok := ids.monitors[id]; !ok {
				ids.monitors[id] = fmt.Sprintf("heartbeats[%d].id", i)
			}
		}
	}

	for i := range cfg.People {
		l.validateContacts(&cfg.People[i], fmt.Sprintf("people[%d]", i), ids.channels)
	}
	for i := range cfg.Teams {
		t := &cfg.Teams[i]
		p := fmt.Sprintf("teams[%d]", i)
		l.refs(p+".channels", t.Channels, "channel", ids.channels, nil)
		l.policyRef(p+".escalation_policy", t.EscalationPolicy, ids.policies)
	}
	for i := range cfg.EscalationPolicies {
		l.validatePolicy(&cfg.EscalationPolicies[i], fmt.Sprintf("escalation_policies[%d]", i), ids)
	}
	for i := range cfg.Hosts {
		h := &cfg.Hosts[i]
		p := fmt.Sprintf("hosts[%d]", i)
		l.freeText(p+".address", h.Address, maxFreeTxt)
		l.freeText(p+".description", h.Description, maxRunbook)
		l.refs(p+".monitors", h.Monitors, "monitor", ids.monitors, nil)
	}
	for i := range cfg.Components {
		c := &cfg.Components[i]
		p := fmt.Sprintf("components[%d]", i)
		l.freeText(p+".kind", c.Kind, maxFreeTxt)
		l.freeText(p+".description", c.Description, maxRunbook)
		l.textList(p+".contacts", c.Contacts)
		l.refs(p+".monitors", c.Monitors, "monitor", ids.monitors, nil)
	}
	for i := range cfg.Services {
		l.validateServiceCatalog(&cfg.Services[i], fmt.Sprintf("services[%d]", i), ids)
	}
	l.dependencyCycles(cfg)
	for i := range cfg.Monitors {
		l.tags(fmt.Sprintf("monitors[%d].tags", i), cfg.Monitors[i].Tags)
	}

	a := &cfg.Alerting
	if a.GroupBy != GroupByService && a.GroupBy != GroupByMonitor {
		l.errAt("alerting.group_by", "unknown grouping %q (use %s or %s)", a.GroupBy, GroupByService, GroupByMonitor)
	}
	if a.GroupWait < 0 {
		l.errAt("alerting.group_wait", "must be 0 (page at once) or longer, not %s", a.GroupWait)
	}
	l.positive("alerting.group_interval", a.GroupInterval)
}

func (l *loader) validateContacts(p *Person, path string, channels map[string]string) {
	l.freeText(path+".phone", p.Phone, maxFreeTxt)
	for j, c := range p.Contacts {
		cp := fmt.Sprintf("%s.contacts[%d]", path, j)
		if c.Channel == "" {
			l.errAt(cp+".channel", "channel is required (the id of a channel)")
		} else if _, ok := channels[c.Channel]; !ok {
			l.errAt(cp+".channel", "undefined channel %q", c.Channel)
		}
		// An email channel without the person's address reaches nobody:
		// the catalog warns of it (tocsin validate, the UI, /metrics).
		if c.After < 0 {
			l.errAt(cp+".after", "must be 0 (at once) or longer, not %s", c.After)
		}
	}
}

func (l *loader) policyRef(path, id string, policies map[string]string) {
	if id == "" {
		return
	}
	if _, ok := policies[id]; !ok {
		msg := fmt.Sprintf("undefined escalation policy %q", id)
		if s := nearest(id, policies); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		l.errAt(path, "%s", msg)
	}
}

func (l *loader) validatePolicy(ep *EscalationPolicy, path string, ids oncallIDs) {
	if len(ep.Steps) == 0 {
		l.errAt(path+".steps", "a policy needs at least one step ({after, notify})")
	}
	if ep.Repeat < 0 {
		l.errAt(path+".repeat", "must be 0 (run once) or more, not %d", ep.Repeat)
	}
	var prev Duration
	for j, st := range ep.Steps {
		sp := fmt.Sprintf("%s.steps[%d]", path, j)
		switch {
		case st.After < 0:
			l.errAt(sp+".after", "must be 0 (at once) or longer, not %s", st.After)
		case st.After < prev:
			l.errAt(sp+".after", "after %s is earlier than the step before it (%s): steps run in order, each counted from the moment the alert opened", st.After, prev)
		default:
			prev = st.After
		}
		if len(st.Notify) == 0 {
			l.errAt(sp+".notify", "a step needs at least one target (person:ID, team:ID, schedule:ID or channel:ID)")
		}
		for k, t := range st.Notify {
			tp := fmt.Sprintf("%s.notify[%d]", sp, k)
			kind, id, err := ParseTarget(t)
			if err != nil {
				l.errAt(tp, "%v", err)
				continue
			}
			defined := map[string]map[string]string{TargetPerson: ids.people, TargetTeam: ids.teams,
				TargetSchedule: ids.schedules, TargetChannel: ids.channels}[kind]
			if _, ok := defined[id]; !ok {
				msg := fmt.Sprintf("undefined %s %q", kind, id)
				if s := nearest(id, defined); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", kind+":"+s)
				}
				l.errAt(tp, "%s", msg)
			}
		}
	}
}

func (l *loader) validateServiceCatalog(s *Service, path string, ids oncallIDs) {
	if r := strings.TrimSpace(s.Runbook); strings.HasPrefix(r, "http://") || strings.HasPrefix(r, "https://") {
		if !strings.ContainsAny(r, " \n\t") {
			l.httpURL(path+".runbook", r)
		}
	}
	l.freeText(path+".runbook", s.Runbook, maxRunbook)
	if s.Tier < 0 || s.Tier > 4 {
		l.errAt(path+".tier", "tier must be from 1 (most important) to 4, not %d", s.Tier)
	} else if s.Tier == 0 && l.ix.has(path+".tier") {
		l.errAt(path+".tier", "tier must be from 1 (most important) to 4; leave it out when unset")
	}
	l.textList(path+".contacts", s.Contacts)
	l.policyRef(path+".escalation_policy", s.EscalationPolicy, ids.policies)
	l.tags(path+".tags", s.Tags)
	seen := map[string]bool{}
	for j, d := range s.DependsOn {
		dp := fmt.Sprintf("%s.depends_on[%d]", path, j)
		if seen[d] {
			l.errAt(dp, "%q is listed twice", d)
			continue
		}
		seen[d] = true
		kind, id := ParseDependency(d)
		if id == "" {
			l.errAt(dp, "the id after %q is missing", kind+":")
			continue
		}
		var defined map[string]string
		switch kind {
		case DependHost:
			defined = ids.hosts
		case DependComponent:
			defined = ids.components
		default:
			defined = ids.services
			if id == s.ID {
				l.errAt(dp, "depends_on cycle: %s -> %s", s.ID, s.ID)
				continue
			}
		}
		if _, ok := defined[id]; !ok {
			msg := fmt.Sprintf("undefined %s %q", kind, id)
			if kind == DependService {
				msg += " (name a service by its id, a host as host:ID, a component as component:ID)"
			}
			l.errAt(dp, "%s", msg)
		}
	}
}

// dependencyCycles reports each cycle of services depending on one another
// once, at the depends_on entry that closes it, naming the whole cycle.
func (l *loader) dependencyCycles(cfg *Config) {
	index := make(map[string]int, len(cfg.Services))
	for i, s := range cfg.Services {
		if _, dup := index[s.ID]; !dup {
			index[s.ID] = i
		}
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]int, len(cfg.Services))
	var path []int
	// A file of many cycles gets the first few named: each costs the
	// length of its path, and more would only repeat the advice.
	reported := 0
	var visit func(i int)
	visit = func(i int) {
		state[i] = onPath
		path = append(path, i)
		s := &cfg.Services[i]
		for j, d := range s.DependsOn {
			kind, id := ParseDependency(d)
			k, ok := index[id]
			if kind != DependService || !ok || k == i {
				continue
			}
			switch state[k] {
			case unseen:
				visit(k)
			case onPath:
				if reported++; reported > maxCycles {
					continue
				}
				start := slices.Index(path, k)
				names := make([]string, 0, len(path)-start+1)
				for _, n := range path[start:] {
					names = append(names, cfg.Services[n].ID)
				}
				names = append(names, id)
				l.errAt(fmt.Sprintf("services[%d].depends_on[%d]", i, j), "depends_on cycle: %s", strings.Join(names, " -> "))
			}
		}
		path = path[:len(path)-1]
		state[i] = done
	}
	for i := range cfg.Services {
		if state[i] == unseen {
			visit(i)
		}
	}
}

// tags checks a list of tags: short words without spaces or commas.
func (l *loader) tags(path string, tags []string) {
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		tp := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case t == "":
			l.errAt(tp, "a tag cannot be empty")
		case len(t) > maxTag:
			l.errAt(tp, "a tag has at most %d characters, not %d", maxTag, len(t))
		case strings.ContainsAny(t, " \t\n,"):
			l.errAt(tp, "invalid tag %q: a tag has no spaces or commas (such as tier1 or team=erp)", t)
		case seen[t]:
			l.errAt(tp, "tag %q is listed twice", t)
		}
		seen[t] = true
	}
}

// textList checks a list of free-text entries: none empty, none too long.
func (l *loader) textList(path string, list []string) {
	for i, s := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		if strings.TrimSpace(s) == "" {
			l.errAt(p, "an entry cannot be empty")
			continue
		}
		l.freeText(p, s, maxFreeTxt)
	}
}

func (l *loader) freeText(path, s string, limit int) {
	if len(s) > limit {
		l.errAt(path, "at most %d characters, not %d", limit, len(s))
	}
}
