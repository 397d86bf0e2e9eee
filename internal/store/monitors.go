package store

import (
	"context"
	"time"
)

// StoredMonitor is a monitor created through the API rather than in the
// configuration file. Spec is its definition in the configuration's own
// schema (YAML; JSON is YAML too), exactly as it was accepted.
type StoredMonitor struct {
	ID        string
	Spec      string
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
}

// Monitors holds the monitors created at run time.
type Monitors interface {
	// CreateMonitor stores a monitor; CreatedAt and UpdatedAt default to
	// now and UpdatedBy to CreatedBy. ECONFLICT when its id is taken,
	// EINVALID without an id or a spec.
	CreateMonitor(ctx context.Context, m StoredMonitor) (StoredMonitor, error)
	// UpdateMonitor replaces a stored monitor's spec and records when
	// (UpdatedAt, default now) and by whom; its creation stays.
	// ENOTFOUND when there is none with that id.
	UpdateMonitor(ctx context.Context, m StoredMonitor) (StoredMonitor, error)
	// StoredMonitors lists the stored monitors, oldest first.
	StoredMonitors(ctx context.Context) ([]StoredMonitor, error)
	// DeleteMonitor removes a stored monitor (its results stay until
	// pruned); ENOTFOUND when there is none with that id.
	DeleteMonitor(ctx context.Context, id string) error
}
