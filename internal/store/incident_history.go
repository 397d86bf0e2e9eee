package store

import (
	"context"
	"time"
)

// IncidentHistory reads incidents by the time they opened, to measure how
// they were answered.
type IncidentHistory interface {
	// IncidentsOpened lists the incidents opened at or after from and
	// before to, oldest first, without their alerts, roles or timelines.
	// EINVALID when to is before from.
	IncidentsOpened(ctx context.Context, from, to time.Time) ([]Incident, error)
}
