package app

import (
	"context"
	"os"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/replica"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// buildReplicas makes the lease-based ownership of monitors when the store
// is PostgreSQL, where several replicas may share the work. On SQLite one
// process serves the file (the serve command locks it), and it owns every
// monitor.
func (a *App) buildReplicas(cfg *config.Config) engine.Ownership {
	if cfg.Storage.Driver != sqlstore.DriverPostgres {
		return engine.Single{}
	}
	a.replicas = replica.New(replica.Options{
		Store:      a.store,
		ID:         cfg.Server.ReplicaName(),
		TTL:        cfg.Server.LeaseTTL.D(),
		Now:        a.now,
		Logger:     a.log,
		Registerer: a.registry,
		Describe:   a.describeReplica,
		Acquire:    a.adoptBuckets,
		Gone:       a.releaseGone,
		Acquired:   a.takeBuckets,
		// The scheduler sets aside the monitors another replica runs
		// (notOurs) until this one may run more of them.
		Owned: func() { a.sched.Resume() },
		// The last results of buckets given up are written while
		// their leases still cover the writes.
		Release: func(ctx context.Context, _ []int) error { return a.eng.Durable(ctx) },
	})
	return a.replicas
}

// replicaStore is the store the engine saves its batches through: on
// PostgreSQL each batch is marked as this replica's (Batch.Replica), so
// that the other replicas' refreshes read its states and its own leaves
// them out.
func replicaStore(cfg *config.Config, st engine.Store) engine.Store {
	if cfg.Storage.Driver != sqlstore.DriverPostgres {
		return st
	}
	return replicaBatches{st: st, replica: cfg.Server.ReplicaName()}
}

// replicaBatches marks every batch saved through it with replica.
type replicaBatches struct {
	st      engine.Store
	replica string
}

func (r replicaBatches) SaveBatch(ctx context.Context, b store.Batch) error {
	b.Replica = r.replica
	return r.st.SaveBatch(ctx, b)
}

// notOurs reports that another replica runs the monitor now, so that the
// scheduler passes its due run over without dispatching it, and sets the
// monitor aside until the replica's Owned puts it back. The replicas
// are built after the scheduler and before it runs; a run that becomes
// another's after this check still stops at the engine's (Runs).
func (a *App) notOurs(id string) bool {
	return a.replicas != nil && !a.replicas.Owns(id)
}

// describeReplica fills in this replica's heartbeat.
func (a *App) describeReplica(r *store.Replica) {
	r.Version = Version
	if addr := a.Addr(); addr != "" {
		r.Address = addr
	} else {
		r.Address = a.config().Server.Listen
	}
	r.Lag = a.sched.Lag()
	if a.eng != nil && a.replicas != nil {
		per := a.bucketCounts()
		for _, b := range a.replicas.Buckets() {
			r.Monitors += per[b]
		}
	}
}

// bucketCounts returns how many configured monitors each bucket holds,
// counted once per configuration, so that a heartbeat adds up the
// buckets it runs instead of looking at every monitor.
func (a *App) bucketCounts() []int {
	cfg := a.config()
	a.bucketMu.Lock()
	defer a.bucketMu.Unlock()
	if a.bucketCfg != cfg {
		n := make([]int, replica.DefaultBuckets)
		for _, m := range cfg.Monitors {
			n[replica.BucketOf(m.ID, replica.DefaultBuckets)]++
		}
		a.bucketCfg, a.bucketN = cfg, n
	}
	return a.bucketN
}

// adoptBuckets loads the stored state of the monitors of buckets this
// replica is about to run, which their previous owner evaluated last. The
// engine holds every monitor's state as of start-up or the last refresh
// of the others' (refreshOthersOnce), and these buckets are not this
// replica's yet: a refresh brings their monitors up to date, reading only
// what was stored since, so that taking over half of a large install
// does not read every state within a round.
func (a *App) adoptBuckets(ctx context.Context, buckets []int) error {
	taking := make(map[int]bool, len(buckets))
	for _, b := range buckets {
		taking[b] = true
	}
	return a.refreshStates(ctx, taking)
}

// releaseGone ends the leases silent replicas held on notifications and
// escalation timers (their lease owner is their replica id), so another
// replica sends and escalates what they had claimed within a lease time,
// rather than when those leases end (minutes). A replica only cut off
// from the database may still be sending one: the receiver gets it twice,
// under the same id.
func (a *App) releaseGone(ctx context.Context, replicas []string) error {
	for _, id := range replicas {
		msgs, err := a.store.ReleaseLeases(ctx, id)
		if err != nil {
			return err
		}
		timers, err := a.store.ReleaseTimerLeases(ctx, id)
		if err != nil {
			return err
		}
		if msgs > 0 || timers > 0 {
			a.log.Warn("replica silent for a lease time: its notifications and escalation timers taken over", "replica", id, "notifications", msgs, "timers", timers)
		}
	}
	return nil
}

// Overdue monitors of buckets taken run spread over up to takeoverSpread,
// takeoverSpreadEach apart: a few at once, the thousands of a large
// takeover at most a few seconds late, without the burst of starting them
// in one instant (they wait for the scheduler's slots as well).
const (
	takeoverSpread     = 5 * time.Second
	takeoverSpreadEach = 2 * time.Millisecond
)

// takeBuckets starts the work of buckets this replica has just started
// running. A heartbeat deadline that passed meanwhile fires now; a
// monitor whose run fell due while nobody ran it (its newest result is
// older than its interval: its replica died, or gave the bucket up
// during its run's slot) runs now rather than at its next slot, up to an
// interval later; the others keep their slots. At start-up the monitors
// are not scheduled yet and keep their slots.
func (a *App) takeBuckets(buckets []int) {
	in := make(map[int]bool, len(buckets))
	for _, b := range buckets {
		in[b] = true
	}
	taken := func(id string) bool { return in[replica.BucketOf(id, replica.DefaultBuckets)] }
	a.hb.Rearm(taken)
	overdue := a.eng.Overdue(a.now(), taken)
	if len(overdue) == 0 {
		return
	}
	window := min(time.Duration(len(overdue))*takeoverSpreadEach, takeoverSpread)
	if n := a.sched.RunSoon(overdue, window); n > 0 {
		a.log.Info("monitors taken over whose run fell due meanwhile run now", "monitors", n, "within", window)
	}
}

// joinReplicas records this replica and takes its first share before
// anything runs; it fails when another live process uses its id.
func (a *App) joinReplicas(ctx context.Context) error {
	if a.replicas == nil {
		return nil
	}
	if err := a.replicas.Join(ctx); err != nil {
		return err
	}
	if _, err := a.replicas.Round(ctx); err != nil {
		a.log.Error("replica: first round of leases failed; retrying", "err", err)
	}
	a.log.Info("replica joined", "replica", a.config().Server.ReplicaName(), "buckets", len(a.replicas.Buckets()), "lease_ttl", a.replicas.TTL())
	return nil
}

// leaveReplicas hands this replica's monitors over at once on a clean
// stop, after the engine wrote its last results.
func (a *App) leaveReplicas(ctx context.Context) {
	if a.replicas == nil {
		return
	}
	if err := a.replicas.Leave(ctx); err != nil {
		a.log.Error("replica: leaving the registry failed; the other replicas take over when the leases end", "err", err)
	}
}

// replicasView is what the Replicas page shows.
func (a *App) replicasView() webcore.ReplicasView {
	st := a.replicas.Status()
	v := webcore.ReplicasView{Self: st.Self, Read: st.Read, Fenced: st.Fenced, LeaseTTL: a.replicas.TTL(), Buckets: replica.DefaultBuckets}
	for _, r := range st.Replicas {
		v.Replicas = append(v.Replicas, webcore.ReplicaView{
			ID: r.ID, Host: r.Host, Address: r.Address, Version: r.Version, PID: r.PID, Started: r.Started, Seen: r.Seen,
			Buckets: r.Buckets, Monitors: r.Monitors, Lag: r.Lag, Live: r.Live,
		})
	}
	return v
}

// lockSQLite takes the lock of the SQLite file a serving process holds, so
// that a second `tocsin serve` on the same file is refused with the name
// of the first, instead of two schedulers probing and paging twice. No
// lock is needed for PostgreSQL (the registry keeps replicas apart) nor
// for an in-memory database.
func lockSQLite(cfg *config.Config) (*replica.Lock, error) {
	if cfg.Storage.Driver == sqlstore.DriverPostgres {
		return nil, nil
	}
	file, ok := sqlstore.SQLiteFile(cfg.Storage.DSN)
	if !ok {
		return nil, nil
	}
	host, _ := os.Hostname()
	return replica.LockSQLite(file, replica.Holder{
		Replica: cfg.Server.ReplicaName(), PID: os.Getpid(), Host: host, Address: cfg.Server.Listen, Started: time.Now().UTC(),
	})
}

// refreshOthers keeps the live state of the monitors other replicas run
// as they stored it, every lease time, so that this replica's pages and
// API show them as they are, not as they were when it last ran them. Each
// refresh reads only the states saved since the one before.
func (a *App) refreshOthers(ctx context.Context) {
	if a.replicas == nil {
		return
	}
	a.replicaLoop(ctx, a.replicas.TTL(), a.refreshOthersOnce, "replica: reading the state of the monitors other replicas run")
}

// replicaLoop runs step every period until ctx ends, logging its
// failures with what.
func (a *App) replicaLoop(ctx context.Context, period time.Duration, step func(context.Context) error, what string) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := step(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn(what, "err", err)
		}
	}
}

func (a *App) refreshOthersOnce(ctx context.Context) error { return a.refreshStates(ctx, nil) }

// refreshStates loads the states stored since the last read of the
// monitors this replica does not run, and of those of the buckets it is
// taking (which it may still be said to run, when it lost and took them
// back in one round).
func (a *App) refreshStates(ctx context.Context, taking map[int]bool) error {
	// Under adoptMu, and reading ownership after the states: a monitor
	// that becomes this replica's meanwhile keeps what its adoption read.
	// A fenced monitor keeps its live state too: the engine holds what it
	// evaluated last and could not write, and writes it if the lease is
	// renewed; judging the next result from the stored state instead
	// would notify the same change again under another id.
	a.adoptMu.Lock()
	defer a.adoptMu.Unlock()
	// The states this replica saved are left out by the query: it holds
	// them, and they are about half of what changed since the last read
	// with two replicas, all of it with one.
	states, mark, err := a.store.MonitorStatesSince(ctx, a.othersMark, a.replicas.ID())
	if err != nil {
		return err
	}
	a.othersMark = mark
	hbs, _, err := a.store.HeartbeatStates(ctx)
	if err != nil {
		return err
	}
	for id := range states {
		if a.replicas.Fenced(id) || a.replicas.Owns(id) && !taking[replica.BucketOf(id, replica.DefaultBuckets)] {
			delete(states, id)
		}
	}
	for id := range hbs {
		if a.replicas.Owns(id) && !taking[replica.BucketOf(id, replica.DefaultBuckets)] {
			delete(hbs, id)
		}
	}
	a.eng.Adopt(states)
	a.hb.Adopt(hbs)
	return nil
}
