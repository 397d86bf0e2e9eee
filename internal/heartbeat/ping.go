// Package heartbeat turns pings from jobs into Results: the ping API ingest,
// schedules (period and grace, cron and timezone), run tracking and the
// deadlines at which a missing ping becomes a failed Result.
package heartbeat

import (
	"context"
	"time"

	"github.com/tocsin/tocsin/internal/safetext"
)

// Limits on the text a ping carries, in bytes. Longer text is cut on a
// character boundary.
const (
	UserAgentLimit = 256
	// SourceLimit holds a client address or a mail's sender (an address
	// is at most 254 bytes).
	SourceLimit = 256
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

// cleanText makes the text fields of p storable, whichever way it came:
// valid UTF-8 without NUL bytes, cut on a character boundary at the
// limits. A client controls all of them (a User-Agent or a mail sender may
// hold any bytes), and the database refuses text that is not valid UTF-8.
// The body is bytes and is stored as it is.
func cleanText(p *Ping) {
	p.UserAgent, _ = safetext.Cut(p.UserAgent, UserAgentLimit)
	p.Source, _ = safetext.Cut(p.Source, SourceLimit)
	p.Transport = safetext.Valid(p.Transport)
	p.Method = safetext.Valid(p.Method)
	p.RunID = safetext.Valid(p.RunID)
}

// Receiver takes pings. Receive returns only once the ping is stored
// durably, so an acknowledgement to the client never loses it. It returns
// an *errs.Error with ENOTFOUND for an unknown heartbeat, EINVALID for a
// malformed ping and ERATELIMIT when the
// caller must slow down.
type Receiver interface {
	Receive(ctx context.Context, p Ping) error
}
