package catalog

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/oncall"
)

// Recipient kinds: a Recipient reaches a person or a channel; a schedule
// or team that reaches nobody is reported as a Recipient of its own kind
// with Problem set.
const (
	KindPerson   = "person"
	KindChannel  = "channel"
	KindTeam     = "team"
	KindSchedule = "schedule"
)

// Schedule is an on-call schedule as the catalog answers for it.
type Schedule struct {
	ID string
	// Name is the schedule's name, or its id when the config gives none.
	Name string
	// Timezone is the IANA name of its local times.
	Timezone string
	rot      oncall.Schedule
	ok       bool
}

// Shift is who comes on call at From in a schedule.
type Shift struct {
	Schedule string
	From     time.Time
	People   []string
}

// Step is one step of an escalation policy, resolved at an instant.
type Step struct {
	// After is counted from the moment the alert opened.
	After time.Duration
	// Notify lists the step's targets as written ("team:ops").
	Notify []string
	// Recipients are whom the targets reach at the instant, in order.
	Recipients []Recipient
}

// Warning kinds: what is missing for someone to be paged.
const (
	WarnServiceNoOwner  = "service_without_owner"
	WarnServiceNoPolicy = "service_without_escalation_policy"
	WarnPersonNoContact = "person_without_contact"
	// WarnContactNoAddress is a contact rule on an email channel of a
	// person without an email address: it reaches nobody.
	WarnContactNoAddress = "contact_without_address"
)

// Warning is something the configuration allows but that leaves a service
// without anyone to call. ID is the service or person it is about.
type Warning struct {
	Kind    string
	ID      string
	Message string
}

// String returns the warning in words.
func (w Warning) String() string { return w.Message }

// contactsOf resolves a person's contact rules: an email channel sends to
// the person's own address. A rule on an unknown channel, or on an email
// channel when the person has no address, reaches nothing and is left out.
// With no rules, the first email channel reaches them at once when they
// have an address.
func (c *Catalog) contactsOf(cfg *config.Config, p *config.Person, email string) []Contact {
	var out []Contact
	for _, r := range p.Contacts {
		ch, ok := c.channels[r.Channel]
		if !ok {
			continue
		}
		ct := Contact{Channel: r.Channel, After: r.After.D()}
		if ch.Type == "email" {
			if email == "" {
				continue
			}
			ct.Address = email
		}
		out = append(out, ct)
	}
	if len(p.Contacts) > 0 || email == "" {
		return out
	}
	for _, ch := range cfg.Channels {
		if ch.Type == "email" {
			return []Contact{{Channel: ch.ID, Address: email}}
		}
	}
	return nil
}

func (c *Catalog) buildOncall(cfg *config.Config) {
	for _, s := range cfg.Schedules {
		if _, dup := c.schedule[s.ID]; dup || s.ID == "" {
			continue
		}
		rot, err := oncall.FromConfig(s)
		c.schedule[s.ID] = len(c.schedules)
		c.schedules = append(c.schedules, Schedule{ID: s.ID, Name: orID(s.Name, s.ID), Timezone: s.Timezone, rot: rot, ok: err == nil})
	}
	for _, p := range cfg.EscalationPolicies {
		if _, dup := c.policy[p.ID]; dup || p.ID == "" {
			continue
		}
		if p.Name == "" {
			p.Name = p.ID
		}
		c.policy[p.ID] = len(c.policies)
		c.policies = append(c.policies, p)
	}
	c.hosts = cfg.Hosts
	c.components = cfg.Components
	c.warnings = c.buildWarnings(cfg)
}

// Channel returns the channel with the given id.
func (c *Catalog) Channel(id string) (config.Channel, bool) {
	ch, ok := c.channels[id]
	return ch, ok
}

// Schedules returns every schedule, in config order.
func (c *Catalog) Schedules() []Schedule { return c.schedules }

// Schedule returns the schedule with the given id.
func (c *Catalog) Schedule(id string) (Schedule, bool) {
	i, ok := c.schedule[id]
	if !ok {
		return Schedule{}, false
	}
	return c.schedules[i], true
}

// OnCall returns the ids of the people on call in the schedule at t; nil
// for nobody or an unknown schedule.
func (c *Catalog) OnCall(scheduleID string, t time.Time) []string {
	s, ok := c.Schedule(scheduleID)
	if !ok || !s.ok {
		return nil
	}
	return oncall.OnCall(s.rot, t)
}

// Next returns the next handoff of the schedule after t: when someone
// else comes on call, and who (nobody, for a gap). False when the on-call
// set does not change within a year, or for an unknown schedule.
func (c *Catalog) Next(scheduleID string, t time.Time) (Shift, bool) {
	s, ok := c.Schedule(scheduleID)
	if !ok || !s.ok {
		return Shift{}, false
	}
	from, who, ok := oncall.NextHandoff(s.rot, t)
	if !ok {
		return Shift{}, false
	}
	return Shift{Schedule: scheduleID, From: from, People: who}, true
}

// Policies returns every escalation policy, in config order.
func (c *Catalog) Policies() []config.EscalationPolicy { return c.policies }

// Policy returns the escalation policy with the given id.
func (c *Catalog) Policy(id string) (config.EscalationPolicy, bool) {
	i, ok := c.policy[id]
	if !ok {
		return config.EscalationPolicy{}, false
	}
	return c.policies[i], true
}

// PolicyFor returns the escalation policy that pages for the service: its
// own, else its first owning team's. False when the service is unknown or
// has none.
func (c *Catalog) PolicyFor(serviceID string) (config.EscalationPolicy, bool) {
	s, ok := c.Service(serviceID)
	if !ok || s.Policy == "" {
		return config.EscalationPolicy{}, false
	}
	return c.Policy(s.Policy)
}

// Path returns the service's escalation policy with each step's targets
// resolved at t. False when the service has no policy.
func (c *Catalog) Path(serviceID string, t time.Time) (config.EscalationPolicy, []Step, bool) {
	p, ok := c.PolicyFor(serviceID)
	if !ok {
		return config.EscalationPolicy{}, nil, false
	}
	steps := make([]Step, 0, len(p.Steps))
	for _, st := range p.Steps {
		s := Step{After: st.After.D(), Notify: st.Notify}
		for _, target := range st.Notify {
			s.Recipients = append(s.Recipients, c.Recipients(target, t)...)
		}
		steps = append(steps, s)
	}
	return p, steps, true
}

// Recipients returns whom the escalation target ("person:ID", "team:ID",
// "schedule:ID" or "channel:ID") reaches at t:
//   - a person: them, through their contacts;
//   - a team: each member as a person, then one channel Recipient per
//     team channel;
//   - a schedule: each person on call at t;
//   - a channel: that channel.
//
// Whoever cannot be reached is still listed, with Problem saying why: a
// person with no usable contact, a schedule with nobody on call, a team
// with nobody and no channel, an unknown target.
func (c *Catalog) Recipients(target string, t time.Time) []Recipient {
	kind, id, err := config.ParseTarget(target)
	if err != nil {
		return []Recipient{{Target: target, Kind: kind, ID: id, Name: target, Problem: err.Error()}}
	}
	switch kind {
	case config.TargetPerson:
		return []Recipient{c.personRecipient(target, id)}
	case config.TargetTeam:
		tm, ok := c.Team(id)
		if !ok {
			return []Recipient{unknown(target, KindTeam, id)}
		}
		var out []Recipient
		for _, m := range tm.Members {
			out = append(out, c.personRecipient(target, m.ID))
		}
		for _, ch := range tm.Channels {
			out = append(out, c.channelRecipient(target, ch))
		}
		if len(out) == 0 {
			out = append(out, Recipient{Target: target, Kind: KindTeam, ID: id, Name: tm.Name,
				Problem: fmt.Sprintf("team %s has no members and no channels", tm.Name)})
		}
		return out
	case config.TargetSchedule:
		s, ok := c.Schedule(id)
		if !ok {
			return []Recipient{unknown(target, KindSchedule, id)}
		}
		who := c.OnCall(id, t)
		if len(who) == 0 {
			return []Recipient{{Target: target, Kind: KindSchedule, ID: id, Name: s.Name,
				Problem: fmt.Sprintf("nobody is on call for %s", s.ID)}}
		}
		out := make([]Recipient, 0, len(who))
		for _, pid := range who {
			out = append(out, c.personRecipient(target, pid))
		}
		return out
	default:
		return []Recipient{c.channelRecipient(target, id)}
	}
}

func unknown(target, kind, id string) Recipient {
	return Recipient{Target: target, Kind: kind, ID: id, Name: id, Problem: fmt.Sprintf("unknown %s %q", kind, id)}
}

func (c *Catalog) personRecipient(target, id string) Recipient {
	p, ok := c.Person(id)
	if !ok {
		return unknown(target, KindPerson, id)
	}
	r := Recipient{Target: target, Kind: KindPerson, ID: id, Name: p.Name, Contacts: p.Contacts}
	if len(p.Contacts) == 0 {
		r.Problem = fmt.Sprintf("%s has no usable contact", p.Name)
	}
	return r
}

func (c *Catalog) channelRecipient(target, id string) Recipient {
	if _, ok := c.channels[id]; !ok {
		return unknown(target, KindChannel, id)
	}
	return Recipient{Target: target, Kind: KindChannel, ID: id, Name: id, Contacts: []Contact{{Channel: id}}}
}

// ServiceOnCall answers "who is on call now" for a service: the people
// the first step of its escalation policy reaches at t, and the next
// handoff of each schedule that step names.
func (c *Catalog) ServiceOnCall(serviceID string, t time.Time) (now []string, next []Shift) {
	return c.serviceOnCall(serviceID, t, true)
}

// OnCallNow is the first half of ServiceOnCall: the ids of the people the
// first step of the service's escalation policy reaches at t.
func (c *Catalog) OnCallNow(serviceID string, t time.Time) []string {
	now, _ := c.serviceOnCall(serviceID, t, false)
	return now
}

func (c *Catalog) serviceOnCall(serviceID string, t time.Time, withNext bool) (now []string, next []Shift) {
	p, ok := c.PolicyFor(serviceID)
	if !ok || len(p.Steps) == 0 {
		return nil, nil
	}
	for _, target := range p.Steps[0].Notify {
		for _, r := range c.Recipients(target, t) {
			if r.Kind == KindPerson && !slices.Contains(now, r.ID) {
				now = append(now, r.ID)
			}
		}
		if kind, id, err := config.ParseTarget(target); withNext && err == nil && kind == config.TargetSchedule {
			if sh, ok := c.Next(id, t); ok {
				next = append(next, sh)
			}
		}
	}
	return now, next
}

// Hosts returns every host, in config order.
func (c *Catalog) Hosts() []config.Host { return c.hosts }

// Components returns every component, in config order.
func (c *Catalog) Components() []config.Component { return c.components }

// Host returns the host with the given id.
func (c *Catalog) Host(id string) (config.Host, bool) {
	i := slices.IndexFunc(c.hosts, func(h config.Host) bool { return h.ID == id })
	if i < 0 {
		return config.Host{}, false
	}
	return c.hosts[i], true
}

// Component returns the component with the given id.
func (c *Catalog) Component(id string) (config.Component, bool) {
	i := slices.IndexFunc(c.components, func(h config.Component) bool { return h.ID == id })
	if i < 0 {
		return config.Component{}, false
	}
	return c.components[i], true
}

// DependentsOf returns the services that name entry (a service id,
// "host:ID" or "component:ID") in their depends_on, directly.
func (c *Catalog) DependentsOf(entry string) []string { return c.dependents[entry] }

// AllDependencies returns everything the service needs, directly or
// through other services, nearest first, each once: service ids and
// "host:ID" and "component:ID" entries.
func (c *Catalog) AllDependencies(serviceID string) []string {
	var out []string
	seen := map[string]bool{serviceID: true}
	queue := []string{serviceID}
	for len(queue) > 0 {
		s, ok := c.Service(queue[0])
		queue = queue[1:]
		if !ok {
			continue
		}
		for _, d := range s.DependsOn {
			if seen[d] {
				continue
			}
			seen[d] = true
			out = append(out, d)
			if kind, _ := config.ParseDependency(d); kind == config.DependService {
				queue = append(queue, d)
			}
		}
	}
	return out
}

// AllDependents returns the services that need entry (a service id,
// "host:ID" or "component:ID"), directly or through other services,
// nearest first, each once.
func (c *Catalog) AllDependents(entry string) []string {
	var out []string
	seen := map[string]bool{entry: true}
	queue := []string{entry}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		for _, s := range c.dependents[e] {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
				queue = append(queue, s)
			}
		}
	}
	return out
}

// Warnings returns what leaves a service without anyone to call: a
// service with no owner, a service with no escalation policy, a person a
// policy can page who has no usable contact. In config order, services
// first.
func (c *Catalog) Warnings() []Warning { return c.warnings }

// CountWarnings returns how many warnings there are of the kind.
func (c *Catalog) CountWarnings(kind string) int {
	n := 0
	for _, w := range c.warnings {
		if w.Kind == kind {
			n++
		}
	}
	return n
}

func (c *Catalog) buildWarnings(cfg *config.Config) []Warning {
	var out []Warning
	for _, s := range c.services {
		if len(s.Owners) == 0 {
			out = append(out, Warning{Kind: WarnServiceNoOwner, ID: s.ID,
				Message: fmt.Sprintf("service %q has no owner: nobody is named as responsible for it", s.ID)})
		}
		if _, ok := c.Policy(s.Policy); !ok {
			out = append(out, Warning{Kind: WarnServiceNoPolicy, ID: s.ID,
				Message: fmt.Sprintf("service %q has no escalation policy (neither its own nor its first owning team's): nobody is paged for it, only its channels are told", s.ID)})
		}
	}
	// Everyone a policy can page: named, in a named team, or in a named
	// schedule's layers or overrides.
	reach := map[string][]string{}
	seen := map[[2]string]bool{}
	add := func(pid, policy string) {
		if !seen[[2]string{pid, policy}] {
			seen[[2]string{pid, policy}] = true
			reach[pid] = append(reach[pid], policy)
		}
	}
	for _, p := range c.policies {
		for _, st := range p.Steps {
			for _, target := range st.Notify {
				kind, id, err := config.ParseTarget(target)
				if err != nil {
					continue
				}
				switch kind {
				case config.TargetPerson:
					add(id, p.ID)
				case config.TargetTeam:
					if t, ok := c.Team(id); ok {
						for _, m := range t.Members {
							add(m.ID, p.ID)
						}
					}
				case config.TargetSchedule:
					if s, ok := cfg.Schedule(id); ok {
						for _, ly := range s.Layers {
							for _, m := range ly.Members {
								add(m, p.ID)
							}
						}
						for _, o := range s.Overrides {
							add(o.Person, p.ID)
						}
					}
				}
			}
		}
	}
	for _, p := range cfg.People {
		for _, r := range p.Contacts {
			if ch, ok := c.channels[r.Channel]; ok && ch.Type == "email" && p.Email == "" {
				out = append(out, Warning{Kind: WarnContactNoAddress, ID: p.ID,
					Message: fmt.Sprintf("person %q: contact %q is an email channel, and they have no email address, so it reaches nobody", p.ID, r.Channel)})
			}
		}
	}
	for _, p := range c.people {
		policies, ok := reach[p.ID]
		if !ok || len(p.Contacts) > 0 {
			continue
		}
		why := "no contacts and no email address"
		if p.Email != "" {
			why = "no contacts and no email channel"
		}
		out = append(out, Warning{Kind: WarnPersonNoContact, ID: p.ID,
			Message: fmt.Sprintf("person %q has no usable contact (%s), and escalation policy %s can page them: such a step escalates onward", p.ID, why, quoteList(policies))})
	}
	return out
}

func quoteList(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = fmt.Sprintf("%q", id)
	}
	return strings.Join(q, ", ")
}

// ServiceWarnings returns, in words, what may keep the service's pages
// from reaching anyone at t: the service's own warnings, then every
// problem of a recipient on its escalation path at t (a person with no
// usable contact, a schedule with nobody on call), each once.
func (c *Catalog) ServiceWarnings(serviceID string, t time.Time) []string {
	var out []string
	add := func(s string) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, w := range c.warnings {
		if w.ID == serviceID && (w.Kind == WarnServiceNoOwner || w.Kind == WarnServiceNoPolicy) {
			add(w.Message)
		}
	}
	_, steps, _ := c.Path(serviceID, t)
	for i, st := range steps {
		for _, r := range st.Recipients {
			if r.Problem != "" {
				add(fmt.Sprintf("step %d (%s): %s", i+1, r.Target, r.Problem))
			}
		}
	}
	return out
}

// People returns every person, in config order.
func (c *Catalog) People() []Person { return c.people }

// Teams returns every team, in config order.
func (c *Catalog) Teams() []Team { return c.teams }
