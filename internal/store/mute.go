package store

import (
	"context"
	"time"
)

// MaintenanceWindow is a maintenance window created at run time (UI, API
// or CLI). The match lists select monitors as the configuration's
// `maintenance.match` does. A one-off window has no Cron and covers
// StartsAt to EndsAt; a recurring one opens at each Cron time read in
// Timezone and lasts Duration, between StartsAt and EndsAt, where a zero
// EndsAt means until someone ends it.
type MaintenanceWindow struct {
	ID         int64
	Reason     string
	Services   []string
	Monitors   []string
	Hosts      []string
	Components []string
	Tags       []string
	StartsAt   time.Time
	EndsAt     time.Time
	Cron       string
	Duration   time.Duration
	// Timezone is the IANA name Cron is read in; "" is UTC.
	Timezone  string
	CreatedBy string
	CreatedAt time.Time
	// EndedBy is who ended the window early (EndsAt is then when); empty
	// otherwise.
	EndedBy string
}

// SilenceMatcher is one condition of a silence: Name Op Value.
type SilenceMatcher struct {
	Name  string `json:"name"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// Silence mutes the monitors all its matchers match, from StartsAt until
// EndsAt.
type Silence struct {
	ID        int64
	Matchers  []SilenceMatcher
	Reason    string
	CreatedBy string
	CreatedAt time.Time
	StartsAt  time.Time
	EndsAt    time.Time
	// ExpiredBy is who expired the silence early (EndsAt is then when);
	// empty otherwise.
	ExpiredBy string
	// RemindedExpiry and RemindedUse record that the creator was told the
	// silence is about to expire, and that it held back a notification.
	RemindedExpiry bool
	RemindedUse    bool
}

// Reminders a silence's creator receives, for MarkSilenceReminded.
const (
	ReminderExpiry = "expiry"
	ReminderUse    = "use"
)

// Mutes keeps the maintenance windows and silences created at run time.
// Listings return those still in force or upcoming at since, and those
// that ended after it, oldest start first.
type Mutes interface {
	// AddMaintenance stores a window; the store sets ID and CreatedAt.
	AddMaintenance(ctx context.Context, w MaintenanceWindow) (MaintenanceWindow, error)
	// MaintenanceWindows lists windows ending after since, and recurring
	// ones not yet ended.
	MaintenanceWindows(ctx context.Context, since time.Time) ([]MaintenanceWindow, error)
	// MaintenanceWindow returns one window; ENOTFOUND when there is none.
	MaintenanceWindow(ctx context.Context, id int64) (MaintenanceWindow, error)
	// EndMaintenance ends a window now, recording who did; ENOTFOUND when
	// there is no such window, ECONFLICT when it has already ended. A
	// window that has not begun yet is cancelled: it starts and ends now.
	// A recurring window's recurrence ends now, cutting an opening under
	// way.
	EndMaintenance(ctx context.Context, id int64, by string) (MaintenanceWindow, error)

	// AddSilence stores a silence; the store sets ID and CreatedAt.
	AddSilence(ctx context.Context, s Silence) (Silence, error)
	// Silences lists silences ending after since.
	Silences(ctx context.Context, since time.Time) ([]Silence, error)
	// Silence returns one silence; ENOTFOUND when there is none.
	Silence(ctx context.Context, id int64) (Silence, error)
	// ExpireSilence ends a silence now, recording who did; ENOTFOUND when
	// there is no such silence, ECONFLICT when it has already ended. One
	// not begun yet starts and ends now.
	ExpireSilence(ctx context.Context, id int64, by string) (Silence, error)
	// MarkSilenceReminded records that the reminder (ReminderExpiry or
	// ReminderUse) of a silence is being sent, and reports whether this
	// call marked it: of several replicas asking at once, exactly one
	// gets true and sends it.
	MarkSilenceReminded(ctx context.Context, id int64, reminder string) (bool, error)
}
