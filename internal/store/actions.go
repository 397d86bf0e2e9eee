package store

import (
	"context"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
)

// Follow-up action statuses. Open and in progress actions are still to
// do; done and won't do are finished.
const (
	ActionOpen       = "open"
	ActionInProgress = "in_progress"
	ActionDone       = "done"
	ActionWontDo     = "wont_do"
)

// FollowUpStatuses are the statuses of a follow-up action, in order.
var FollowUpStatuses = []string{ActionOpen, ActionInProgress, ActionDone, ActionWontDo}

// FollowUpPriorities are the priorities of a follow-up action.
var FollowUpPriorities = []string{"high", "medium", "low"}

// FollowUpTypes are the kinds of follow-up action: finding the problem
// sooner, fixing it, or keeping it from happening again.
var FollowUpTypes = []string{"detective", "corrective", "preventive"}

// Listing filters of FollowUpFilter.Status.
const (
	FollowUpsOpen    = "open"    // open or in progress
	FollowUpsOverdue = "overdue" // open or in progress, and past due
	FollowUpsDone    = "done"    // done or won't do
	FollowUpsAll     = "all"
)

// DateLayout is how a follow-up action's due date is written.
const DateLayout = "2006-01-02"

// FollowUp is one follow-up action of an incident's postmortem.
type FollowUp struct {
	ID         int64
	IncidentID int64
	Title      string
	// Owner is a person id of the catalog or free text (a name).
	Owner string
	// Due is the due date (DateLayout), "" for none. The action is due
	// by the end of that day in Timezone (an IANA name, default UTC): the
	// owner's timezone when the owner is a person who has one.
	Due      string
	Timezone string
	// Priority is high, medium or low; Type detective, corrective or
	// preventive; Status one of FollowUpStatuses.
	Priority, Type, Status string
	// Link points to the ticket or change that carries the work.
	Link                 string
	CreatedBy, UpdatedBy string
	CreatedAt, UpdatedAt time.Time
	// DoneAt is when it became done or won't do; zero while it is not.
	DoneAt time.Time
	// RemindedDueAt is when the owner was last told the action is
	// coming due, RemindedOverdueAt when last told it is overdue; zero
	// for never. A change of the due date clears both.
	RemindedDueAt, RemindedOverdueAt time.Time
}

// Deadline is the instant the action is due: the end of its due day in
// its timezone; zero when it has no due date or a bad one.
func (f FollowUp) Deadline() time.Time {
	if f.Due == "" {
		return time.Time{}
	}
	loc := time.UTC
	if f.Timezone != "" {
		l, err := time.LoadLocation(f.Timezone)
		if err != nil {
			return time.Time{}
		}
		loc = l
	}
	d, err := time.ParseInLocation(DateLayout, f.Due, loc)
	if err != nil {
		return time.Time{}
	}
	return d.AddDate(0, 0, 1).UTC()
}

// Finished reports whether the action is done or won't be done.
func (f FollowUp) Finished() bool { return f.Status == ActionDone || f.Status == ActionWontDo }

// FollowUpPatch changes some fields of an action: nil leaves one as it is.
type FollowUpPatch struct {
	Title, Owner, Due, Timezone, Priority, Type, Status, Link *string
}

// FollowUpFilter selects actions: Status is one of FollowUpsOpen,
// FollowUpsOverdue, FollowUpsDone, FollowUpsAll ("" is all); Owner, when
// set, keeps one owner's; IncidentID, when set, one incident's. Listings
// are newest first, paged by id.
type FollowUpFilter struct {
	Status     string
	Owner      string
	IncidentID int64
	Page       Page
}

// Reminder kinds of FollowUpReminder.
const (
	ReminderDue     = "due"
	ReminderOverdue = "overdue"
)

// FollowUpReminder is one reminder sent about an action: its kind, when,
// and the notifications that carry it.
type FollowUpReminder struct {
	ActionID int64
	Kind     string
	At       time.Time
	// Last is when the previous reminder of this kind was sent, as the
	// sender read it (zero for none): if another process recorded one
	// meanwhile, this one is refused, so each reminder goes once.
	Last   time.Time
	Outbox []notify.OutboxMessage
}

// FollowUps keeps the follow-up actions of incidents.
type FollowUps interface {
	// CreateFollowUp stores a new action (status open unless given) by
	// who; EINVALID for a missing title, an unknown priority, type or
	// status, a bad due date, timezone or link; ENOTFOUND for no such
	// incident.
	CreateFollowUp(ctx context.Context, f FollowUp, by string) (FollowUp, error)
	// UpdateFollowUp changes the fields p sets; EINVALID as for
	// CreateFollowUp, ENOTFOUND for no such action. Moving to done or
	// won't do sets DoneAt; moving back clears it.
	UpdateFollowUp(ctx context.Context, id int64, p FollowUpPatch, by string) (FollowUp, error)
	// FollowUp returns one action; ENOTFOUND.
	FollowUp(ctx context.Context, id int64) (FollowUp, error)
	// FollowUpList lists actions matching f, newest first; EINVALID for
	// an unknown status filter. Overdue means due before now.
	FollowUpList(ctx context.Context, f FollowUpFilter) ([]FollowUp, error)
	// FollowUpsDueBy lists the unfinished actions due before until,
	// soonest first, at most limit: those a reminder may be due for.
	FollowUpsDueBy(ctx context.Context, until time.Time, limit int) ([]FollowUp, error)
	// RecordFollowUpReminder stores that a reminder was sent, and queues
	// its notifications, in one transaction; a notification already
	// queued (same id and channel) is not queued again. ENOTFOUND for no
	// such action, EINVALID for an unknown kind, ECONFLICT when the last
	// reminder of that kind is no longer r.Last.
	RecordFollowUpReminder(ctx context.Context, r FollowUpReminder) error
}
