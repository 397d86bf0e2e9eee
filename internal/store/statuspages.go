package store

import (
	"context"
	"time"
)

// StatusOverride is a state set by hand on one component of a public
// status page, in place of the state its monitors give, until cleared.
type StatusOverride struct {
	// PageID and Component name the row: the page's id and the
	// component's key (docs/status-pages.md).
	PageID    string
	Component string
	// State is one of the public states (operational, degraded,
	// partial_outage, major_outage, maintenance); the status package
	// checks it.
	State string
	// Reason is shown on the public page beside the state.
	Reason string
	// By is the user's name; it is never shown publicly.
	By    string
	SetAt time.Time
}

// StatusPages keeps what status pages add to the configuration: the
// states set by hand.
type StatusPages interface {
	// SetStatusOverride stores o, replacing any override of the same
	// component.
	SetStatusOverride(ctx context.Context, o StatusOverride) error
	// ClearStatusOverride removes the override of one component; ENOTFOUND
	// when there is none.
	ClearStatusOverride(ctx context.Context, pageID, component string) error
	// StatusOverrides lists the overrides of a page, by component.
	StatusOverrides(ctx context.Context, pageID string) ([]StatusOverride, error)
	// DailyUptime sums the hourly rollups of monitors into days UTC days
	// from from (a UTC midnight), in one query: out[i] is the day
	// from + i days. Unknown monitors add nothing.
	DailyUptime(ctx context.Context, monitorIDs []string, from time.Time, days int) ([]Uptime, error)
}
