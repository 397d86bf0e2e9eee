package store

import (
	"context"
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
)

// Alert states. An alert is open until someone acknowledges it or every
// monitor of it recovers; snoozing is acknowledging until a time.
const (
	AlertOpen         = "open"
	AlertAcknowledged = "acknowledged"
	AlertResolved     = "resolved"
)

// Alert actions: the kinds of AlertAction, and the Kind of an AlertAct.
const (
	ActionOpened         = "opened"
	ActionJoined         = "joined"
	ActionRecovered      = "recovered"
	ActionEscalated      = "escalated"
	ActionNotified       = "notified"
	ActionProblem        = "problem"
	ActionAcknowledged   = "acknowledged"
	ActionUnacknowledged = "unacknowledged"
	ActionSnoozed        = "snoozed"
	ActionResolved       = "resolved"
)

// Timer kinds.
const (
	// TimerStep fires an escalation step (Step, Round).
	TimerStep = "step"
	// TimerContact tells one recipient through a contact rule with a
	// delay; Payload says whom.
	TimerContact = "contact"
	// TimerUpdate sends alert.updated to everyone paged so far.
	TimerUpdate = "update"
	// TimerNotify sends the event named in Payload (alert.acknowledged,
	// alert.resolved) to everyone paged so far.
	TimerNotify = "notify"
	// TimerUnsnooze ends a snooze.
	TimerUnsnooze = "unsnooze"
)

// Alert is a paged alert: one per service problem (or per monitor, as
// alerting.group_by says), with its monitors and what happened to it.
type Alert struct {
	ID int64
	// GroupKey is the service id, or "monitor:<id>".
	GroupKey  string
	ServiceID string
	PolicyID  string
	// State is AlertOpen, AlertAcknowledged or AlertResolved.
	State          string
	OpenedAt       time.Time
	AcknowledgedBy string
	AcknowledgedAt time.Time
	// SnoozedUntil is set while the acknowledgement is a snooze.
	SnoozedUntil time.Time
	ResolvedBy   string
	ResolvedAt   time.Time
	// Step is the last escalation step fired (1-based; 0 before the
	// first), in Round (0 for the first run through the policy).
	Step, Round int
	// UpdatedAt is when alert.updated was last sent; zero before.
	UpdatedAt time.Time
	Monitors  []AlertMonitor
	// Actions is the log, oldest first; only Alert fills it.
	Actions []AlertAction
}

// AlertMonitor is one monitor of an alert.
type AlertMonitor struct {
	MonitorID string
	// Status is "down", "up" (recovered) or "moved" (still failing, but
	// its own problem now: the dependency it was put down to recovered).
	Status    string
	Reason    string
	JoinedAt  time.Time
	ChangedAt time.Time
	// ImpactedBy names what the monitor's failure is put down to
	// ("service:db", "host:h1"); empty when its own.
	ImpactedBy string
}

// AlertAction is one entry of an alert's log.
type AlertAction struct {
	ID      int64
	AlertID int64
	Time    time.Time
	Kind    string
	// Who acted: "system", "user:<name>", "token:<name>",
	// "link:<person id>".
	Who         string
	Step, Round int
	// Target is the policy entry of a notification ("team:ops"),
	// Channel and Address where it went.
	Target, Channel, Address string
	Detail                   string
}

// AlertChange is what a monitor transition does to the alert of its group:
// written with the transition, in the same transaction (Batch.Alerts).
type AlertChange struct {
	GroupKey  string
	MonitorID string
	ServiceID string
	PolicyID  string
	// Down: the monitor failed (opens the group's alert or joins it);
	// otherwise it recovered (the alert resolves when all its monitors
	// have).
	Down   bool
	Time   time.Time
	Reason string
	// FirstStep is when the first escalation step of a new alert is due;
	// zero schedules none (no policy).
	FirstStep time.Time
	// UpdateEvery is the least time between two alert.updated
	// notifications of the alert (alerting.group_interval).
	UpdateEvery time.Duration
	// ImpactedBy, when set, names the dependency the failure is put down
	// to; the monitor joins that alert (GroupKey) as impacted.
	ImpactedBy string
	// Released names a dependency that recovered: the monitor, still
	// failing, leaves the active alerts it joined as impacted by it (each
	// resolves when nothing else of it is down), and the change then
	// applies as a failure (Down). When the monitor was in no such alert
	// the change does nothing.
	Released string
}

func (c AlertChange) String() string {
	what := "recovery"
	if c.Down {
		what = "failure"
	}
	return fmt.Sprintf("alert %s of monitor %q in group %q", what, c.MonitorID, c.GroupKey)
}

// AlertTimer is pending escalation work, due at DueAt.
type AlertTimer struct {
	ID      int64
	AlertID int64
	DueAt   time.Time
	Kind    string
	// Step (1-based) and Round the timer belongs to.
	Step, Round int
	// Payload is the escalator's own detail (JSON).
	Payload    string
	LeaseOwner string
	LeaseUntil time.Time
}

// TimerFiring is everything one fired timer causes, written in one
// transaction with the timer's deletion (FireTimer).
type TimerFiring struct {
	Timer AlertTimer
	// Outbox messages are inserted; one whose id and channel are already
	// stored is left as it is, so firing twice sends once.
	Outbox  []notify.OutboxMessage
	Actions []AlertAction
	// Next timers are scheduled.
	Next []AlertTimer
	// Step, when positive, becomes the alert's Step, and Round its Round.
	Step, Round int
	// UpdatedAt, when set, becomes the alert's UpdatedAt.
	UpdatedAt time.Time
	// Unsnooze ends the alert's snooze: it is open again.
	Unsnooze bool
}

// AlertAct is a person's action on an alert.
type AlertAct struct {
	// Kind is "acknowledge", "unacknowledge", "snooze" or "resolve".
	Kind string
	Who  string
	At   time.Time
	// Until ends a snooze.
	Until time.Time
	// Via says where the person acted ("the web UI", "the API"); it
	// becomes the logged action's detail. Empty says nothing.
	Via string
	// LinkHash, when set, is the hash of the one-click link used: it is
	// recorded with the action, and a link used before is refused
	// (ECONFLICT) with nothing done.
	LinkHash []byte
}

// Kinds of AlertAct.
const (
	ActAcknowledge   = "acknowledge"
	ActUnacknowledge = "unacknowledge"
	ActSnooze        = "snooze"
	ActResolve       = "resolve"
)

// Alerts keeps paged alerts, their log and the escalation timers.
// Alerts open, gain monitors and resolve through SaveBatch
// (Batch.Alerts); people act on them through Act; the escalator claims
// and fires their timers.
type Alerts interface {
	// Alert returns one alert with its monitors and log; ENOTFOUND.
	Alert(ctx context.Context, id int64) (Alert, error)
	// Alerts lists alerts newest first, paged by ID, with their monitors;
	// state "" lists all, "active" the open and acknowledged ones.
	Alerts(ctx context.Context, state string, p Page) ([]Alert, error)
	// ActiveAlert returns the alert of a group key that is not resolved;
	// ENOTFOUND when there is none.
	ActiveAlert(ctx context.Context, groupKey string) (Alert, error)
	// Act records a person's action and returns the alert after it.
	// Acknowledging stops the escalation (its timers go), unacknowledging
	// resumes it at once at the step it stopped at, snoozing acknowledges
	// until Until, resolving ends the alert. It returns ENOTFOUND for no
	// such alert, ECONFLICT for an action the alert's state does not
	// allow (acting on a resolved alert, unacknowledging an open one) or
	// a link used before, EINVALID for an unknown kind or a snooze that
	// ends before At.
	Act(ctx context.Context, alertID int64, a AlertAct) (Alert, error)
	// ClaimTimers leases up to limit due timers to owner until now+lease,
	// like the outbox's ClaimDue.
	ClaimTimers(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]AlertTimer, error)
	// FireTimer deletes f.Timer and writes what it caused, in one
	// transaction. It returns ENOTFOUND, writing nothing, when the timer
	// is gone (an acknowledgement dropped it, another replica fired it).
	FireTimer(ctx context.Context, f TimerFiring) error
	// ReleaseTimerLeases ends every timer lease held by owner.
	ReleaseTimerLeases(ctx context.Context, owner string) (int, error)
	// NextTimerDue returns when the earliest timer can be claimed.
	NextTimerDue(ctx context.Context) (time.Time, bool, error)
	// AlertTimers lists an alert's pending timers, earliest first.
	AlertTimers(ctx context.Context, alertID int64) ([]AlertTimer, error)
	// Secret returns the named server key of size bytes, generating and
	// storing it the first time (every replica reads the same one).
	Secret(ctx context.Context, name string, size int) ([]byte, error)
}
