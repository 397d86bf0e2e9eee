// Package heartbeat turns pings from jobs into Results: the ping API ingest,
// schedules (period and grace, cron and timezone), run tracking and the
// deadlines at which a missing ping becomes a failed Result.
package heartbeat

import (
	"context"
	"time"
)

// Kind is what a ping says about a run.
type Kind string

// Ping kinds, matching the Healthchecks.io URL forms: /ping/{uuid} is
// KindSuccess, /start, /fail and /log their own kinds, and /{exit_status}
// KindExit with ExitStatus set (0 is a success, 1–255 a failure).
const (
	KindSuccess Kind = "success"
	KindStart   Kind = "start"
	KindFail    Kind = "fail"
	KindLog     Kind = "log"
	KindExit    Kind = "exit"
)

// Ping is one signal from a job, whichever way it arrived (HTTP or email).
// Exactly one of UUID or the pair PingKey+Slug names the heartbeat.
type Ping struct {
	UUID    string
	PingKey string
	Slug    string
	// Create asks for the heartbeat to be provisioned when a slug is
	// unknown (?create=1), where the configuration allows it.
	Create bool

	Kind       Kind
	ExitStatus int    // for KindExit
	RunID      string // ?rid=, pairs a start with its end

	// Body is the job's output, already cut to the body limit; Truncated
	// says whether it was cut.
	Body      []byte
	Truncated bool

	// Transport is "http" or "email"; Method is the HTTP method (or
	// "SMTP"); Source is the client address or the mail's sender.
	Transport string
	Method    string
	Source    string
	UserAgent string

	// Time is when the ping was received.
	Time time.Time
}

// Receiver takes pings. Receive returns only once the ping is stored
// durably, so an acknowledgement to the client never loses it. It returns
// an *errs.Error with ENOTFOUND for an unknown heartbeat, EINVALID for a
// malformed ping and ERATELIMIT when the
// caller must slow down.
type Receiver interface {
	Receive(ctx context.Context, p Ping) error
}
