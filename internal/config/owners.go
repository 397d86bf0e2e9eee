package config

import (
	"net/mail"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/cron"
)

// Owner kinds.
const (
	OwnerPerson = "person"
	OwnerTeam   = "team"
)

// Owner is one owner of a service, resolved from its id in
// `services.owners`: a person with their address, or a team with its
// members. Notifications, the UI and the API all show owners in this
// shape; the JSON names are part of the webhook payload.
type Owner struct {
	ID   string `json:"id"`
	Name string `json:"name"` // the id when the config gives no name
	Kind string `json:"kind"` // "person" or "team"
	// Email is a person's address, when the config has one.
	Email string `json:"email,omitempty"`
	// Members are a team's people, in the order the team lists them.
	Members []Owner `json:"members,omitempty"`
}

// ServiceOwners returns the owners of the service with the given id, in the
// order `owners` lists them, or nil when the service is unknown or has
// none. An id that names neither a person nor a team (only possible in a
// configuration that did not pass validation) is left out.
func (c *Config) ServiceOwners(serviceID string) []Owner {
	svc, ok := c.Service(serviceID)
	if !ok || serviceID == "" {
		return nil
	}
	var out []Owner
	for _, id := range svc.Owners {
		if p, ok := c.Person(id); ok {
			out = append(out, personOwner(p))
			continue
		}
		if t, ok := c.Team(id); ok {
			o := Owner{ID: t.ID, Name: orID(t.Name, t.ID), Kind: OwnerTeam}
			for _, pid := range t.Members {
				if p, ok := c.Person(pid); ok {
					o.Members = append(o.Members, personOwner(p))
				}
			}
			out = append(out, o)
		}
	}
	return out
}

func personOwner(p *Person) Owner {
	email := p.Email
	if a, err := mail.ParseAddress(email); err == nil {
		// "Alice <alice@example.com>" is a valid email too; show the
		// address, next to the name the person already has.
		email = a.Address
	}
	return Owner{ID: p.ID, Name: orID(p.Name, p.ID), Kind: OwnerPerson, Email: email}
}

func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// Location returns the timezone an email channel's mail shows times in:
// the `timezone` shared by every recipient, or nil for UTC. A recipient is
// a person when it comes from the channel's people or teams, or when an
// address in `to` is a person's email. One recipient who is not a person,
// has no timezone, or has another timezone than the rest makes it nil: a
// mail read in several places shows UTC only.
func (e *EmailConfig) Location(c *Config) *time.Location {
	recipients := e.Recipients(c)
	if len(recipients) == 0 {
		return nil
	}
	zone := ""
	for _, addr := range recipients {
		tz, ok := c.timezoneOf(addr)
		if !ok || tz == "" || (zone != "" && tz != zone) {
			return nil
		}
		zone = tz
	}
	loc, err := cron.LoadLocation(zone)
	if err != nil || loc == time.UTC {
		return nil
	}
	return loc
}

// timezoneOf returns the timezone of the people whose email is addr, and
// false when no person has it or two that do disagree.
func (c *Config) timezoneOf(addr string) (string, bool) {
	want := bareAddress(addr)
	tz, found := "", false
	for i := range c.People {
		p := &c.People[i]
		if p.Email == "" || bareAddress(p.Email) != want {
			continue
		}
		if found && p.Timezone != tz {
			return "", false
		}
		tz, found = p.Timezone, true
	}
	return tz, found
}

// bareAddress returns the address part of "Name <a@b>" or "a@b", lower
// case, so a channel's recipient matches a person's email however either is
// written.
func bareAddress(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		s = a.Address
	}
	return strings.ToLower(strings.TrimSpace(s))
}
