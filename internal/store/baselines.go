package store

import (
	"context"
	"time"
)

// Baseline is the accepted facts of one subject (a file) of one monitor,
// kept on the server so they survive the reinstall of the agent that
// observes them, with the differing observation while there is one.
type Baseline struct {
	MonitorID string
	Subject   string
	// Values are the accepted facts, name → value.
	Values map[string]string
	// Observed is the newest observation that differs from Values; nil
	// while the subject matches.
	Observed map[string]string
	// ChangedAt is when a difference was first observed; zero while the
	// subject matches.
	ChangedAt time.Time
	// AcceptedBy is who accepted Values; "" when they were recorded
	// automatically on the first run.
	AcceptedBy string
	AcceptedAt time.Time
}

// Baselines keeps the baselines observed facts are judged against.
type Baselines interface {
	// Baselines returns the baselines of a monitor, by subject.
	Baselines(ctx context.Context, monitorID string) ([]Baseline, error)
	// SaveBaselines inserts or replaces baselines by monitor and subject,
	// all in one transaction; EINVALID without monitor, subject or values.
	SaveBaselines(ctx context.Context, bs []Baseline) error
}
