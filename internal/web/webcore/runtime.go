// Package webcore holds what the web server's audiences share and the web
// package composes: their Deps and Handler, the live state the app hands
// over (Runtime, Heartbeats, Kinds and their views), pagination, and the
// JSON writer. It imports no
// other web package, so the root and every audience package may import it.
package webcore

import (
	"context"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
)

// MonitorView is one monitor as the UI shows it: its definition, its live
// state and the newest result.
type MonitorView struct {
	Config     config.Monitor
	State      monitor.State
	LastResult *probe.Result // nil before the first run
	// Locations is the state of each location of a monitor that lists
	// locations, in the configured order; nil for the others.
	Locations []LocationView
}

// LocationView is one location of a monitor run from several.
type LocationView struct {
	Location string
	// Status is up, warning, down, or monitor.StatusUnknown when the
	// location cannot be counted (no live agent, no result yet, an
	// Unknown result).
	Status monitor.Status
	Since  time.Time
	Last   *probe.Result // nil before the first result from there
	Live   bool          // false while the location has no live agent
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

// Runtime is the live side of the app the web packages need. The app
// implements it; tests can use a small fake.
type Runtime interface {
	// Config returns the configuration currently running.
	Config() *config.Config
	// Catalog returns the services, people and teams of that
	// configuration.
	Catalog() *catalog.Catalog
	// MonitorPage returns one page of the configured monitors, with the
	// count of those the query matches and of every monitor by status,
	// all read at one instant. Its cost follows the page, not the
	// number of monitors: no list of every monitor's view is built.
	// EINVALID for a cursor no configured monitor has.
	MonitorPage(q MonitorQuery) (MonitorPage, error)
	// Monitor returns one monitor; ok is false when no such id is configured.
	Monitor(id string) (MonitorView, bool)
	// SetPaused pauses or resumes a monitor; ENOTFOUND for unknown ids.
	SetPaused(ctx context.Context, id string, paused bool) error
	// ConfigStatus reports the running config and the last reload error.
	ConfigStatus() ConfigStatus
	// Health reports scheduler lateness for /readyz.
	Health() Health
}

// Monitors creates, replaces and deletes the monitors created through the
// API (the app implements it). body is a monitor in the configuration's
// own schema, YAML or JSON; by names who asks.
type Monitors interface {
	// CreateMonitor checks and stores a monitor and starts running it:
	// EINVALID for a bad definition (every problem, each naming its
	// field), ECONFLICT for an id a monitor or heartbeat has.
	CreateMonitor(ctx context.Context, body []byte, by string) (MonitorView, error)
	// UpdateMonitor replaces the monitor id created through the API:
	// ENOTFOUND, ECONFLICT for a monitor of the configuration file,
	// EINVALID as CreateMonitor.
	UpdateMonitor(ctx context.Context, id string, body []byte, by string) (MonitorView, error)
	// DeleteMonitor removes a monitor created through the API: ENOTFOUND,
	// ECONFLICT for a monitor of the configuration file.
	DeleteMonitor(ctx context.Context, id string) error
}

// NoMonitors is Monitors for a server that creates none.
type NoMonitors struct{}

// CreateMonitor refuses.
func (NoMonitors) CreateMonitor(context.Context, []byte, string) (MonitorView, error) {
	return MonitorView{}, errs.Errorf(errs.ENOTFOUND, "this server creates no monitors through the API")
}

// UpdateMonitor refuses.
func (NoMonitors) UpdateMonitor(context.Context, string, []byte, string) (MonitorView, error) {
	return MonitorView{}, errs.Errorf(errs.ENOTFOUND, "this server creates no monitors through the API")
}

// DeleteMonitor refuses.
func (NoMonitors) DeleteMonitor(context.Context, string) error {
	return errs.Errorf(errs.ENOTFOUND, "this server creates no monitors through the API")
}

// StatusOf is the status to show; an unsaved state is pending.
func StatusOf(st monitor.State) string {
	if st.Status == "" {
		return string(monitor.StatusPending)
	}
	return string(st.Status)
}
