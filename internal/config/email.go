package config

import (
	"net/mail"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/cron"
)

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
