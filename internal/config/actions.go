package config

import "time"

// Defaults of the reminders of follow-up actions.
const (
	DefaultActionReminderBefore = 24 * time.Hour
	DefaultActionOverdueEvery   = 24 * time.Hour
	// MinActionOverdueEvery keeps overdue reminders from becoming noise.
	MinActionOverdueEvery = time.Hour
)

// actionReminderDefaults fills in when follow-up action owners are
// reminded; an explicit 0s before the due date is kept (no reminder).
func (l *loader) actionReminderDefaults(in *Incidents) {
	setDuration(&in.ActionReminderBefore, DefaultActionReminderBefore, l.ix.has("incidents.action_reminder_before"))
	setDuration(&in.ActionOverdueEvery, DefaultActionOverdueEvery, l.ix.has("incidents.action_overdue_every"))
}

// validateActionReminders checks the reminder periods.
func (l *loader) validateActionReminders(in *Incidents) {
	if in.ActionReminderBefore < 0 {
		l.errAt("incidents.action_reminder_before", "must be 0s or more, got %s", in.ActionReminderBefore)
	}
	if in.ActionOverdueEvery.D() < MinActionOverdueEvery {
		l.errAt("incidents.action_overdue_every", "must be at least %s, got %s", Duration(MinActionOverdueEvery), in.ActionOverdueEvery)
	}
}
