package config

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/tocsin/tocsin/internal/cron"
)

// MaxPingBodyLimit bounds server.pings.body_limit: a ping body is a job's
// output, not a file upload.
const MaxPingBodyLimit = 10 << 20

// slugPattern is the shape of a heartbeat slug, as in Healthchecks.io.
const slugPattern = `^[a-z0-9][a-z0-9_-]{0,99}$`

var reSlug = regexp.MustCompile(slugPattern)

// ValidSlug reports whether s can be a heartbeat slug.
func ValidSlug(s string) bool { return reSlug.MatchString(s) }

// ValidUUID reports whether s is a UUID in its canonical 36-character
// form (any case).
func ValidUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// Validate checks one heartbeat on its own (references to services and
// channels, and uniqueness, are checked with the whole file). Cron
// expressions must fire at least once after now. Field is the key under
// the heartbeat.
func (h *Heartbeat) Validate(now time.Time) []FieldError {
	var out []FieldError
	add := func(field, format string, args ...any) {
		out = append(out, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case h.UUID == "":
		add("uuid", "uuid is required: it names the heartbeat in ping URLs (/ping/{uuid}); make one with `uuidgen` and keep it")
	case !ValidUUID(h.UUID):
		add("uuid", "invalid uuid %q: write 36 characters such as 9a1f0c3e-4b6d-4e8a-9c2f-1d3b5a7e9f00", h.UUID)
	}
	if h.Slug != "" && !ValidSlug(h.Slug) {
		add("slug", "invalid slug %q: it must match %s (lowercase letters, digits, '-' and '_')", h.Slug, slugPattern)
	}
	loc, locErr := cron.LoadLocation(h.Timezone)
	switch {
	case h.Cron != "" && h.Period != 0:
		add("cron", "set either period (a simple schedule) or cron, not both")
	case h.Cron != "":
		if locErr != nil {
			add("timezone", "%v", locErr)
		} else if err := cron.Check(h.Cron, loc, now); err != nil {
			if errors.Is(err, cron.ErrNeverFires) {
				add("cron", "cron expression %q never fires (is there a day that does not exist, such as 30 February?)", h.Cron)
			} else {
				add("cron", "%v", err)
			}
		}
	default:
		if h.Period <= 0 {
			add("period", "must be longer than zero, not %s", h.Period)
		} else if h.Period.D() < time.Second {
			add("period", "must be at least 1s, not %s", h.Period)
		}
		if h.Timezone != "" {
			add("timezone", "timezone applies to cron schedules only; a period is the same in every timezone")
		}
	}
	if h.Grace <= 0 {
		add("grace", "must be longer than zero, not %s", h.Grace)
	}
	if h.MaxRuntime < 0 {
		add("max_runtime", "must be longer than zero, not %s", h.MaxRuntime)
	}
	return out
}

// Heartbeat returns the heartbeat with the given id.
func (c *Config) Heartbeat(id string) (*Heartbeat, bool) {
	for i := range c.Heartbeats {
		if c.Heartbeats[i].ID == id {
			return &c.Heartbeats[i], true
		}
	}
	return nil, false
}

// ValidID reports whether s can be the id of an object.
func ValidID(s string) bool { return reID.MatchString(s) }

// HeartbeatType is the monitor type a heartbeat is evaluated as.
const HeartbeatType = "heartbeat"

// Monitor returns the monitor a heartbeat is evaluated as: the same id,
// name, service, channels and pause, thresholds of one.
func (h *Heartbeat) Monitor() Monitor {
	return Monitor{ID: h.ID, Name: h.Name, Service: h.Service, Type: HeartbeatType, Channels: h.Channels,
		Paused: h.Paused, FailureThreshold: 1, SuccessThreshold: 1, Interval: h.Period, Timeout: h.Grace}
}
