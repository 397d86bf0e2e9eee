package app

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// Work accepted by any replica reaches the replica that runs its monitor
// (PostgreSQL; on SQLite one process runs everything and nothing here
// runs). A ping of a heartbeat another replica runs is stored as usual
// and, in the same transaction, as a row of the routed table for the
// holder of its bucket (internal/heartbeat/route.go); an agent's result
// of such a monitor is stored there before the agent is answered. Every
// replica takes the rows of its own buckets every routePoll, applies them
// and deletes them in one transaction: a row is acted on once, and one
// whose bucket changes hands is taken by the next holder.

// routePoll is how often a replica looks for work routed to it.
const routePoll = 250 * time.Millisecond

// routeBatch bounds the rows of one take.
const routeBatch = 1000

// routes holds the agent results of monitors other replicas run until
// they are stored for them.
type routes struct {
	mu      sync.Mutex
	pending []store.Routed
	added   uint64
	// flushMu orders the writes; stored (under it) counts the results
	// written, in the order added.
	flushMu sync.Mutex
	stored  uint64
}

// pushed takes a result an agent pushed: evaluated here when this replica
// runs its monitor, else kept for the one that does.
func (a *App) pushed(r probe.Result) {
	if a.replicas == nil || a.replicas.Owns(r.MonitorID) {
		a.submit(context.Background(), r)
		return
	}
	js, err := json.Marshal(r)
	if err != nil {
		a.log.Error("agents: a result cannot be encoded for the replica that runs its monitor", "monitor", r.MonitorID, "err", err)
		return
	}
	rs := &a.routes
	rs.mu.Lock()
	rs.pending = append(rs.pending, store.Routed{Bucket: a.replicas.Bucket(r.MonitorID), Kind: store.RoutedResult, Subject: r.MonitorID, Payload: js, Created: a.now()})
	rs.added++
	rs.mu.Unlock()
}

// pushedDurable returns once the results pushed before it are stored:
// those evaluated here with their monitor's state, the others for the
// replica that runs their monitor.
func (a *App) pushedDurable(ctx context.Context) error {
	if err := a.flushRoutes(ctx); err != nil {
		return err
	}
	return a.eng.Durable(ctx)
}

// flushRoutes stores the results kept for other replicas, up to those
// added when it was called. A failed write keeps them for the next.
func (a *App) flushRoutes(ctx context.Context) error {
	rs := &a.routes
	rs.mu.Lock()
	target := rs.added
	rs.mu.Unlock()
	rs.flushMu.Lock()
	defer rs.flushMu.Unlock()
	if rs.stored >= target {
		return nil
	}
	rs.mu.Lock()
	items, upTo := rs.pending, rs.added
	rs.pending = nil
	rs.mu.Unlock()
	if err := a.store.Route(ctx, items); err != nil {
		rs.mu.Lock()
		rs.pending = append(items, rs.pending...)
		rs.mu.Unlock()
		return err
	}
	rs.stored = upTo
	return nil
}

// takeRouted takes the work routed to this replica until ctx ends.
func (a *App) takeRouted(ctx context.Context) {
	if a.replicas == nil {
		return
	}
	a.replicaLoop(ctx, routePoll, a.takeRoutedOnce, "replica: taking the pings and results other replicas took for this one; retrying")
}

func (a *App) takeRoutedOnce(ctx context.Context) error {
	if err := a.flushRoutes(ctx); err != nil {
		return err
	}
	buckets := a.replicas.Buckets()
	if len(buckets) == 0 {
		return nil
	}
	// One statement when nothing waits, as most polls find: the takes
	// below are a transaction each, and polling four times a second is a
	// good part of each replica's own round trips to the database.
	// Something routed just after this look is taken at the next poll,
	// as it would be after the takes.
	if waiting, err := a.store.RoutedWaiting(ctx, buckets); err != nil || !waiting {
		return err
	}
	for {
		n, err := a.hb.Take(ctx, buckets, routeBatch)
		if err != nil {
			return err
		}
		if n < routeBatch {
			break
		}
	}
	for {
		n, err := a.store.TakeRouted(ctx, store.RoutedResult, buckets, routeBatch, func(items []store.Routed) (map[string]json.RawMessage, error) {
			return nil, a.evaluateRouted(ctx, items)
		})
		if err != nil {
			return err
		}
		if n < routeBatch {
			return nil
		}
	}
}

// evaluateRouted evaluates results other replicas took for this one and
// returns once they are stored. A result no newer than the newest of its
// monitor and location was evaluated already (taken by a replica that
// stopped before it could delete it) and is skipped.
func (a *App) evaluateRouted(ctx context.Context, items []store.Routed) error {
	for _, it := range items {
		var r probe.Result
		if err := json.Unmarshal(it.Payload, &r); err != nil {
			a.log.Error("agents: ignoring an unreadable result another replica took", "monitor", it.Subject, "err", err)
			continue
		}
		if !r.Time.After(a.newestResult(r.MonitorID, r.Location)) {
			continue
		}
		a.submit(ctx, r)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return a.eng.Durable(ctx)
}
