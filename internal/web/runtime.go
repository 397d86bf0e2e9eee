// Package web serves the UI, the JSON API, authentication and the health
// and metrics endpoints. It reads history from the store and live state from
// the Runtime the app gives it; it never reaches into other packages' globals.
package web

import (
	"context"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
)

// MonitorView is one monitor as the UI shows it: its definition, its live
// state and the newest result.
type MonitorView struct {
	Config     config.Monitor
	State      monitor.State
	LastResult *probe.Result // nil before the first run
}

// ConfigStatus tells which configuration is running and why a reload failed.
type ConfigStatus struct {
	Path     string
	LoadedAt time.Time
	// Errors of the last rejected reload (empty when the last one worked).
	Errors     []string
	RejectedAt time.Time
}

// Health is what /readyz reports besides the store's reachability.
type Health struct {
	SchedulerLag time.Duration // current p99-ish lateness of due runs
	MaxLag       time.Duration // from server.ready_max_lag
	// WriteProblems says, one line each, why what Tocsin sees may not be
	// stored: writes failing with none succeeding since, a write that
	// hangs, a writer queue that stays over its bound. Empty when writes
	// go through.
	WriteProblems []string
}

// Runtime is the live side of the app the web package needs. The app
// implements it; tests can use a small fake.
type Runtime interface {
	// Config returns the configuration currently running.
	Config() *config.Config
	// Catalog returns the services, people and teams of that
	// configuration.
	Catalog() *catalog.Catalog
	// Monitors returns every configured monitor, in config order.
	Monitors() []MonitorView
	// Monitor returns one monitor; ok is false when no such id is configured.
	Monitor(id string) (MonitorView, bool)
	// SetPaused pauses or resumes a monitor; ENOTFOUND for unknown ids.
	SetPaused(ctx context.Context, id string, paused bool) error
	// ConfigStatus reports the running config and the last reload error.
	ConfigStatus() ConfigStatus
	// Health reports scheduler lateness for /readyz.
	Health() Health
}
