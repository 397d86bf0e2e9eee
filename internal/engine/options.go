package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/alert"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/batch"
)

// Sizes of the engine's queue and batches.
const (
	// DefaultFlushInterval is how long evaluated results wait at most
	// before they are written, when Options leaves it zero.
	DefaultFlushInterval = 200 * time.Millisecond
	// queueSize is how many results the probes may hand in before Submit
	// blocks: enough for a burst of a few thousand monitors due at once.
	queueSize = 4096
	// DefaultMaxBuffered is how many results the engine keeps in memory
	// while the database cannot write them, when Options leaves it zero:
	// about 30 MB, 100 s of 1,000 checks a second.
	DefaultMaxBuffered = 100_000
	// flushRows writes a batch early once this many results and
	// transitions wait, so one transaction stays small on a busy server.
	flushRows = 2000
)

// Store is the part of the store the engine writes through.
type Store interface {
	// SaveBatch writes a batch in one transaction; see store.Results.
	SaveBatch(ctx context.Context, b store.Batch) error
}

// Observer watches the evaluation from outside: the app's per-monitor
// metrics. Its methods are called on the engine's goroutines and must
// return quickly.
type Observer interface {
	// Observe sees each evaluated result with the monitor's new state.
	Observe(m config.Monitor, r probe.Result, st monitor.State)
	// Forget is told that a monitor left the configuration.
	Forget(monitorID string)
}

// Options configure an Engine.
type Options struct {
	// Store writes the batches. Required.
	Store Store
	// Logger receives state changes and write failures. Default: discard.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// FlushInterval is how long evaluated results wait at most before
	// they are written, when they carry a transition, a notification or
	// a change to a paged alert, or someone waits for them (Durable).
	// Default 200ms.
	FlushInterval time.Duration
	// QuietFlush is how long results that change nothing wait at most
	// before they are written: every monitor still up, its state written
	// with its result. A write's cost is mostly its transaction, not its
	// rows, so writing these less often saves CPU on the server and the
	// database; what is shown live comes from memory. Rounded up to a
	// multiple of FlushInterval. Default FlushInterval.
	QuietFlush time.Duration
	// Wake is called after a flush that stored notifications or changed
	// paged alerts, so the outbox dispatcher and the escalator act at
	// once. May be nil.
	Wake func()
	// Writer keeps the health of the writes; nil keeps none.
	Writer *batch.Writer
	// Observer sees every result evaluated; nil sees nothing.
	Observer Observer
	// Registerer receives the engine's metrics (flush time and failed
	// flushes). Nil registers none.
	Registerer prometheus.Registerer
	// Ownership says which monitors this process evaluates. Default
	// Single{}: every one.
	Ownership Ownership
	// MaxBuffered bounds the results kept in memory while the store
	// cannot write them (a database outage or failover); past it the
	// oldest are dropped, counted and logged. States, transitions and
	// notifications are always kept. Default DefaultMaxBuffered.
	MaxBuffered int
	// NewID names each notification. Default uuid.NewString.
	NewID func() string
	// OnMuted is told of every notification a maintenance window or
	// silence held back (the event it would have raised, and why), so
	// the creator of a silence can hear that it hid something real. It is
	// called on the engine's goroutine and must return quickly. May be nil.
	OnMuted func(monitorID, event string, m mute.Mute)
	// Policies says which escalation policy pages for a service (the
	// catalog's PolicyFor, read at each transition so a reload counts).
	// Nil: paged alerts are still opened and resolved, but none pages.
	Policies alert.PolicyFor
	// LocationLive reports whether a location has a live agent to probe
	// from (the server's own location always has). A monitor's location
	// that is not live counts as unknown in its quorum: it neither pages
	// nor clears. Nil: every location is live.
	LocationLive func(location string) bool
	// SearchFields returns the texts of a monitor a text search of its
	// pages (Query.Text) looks in, its service aside: the web passes its
	// id, name, type and target as it shows them. It is called for every
	// monitor when Apply rebuilds the index. Nil: the id, name and type.
	SearchFields func(m *config.Monitor) []string
}
