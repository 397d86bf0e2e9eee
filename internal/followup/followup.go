// Package followup reminds the owners of follow-up actions: a while
// before an action's due date, when it becomes overdue, and then at most
// once per period until it is done. Due is the pure decision; Runner
// applies it to what the store holds, queuing the reminders in the
// outbox together with the record that they were sent, so a restart
// neither loses nor repeats one.
package followup

import (
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// Policy says when owners are reminded.
type Policy struct {
	// Before is how long before the deadline the owner is reminded; 0
	// sends no reminder before it.
	Before time.Duration
	// Every is the least time between two overdue reminders.
	Every time.Duration
}

// Reminder is one reminder due about an action.
type Reminder struct {
	Kind string // store.ReminderDue or store.ReminderOverdue
	// Key names this reminder among all of the action's: the same key
	// means the same reminder, so its notifications are queued once.
	Key string
}

// Due returns the reminder due about a at now under p, if any. A
// finished action, or one without a due date, gets none. An overdue
// action gets an overdue reminder when it has had none for its current
// due date or the last is at least p.Every old; an action due within
// p.Before gets one due reminder.
func Due(a store.FollowUp, now time.Time, p Policy) (Reminder, bool) {
	deadline := a.Deadline()
	if a.Finished() || deadline.IsZero() {
		return Reminder{}, false
	}
	if !now.Before(deadline) {
		every := max(p.Every, time.Minute)
		if !a.RemindedOverdueAt.IsZero() && now.Sub(a.RemindedOverdueAt) < every {
			return Reminder{}, false
		}
		n := int64(now.Sub(deadline) / every)
		return Reminder{Kind: store.ReminderOverdue, Key: fmt.Sprintf("overdue-%s-%d", a.Due, n)}, true
	}
	if p.Before > 0 && a.RemindedDueAt.IsZero() && !now.Before(deadline.Add(-p.Before)) {
		return Reminder{Kind: store.ReminderDue, Key: "due-" + a.Due}, true
	}
	return Reminder{}, false
}
