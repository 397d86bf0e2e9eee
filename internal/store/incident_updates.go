package store

import (
	"context"
	"time"
)

// EntryUpdate is the timeline kind of an incident update.
const EntryUpdate = "update"

// UpdateStatuses are the statuses an incident update can report.
var UpdateStatuses = []string{IncidentInvestigating, IncidentIdentified, IncidentMonitoring, IncidentResolved}

// IncidentUpdate is one message about an incident, for the people
// affected; Public ones appear on status pages.
type IncidentUpdate struct {
	ID         int64
	IncidentID int64
	Time       time.Time
	Status     string
	Message    string
	Public     bool
	Who        string
}

// IncidentUpdates keeps incident updates.
type IncidentUpdates interface {
	// AddIncidentUpdate stores an update and records it on the
	// incident's timeline, in one transaction; ENOTFOUND for no such
	// incident, EINVALID for an unknown status.
	AddIncidentUpdate(ctx context.Context, u IncidentUpdate) (IncidentUpdate, error)
	// IncidentUpdatesOf lists an incident's updates, newest first.
	IncidentUpdatesOf(ctx context.Context, incidentID int64) ([]IncidentUpdate, error)
	// PublicIncidentUpdates lists the public updates at or after since,
	// newest first, at most limit.
	PublicIncidentUpdates(ctx context.Context, since time.Time, limit int) ([]IncidentUpdate, error)
}
