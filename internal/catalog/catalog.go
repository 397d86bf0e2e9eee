// Package catalog is the read model of who runs what: services with their
// owners resolved to people and teams, and the people and teams
// themselves. It is built from a validated *config.Config once per
// configuration and never changes after; the UI, the API and
// notifications read owners from it rather than resolving ids themselves.
// It also answers who is on call (through internal/oncall), whom an
// escalation target reaches at an instant, and what is missing (Warnings).
// It imports only config and oncall: nothing the catalog depends on may
// import it.
package catalog

import (
	"slices"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

// Service is a service as people see it.
type Service struct {
	ID string
	// Name is the service's name, or its id when the config gives none.
	Name        string
	Description string
	// Owners are resolved from `owners`, in that order.
	Owners []Owner
	// Channels are the ids of the channels notified for its monitors.
	Channels []string
	// Runbook is a URL or a short text; Tier is 1 to 4, 0 when unset.
	Runbook string
	Tier    int
	// Contacts are free-text ways to reach people outside Tocsin.
	Contacts []string
	// DependsOn lists what the service needs, as written: service ids,
	// "host:ID" and "component:ID".
	DependsOn []string
	// Dependents are the ids of the services that name this one in their
	// depends_on, in config order.
	Dependents []string
	// Policy is the id of the escalation policy that pages for it: its
	// own, else its first owning team's; "" when none.
	Policy string
	Tags   []string
	// Monitors and Heartbeats are the ids of those of the configuration
	// that belong to the service.
	Monitors   []string
	Heartbeats []string
}

// Person is someone who can own a service or be in a team.
type Person struct {
	ID string
	// Name is the person's name, or their id when the config gives none.
	Name string
	// Email is the bare address, without a display name.
	Email string
	// Timezone is an IANA name, "" for UTC.
	Timezone string
	// Teams are the ids of the teams the person is in, in config order.
	Teams []string
	// Phone is free text, shown to people.
	Phone string
	// Contacts are how a page reaches the person, resolved from their
	// contact rules (or the first email channel when they have none); empty
	// when nothing can reach them.
	Contacts []Contact
}

// Team is a named group of people.
type Team struct {
	ID string
	// Name is the team's name, or its id when the config gives none.
	Name string
	// Members are the team's people, in the order the team lists them.
	Members []Owner
	// Channels are the team's own rooms; Policy its default escalation
	// policy ("" for none).
	Channels []string
	Policy   string
}

// Catalog is the read model of one configuration. It is safe for
// concurrent use because nothing changes it after New; callers must not
// modify the slices it hands out.
type Catalog struct {
	services []Service
	people   []Person
	teams    []Team
	service  map[string]int
	person   map[string]int
	team     map[string]int

	channels   map[string]config.Channel
	policies   []config.EscalationPolicy
	policy     map[string]int
	schedules  []Schedule
	schedule   map[string]int
	hosts      []config.Host
	components []config.Component
	// dependents maps a depends_on entry ("erp", "host:db1") to the
	// services naming it, in config order.
	dependents map[string][]string
	warnings   []Warning
}

// New builds the catalog of cfg; a nil cfg gives an empty catalog. Ids
// that name nothing (only possible in a configuration that did not pass
// validation) are left out.
func New(cfg *config.Config) *Catalog {
	c := &Catalog{service: map[string]int{}, person: map[string]int{}, team: map[string]int{},
		channels: map[string]config.Channel{}, policy: map[string]int{}, schedule: map[string]int{},
		dependents: map[string][]string{}}
	if cfg == nil {
		return c
	}
	for _, ch := range cfg.Channels {
		if _, dup := c.channels[ch.ID]; !dup {
			c.channels[ch.ID] = ch
		}
	}
	for i := range cfg.People {
		p := &cfg.People[i]
		if _, dup := c.person[p.ID]; dup {
			continue
		}
		o := personOwner(p)
		c.person[p.ID] = len(c.people)
		c.people = append(c.people, Person{ID: p.ID, Name: o.Name, Email: o.Email, Timezone: p.Timezone,
			Phone: p.Phone, Contacts: c.contactsOf(cfg, p, o.Email)})
	}
	for i := range cfg.Teams {
		t := &cfg.Teams[i]
		if _, dup := c.team[t.ID]; dup {
			continue
		}
		o := teamOwner(cfg, t)
		c.team[t.ID] = len(c.teams)
		c.teams = append(c.teams, Team{ID: t.ID, Name: o.Name, Members: o.Members, Channels: t.Channels, Policy: t.EscalationPolicy})
		for _, m := range o.Members {
			p := &c.people[c.person[m.ID]]
			if !slices.Contains(p.Teams, t.ID) {
				p.Teams = append(p.Teams, t.ID)
			}
		}
	}
	for i := range cfg.Services {
		s := &cfg.Services[i]
		if _, dup := c.service[s.ID]; dup || s.ID == "" {
			continue
		}
		c.service[s.ID] = len(c.services)
		c.services = append(c.services, Service{ID: s.ID, Name: orID(s.Name, s.ID), Description: s.Description,
			Owners: owners(cfg, s.Owners), Channels: s.Channels, Runbook: s.Runbook, Tier: s.Tier,
			Contacts: s.Contacts, DependsOn: s.DependsOn, Policy: cfg.ServicePolicy(s), Tags: s.Tags})
		for _, d := range s.DependsOn {
			if n := len(c.dependents[d]); n == 0 || c.dependents[d][n-1] != s.ID {
				c.dependents[d] = append(c.dependents[d], s.ID)
			}
		}
	}
	for i := range c.services {
		c.services[i].Dependents = c.dependents[c.services[i].ID]
	}
	for _, m := range cfg.Monitors {
		if i, ok := c.service[m.Service]; ok && m.Service != "" {
			c.services[i].Monitors = append(c.services[i].Monitors, m.ID)
		}
	}
	for _, h := range cfg.Heartbeats {
		if i, ok := c.service[h.Service]; ok && h.Service != "" {
			c.services[i].Heartbeats = append(c.services[i].Heartbeats, h.ID)
		}
	}
	c.buildOncall(cfg)
	return c
}

// Services returns every service, in config order.
func (c *Catalog) Services() []Service { return c.services }

// Service returns the service with the given id.
func (c *Catalog) Service(id string) (Service, bool) {
	i, ok := c.service[id]
	if !ok {
		return Service{}, false
	}
	return c.services[i], true
}

// Person returns the person with the given id.
func (c *Catalog) Person(id string) (Person, bool) {
	i, ok := c.person[id]
	if !ok {
		return Person{}, false
	}
	return c.people[i], true
}

// Team returns the team with the given id.
func (c *Catalog) Team(id string) (Team, bool) {
	i, ok := c.team[id]
	if !ok {
		return Team{}, false
	}
	return c.teams[i], true
}

// OwnedBy returns the services a person or a team owns, in config order:
// for a team, those whose owners name it; for a person, those whose owners
// name them or a team they are in. An unknown id owns nothing.
func (c *Catalog) OwnedBy(id string) []Service {
	var who []string
	if p, ok := c.Person(id); ok {
		who = append([]string{id}, p.Teams...)
	} else if _, ok := c.Team(id); ok {
		who = []string{id}
	}
	var out []Service
	for _, s := range c.services {
		if slices.ContainsFunc(s.Owners, func(o Owner) bool { return slices.Contains(who, o.ID) }) {
			out = append(out, s)
		}
	}
	return out
}

// Contact is one way to reach a recipient: a channel, told After the page
// when the alert is still unacknowledged then. Address, when set, replaces
// the channel's own destination (a person's email address on an email
// channel).
type Contact struct {
	Channel string
	After   time.Duration
	Address string
}

// Recipient is whom one escalation target reaches at an instant: a
// "person:ID", "team:ID", "schedule:ID" or "channel:ID" resolves to one
// Recipient per person reached (a team's members, a schedule's people on
// call), plus one per team channel or named channel. Problem is set, and
// Contacts empty, when the recipient cannot be reached ("ana has no
// usable contact", "nobody is on call for tech-support"): such a step is
// loud, and escalates onward.
type Recipient struct {
	// Target is the policy entry this recipient came from ("team:ops").
	Target string
	// Kind is "person" or "channel"; ID and Name name it.
	Kind     string
	ID       string
	Name     string
	Contacts []Contact
	Problem  string
}
