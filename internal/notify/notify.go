// Package notify delivers notifications: the Notifier interface, the channel
// implementations (webhook, email) and the durable outbox dispatcher that
// claims due messages from the store, sends them, retries with backoff and
// records every attempt.
package notify

import (
	"context"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
)

// Event is one notification, in the shape of the webhook payload documented
// in ARCHITECTURE.md. It is rendered once, stored in the outbox, and every
// channel type renders its own format from it. ID is unique per
// notification and the same on every retry.
type Event struct {
	ID          string `json:"id"`
	Event       string `json:"event"` // monitor.down, monitor.up, monitor.warning, ...
	MonitorID   string `json:"monitor_id"`
	MonitorName string `json:"monitor_name,omitempty"`
	ServiceID   string `json:"service_id"`
	ServiceName string `json:"service_name,omitempty"`
	// ServiceDescription is the service's `description`, when it has one.
	ServiceDescription string `json:"service_description,omitempty"`
	// Owners are the service's owners, resolved to names and addresses;
	// empty when the monitor has no service or the service no owners.
	Owners         []catalog.Owner `json:"owners"`
	Status         string          `json:"status"` // the monitor status after the transition
	PreviousStatus string          `json:"previous_status,omitempty"`
	Reason         string          `json:"reason"`
	// Flapping says whether the monitor is flapping after the transition;
	// for monitor.flapping it tells a start (true) from a stop (false).
	Flapping bool      `json:"flapping"`
	Time     time.Time `json:"time"` // RFC 3339, UTC
	// URL links to the monitor's page in the UI, when server.base_url is known.
	URL string `json:"url,omitempty"`

	// The fields below are set on the events of paged alerts (alert.*).

	// AlertID is the paged alert the event is about.
	AlertID int64 `json:"alert_id,omitempty"`
	// AckURL is a one-click link that acknowledges the alert, signed for
	// the recipient and expiring; empty when server.base_url is unknown.
	AckURL string `json:"ack_url,omitempty"`
	// EscalationStep is the policy step (1-based) that paged.
	EscalationStep int `json:"escalation_step,omitempty"`
	// Recipient is whom the step addressed: "person:ana", "team:ops",
	// "channel:ops-room".
	Recipient string `json:"recipient,omitempty"`
	// Runbook is the service's runbook, a URL or a short text.
	Runbook string `json:"runbook,omitempty"`
	// Monitors are the alert's monitors with their status.
	Monitors []AlertMonitor `json:"monitors,omitempty"`
	// To, when set, replaces the channel's own destination: a person's
	// own address on an email channel.
	To string `json:"to,omitempty"`
	// By names who acknowledged or resolved, for those events.
	By string `json:"by,omitempty"`

	// The fields below are set on the events of incidents (incident.*);
	// Status is then the incident's state and Reason its title.

	// IncidentID is the incident the event is about.
	IncidentID int64 `json:"incident_id,omitempty"`
	// Severity is the incident's severity id.
	Severity string `json:"severity,omitempty"`
	// Message is what a person wrote: the message of the incident update
	// or the reason of the state change the event is about.
	Message string `json:"message,omitempty"`

	// The fields below are set on reminders of follow-up actions
	// (action.*); Reason is then the action's title, Status its status.

	// ActionID is the follow-up action the reminder is about.
	ActionID int64 `json:"action_id,omitempty"`
	// Due is the action's due date (YYYY-MM-DD, in the owner's timezone).
	Due string `json:"due,omitempty"`

	// Public is set on the events of status page subscriptions
	// (status.*), sent to the public: the mails and webhooks built from
	// them read nothing else.
	Public *PublicUpdate `json:"public,omitempty"`

	// Digest is set on a digest (event "digest"): the monitor events of
	// one channel sent together. Reason then sums them up.
	Digest *DigestBody `json:"digest,omitempty"`
}

// The events of status page subscriptions, sent to subscribers (To)
// whatever a channel's `events` list says.
const (
	EventStatusConfirm = "status.confirm"
	EventStatusUpdate  = "status.update"
)

// PublicUpdate is what a status page subscriber is told: only what the
// public page shows, and the links.
type PublicUpdate struct {
	// Page is the status page's title; Slug its path segment; PageURL
	// its address.
	Page    string `json:"page"`
	Slug    string `json:"slug"`
	PageURL string `json:"page_url"`
	// Affected names the page's components the incident touches, as
	// the page names them (never the incident's internal title); empty
	// on a confirmation.
	Affected string `json:"affected,omitempty"`
	// Status and Message are the update's (investigating, identified,
	// monitoring, resolved).
	Status  string    `json:"status,omitempty"`
	Message string    `json:"message,omitempty"`
	Time    time.Time `json:"time"`
	// ConfirmURL is the double opt-in link of a confirmation mail.
	ConfirmURL string `json:"confirm_url,omitempty"`
	// UnsubscribeURL ends the subscription in one click.
	UnsubscribeURL string `json:"unsubscribe_url,omitempty"`
}

// AlertMonitor is one monitor of a paged alert, as its events list it.
type AlertMonitor struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	// ImpactedBy names the dependency its failure is put down to.
	ImpactedBy string `json:"impacted_by,omitempty"`
}

// Notifier sends one event to one destination. retry says whether a failure
// is worth trying again (a 5xx or timeout is; a 4xx or a bad address is not).
type Notifier interface {
	Notify(ctx context.Context, e Event) (retry bool, err error)
}

// Event names. A channel's `events` list selects among these.
const (
	EventMonitorDown     = "monitor.down"
	EventMonitorUp       = "monitor.up"
	EventMonitorWarning  = "monitor.warning"
	EventMonitorFlapping = "monitor.flapping"

	// The events of paged alerts, sent to whom an escalation policy
	// pages (whatever a channel's `events` list says).
	EventAlertOpened       = "alert.opened"
	EventAlertEscalated    = "alert.escalated"
	EventAlertUpdated      = "alert.updated"
	EventAlertAcknowledged = "alert.acknowledged"
	EventAlertResolved     = "alert.resolved"

	// The reminders of follow-up actions, sent to the action's owner
	// (whatever a channel's `events` list says).
	EventActionDue     = "action.due"
	EventActionOverdue = "action.overdue"
)

// AlertEventNames returns the events of paged alerts, in order.
func AlertEventNames() []string {
	return []string{EventAlertOpened, EventAlertEscalated, EventAlertUpdated, EventAlertAcknowledged, EventAlertResolved}
}

// EventNames returns every event a channel can subscribe to, in the order
// the documentation presents them. The slice is new on every call.
func EventNames() []string {
	return []string{EventMonitorDown, EventMonitorUp, EventMonitorWarning, EventMonitorFlapping}
}

// Outbox message states and attempt outcomes.
const (
	StatePending = "pending" // waiting for its next attempt
	StateSent    = "sent"    // delivered; final
	StateFailed  = "failed"  // given up; final

	OutcomeSent   = "sent"   // the attempt delivered the message
	OutcomeRetry  = "retry"  // the attempt failed and another will follow
	OutcomeFailed = "failed" // the attempt failed and was the last one
)

// OutboxMessage is one notification for one channel, persisted before any
// attempt to send it. The outbox is this package's stage of the pipeline,
// so its rows are declared here; the store keeps them (store.Outbox) and
// imports this package for them, never the other way round.
type OutboxMessage struct {
	// ID is the notification id (Event.ID); unique per channel.
	ID      string
	Channel string
	Event   Event
	// State is "pending", "sent" or "failed" (gave up).
	State string
	// Attempts counts the attempts recorded so far.
	Attempts    int
	NextAttempt time.Time
	LastError   string
	CreatedAt   time.Time
	// Seq is the store's row number of the message, increasing with
	// creation; listings page by it (store.Page.Before). 0 when unknown.
	Seq int64
}

// Messages returns the outbox messages that carry ev to channels: one per
// channel, in order, pending and due at ev.Time, or nil when channels is
// empty. Each gets its own id from newID, set as its Event.ID too: the
// notification id a receiver sees on every retry.
func Messages(ev Event, channels []string, newID func() string) []OutboxMessage {
	var out []OutboxMessage
	for _, ch := range channels {
		e := ev
		e.ID = newID()
		out = append(out, OutboxMessage{
			ID:          e.ID,
			Channel:     ch,
			Event:       e,
			State:       StatePending,
			NextAttempt: ev.Time,
			CreatedAt:   ev.Time,
		})
	}
	return out
}

// Attempt is one try at sending an outbox message, as the store records it.
type Attempt struct {
	ID        int64
	MessageID string
	Channel   string
	MonitorID string
	Event     string
	Time      time.Time
	Duration  time.Duration
	// Error is "" on success.
	Error string
	// Outcome is "sent", "retry" or "failed".
	Outcome string
}

// AttemptRecord is an attempt and, for a retry, when the message is due
// again (zero: now).
type AttemptRecord struct {
	Attempt
	Next time.Time
}

// Outbox is the part of the store the dispatcher needs. It is declared here,
// not in the store package, because the store depends on this one for the
// message types; store.Outbox embeds it, so every store implements it.
type Outbox interface {
	// ClaimDue returns up to limit pending messages whose NextAttempt is
	// not after now, leasing them to owner until now+lease so no other
	// replica sends them meanwhile. A message whose lease expired without
	// a recorded attempt is claimable again. A message the store cannot
	// read back (its event does not decode) is given up in the store
	// instead — State "failed", LastError saying why — and returned with
	// that State so the caller counts it; it is not to be sent.
	ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]OutboxMessage, error)
	// RecordAttempt stores an attempt and moves its message: Outcome "sent"
	// and "failed" end it; "retry" makes it pending again at next. It
	// returns EINVALID when the database refuses the attempt (text it does
	// not take, in the error).
	RecordAttempt(ctx context.Context, a Attempt, next time.Time) error
	// ClaimDueExcept is ClaimDue leaving out the messages of the channels
	// in skip: those that already have as many messages in hand as they
	// may send at once.
	ClaimDueExcept(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, skip []string) ([]OutboxMessage, error)
	// RecordAttempts records attempts as RecordAttempt does, all in one
	// transaction: either every one is stored or none is. An attempt at a
	// message that does not exist is left out. It returns EINVALID when
	// the database refuses one of them; the caller splits the batch to
	// find it.
	RecordAttempts(ctx context.Context, as []AttemptRecord) error
	// OutboxDepth counts pending messages.
	OutboxDepth(ctx context.Context) (int, error)
	// NextDue returns the earliest NextAttempt of a pending message.
	NextDue(ctx context.Context) (t time.Time, ok bool, err error)
	// ReleaseLeases ends every lease held by owner and returns how many
	// there were. A process calls it as it starts: leases under its own
	// name belong to sends that died with its previous run.
	ReleaseLeases(ctx context.Context, owner string) (int, error)
}
