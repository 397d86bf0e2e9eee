package engine

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/batch"
)

// View is a copy of the live side of one configured monitor.
type View struct {
	Config config.Monitor
	// Prober runs the monitor; nil for monitors fed from outside
	// (heartbeats) or whose prober could not be built.
	Prober probe.Prober
	State  monitor.State
	// Last is the newest result; after a restart, until the monitor runs
	// again, the one its saved state remembers. Nil before the first.
	// For a monitor of several locations it is the combined result, whose
	// reason says which locations pass and which fail.
	Last *probe.Result
	// Locations is the state of each location of a monitor that lists
	// locations, in the configured order; nil for the others.
	Locations []LocationView
}

// entry is the live side of one configured monitor.
type entry struct {
	cfg    config.Monitor
	policy monitor.Policy
	prober probe.Prober
	state  monitor.State
	last   *probe.Result
	// locs is the state of each location of a monitor that lists
	// locations (see locations.go); nil for the others.
	locs map[string]*locEntry
	// seen is set by the first result evaluated since start (last may
	// come from the saved state before); certExpiry is the NotAfter, in
	// Unix seconds, of the newest certificate a result saw, 0 for none.
	// Both are for Samples.
	seen       bool
	certExpiry int64
}

// Backlog counts the rows waiting for the next flush, by kind.
type Backlog struct {
	Results, States, Transitions, Outbox int
}

// Total is the number of rows waiting: the writer's queue depth.
func (b Backlog) Total() int { return b.Results + b.States + b.Transitions + b.Outbox }

// Engine is the single writer of monitor state. Results arrive through
// Submit; each goes through the stages (see the package documentation);
// results, states, transitions and the notifications they cause are
// collected in memory and written in one transaction per flush, so per
// check there is no database round trip.
type Engine struct {
	o       Options
	results chan probe.Result
	done    chan struct{}
	closing sync.Once
	metrics metrics

	mu      sync.RWMutex
	cfg     *config.Config
	entries map[string]*entry
	order   []string
	// saved holds states loaded from the store for monitors not (yet)
	// configured, so a monitor removed and re-added keeps its history.
	saved map[string]monitor.State
	// idx answers pages of monitors (see index.go).
	idx index

	batchMu sync.Mutex
	batch   store.Batch
	// fenced holds rows of monitors whose lease was not renewed in time,
	// kept apart until it is renewed or lost (see flushNow).
	fenced store.Batch
	// overflow counts the results dropped from a full buffer since the
	// last write that went through; kept by Run alone.
	overflow int

	// mutes is the maintenance windows and silences in force; held the
	// failures they held back, by monitor (see muted and release).
	mutes  atomic.Pointer[mute.Snapshot]
	heldMu sync.Mutex
	held   map[string]monitor.Transition

	// dur tracks which submitted results are written (see Durable).
	dur durability
}

// New returns an engine that starts from the states saved in the store
// (saved may be nil). Nothing runs until Run; Apply gives it its monitors.
func New(o Options, saved map[string]monitor.State) *Engine {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	o.QuietFlush = max(o.QuietFlush, o.FlushInterval)
	if o.Ownership == nil {
		o.Ownership = Single{}
	}
	if o.NewID == nil {
		o.NewID = uuid.NewString
	}
	if o.MaxBuffered <= 0 {
		o.MaxBuffered = DefaultMaxBuffered
	}
	if saved == nil {
		saved = map[string]monitor.State{}
	}
	return &Engine{
		o:       o,
		results: make(chan probe.Result, queueSize),
		done:    make(chan struct{}),
		metrics: newMetrics(o.Registerer),
		entries: map[string]*entry{},
		saved:   saved,
		held:    map[string]monitor.Transition{},
		batch:   store.Batch{States: map[string]monitor.State{}},
	}
}

// lastFromState stands in for a monitor's last result after a restart,
// until it runs again: the saved state keeps the time, status and reason
// of the newest result, which is what the overview and the API show.
func lastFromState(id string, st monitor.State) *probe.Result {
	if st.LastResultAt.IsZero() {
		return nil
	}
	return &probe.Result{MonitorID: id, Time: st.LastResultAt, Status: st.LastStatus, Reason: st.LastReason}
}

func policyFor(m config.Monitor) monitor.Policy {
	return monitor.Policy{FailureThreshold: m.FailureThreshold, SuccessThreshold: m.SuccessThreshold}.Normalize()
}

// Apply swaps in a configuration and the probers of its monitors. Monitors
// that stay keep their state; removed monitors leave memory but keep their
// stored history, and come back with it when they are added again.
func (e *Engine) Apply(cfg *config.Config, probers map[string]probe.Prober) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.o.Now().UTC()
	entries := make(map[string]*entry, len(cfg.Monitors))
	order := make([]string, 0, len(cfg.Monitors))
	for _, m := range cfg.Monitors {
		en := &entry{cfg: m, policy: policyFor(m), prober: probers[m.ID]}
		if old, ok := e.entries[m.ID]; ok {
			en.state, en.last = old.state, old.last
			en.seen, en.certExpiry = old.seen, old.certExpiry
			en.locs = keptLocations(m, old.locs)
		} else if st, ok := e.saved[m.ID]; ok {
			en.state, en.last = st, lastFromState(m.ID, st)
			en.locs = locationsFromState(m, st)
			delete(e.saved, m.ID)
		} else {
			en.state = monitor.State{Status: monitor.StatusPending, Since: now}
		}
		if len(m.Locations) == 0 {
			en.state.Locations = nil
		}
		// A monitor paused in the config stays paused; one unpaused in
		// the config returns to pending unless a person paused it.
		if m.Paused && en.state.Status != monitor.StatusPaused {
			var ts []monitor.Transition
			en.state, ts = monitor.Pause(m.ID, en.state, now)
			e.record(m.ID, en.state, ts)
		} else if old, ok := e.entries[m.ID]; ok && old.cfg.Paused && !m.Paused && en.state.Status == monitor.StatusPaused {
			var ts []monitor.Transition
			en.state, ts = monitor.Resume(m.ID, en.state, now)
			e.record(m.ID, en.state, ts)
		}
		entries[m.ID] = en
		order = append(order, m.ID)
	}
	for id, old := range e.entries {
		if _, ok := entries[id]; !ok {
			e.heldMu.Lock()
			delete(e.held, id)
			e.heldMu.Unlock()
			e.saved[id] = old.state
			if e.o.Observer != nil {
				e.o.Observer.Forget(id)
			}
		}
	}
	e.cfg, e.entries, e.order = cfg, entries, order
	e.reindex()
	return nil
}

// Probers returns the prober of every configured monitor, so a reload can
// keep those whose definition did not change.
func (e *Engine) Probers() map[string]probe.Prober {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make(map[string]probe.Prober, len(e.entries))
	for id, en := range e.entries {
		out[id] = en.prober
	}
	return out
}

// Runs reports whether the monitor should run now: it is configured, not
// paused, and this process owns it. The scheduler asks before every run,
// so a paused monitor stays scheduled and resuming needs no reschedule.
func (e *Engine) Runs(id string) bool {
	if !e.o.Ownership.Owns(id) {
		return false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	en, ok := e.entries[id]
	return ok && en.state.Status != monitor.StatusPaused
}

// Submit hands a result to the engine; it blocks while the queue is full
// (back pressure on probes) and gives up when ctx ends or the engine
// closes. A result of a monitor this process does not own is dropped: its
// owner evaluates its own.
func (e *Engine) Submit(ctx context.Context, r probe.Result) {
	if !e.o.Ownership.Owns(r.MonitorID) {
		return
	}
	select {
	case e.results <- r:
		e.dur.submitted.Add(1)
	case <-ctx.Done():
	case <-e.done:
	}
}

// Run evaluates submitted results and flushes them until Close; then it
// evaluates what was already handed in, writes everything and returns.
// ctx bounds the writes; the last flush runs even when ctx has ended.
func (e *Engine) Run(ctx context.Context) {
	t := time.NewTicker(e.o.FlushInterval)
	defer t.Stop()
	// quiet counts the ticks since the last flush; at quietTicks even a
	// batch that changes nothing is written.
	quiet, quietTicks := 0, int((e.o.QuietFlush+e.o.FlushInterval-1)/e.o.FlushInterval)
	for {
		select {
		case r := <-e.results:
			e.evaluate(r)
			e.dur.evaluated++
			if e.pending() >= flushRows {
				e.flushNow(ctx)
				quiet = 0
			}
		case <-t.C:
			if quiet++; quiet >= quietTicks || e.urgent() {
				e.flushNow(ctx)
				quiet = 0
			}
		case <-e.done:
			// Drain what the probes already handed in, then write it.
			for {
				select {
				case r := <-e.results:
					e.evaluate(r)
					e.dur.evaluated++
					continue
				default:
				}
				break
			}
			e.flushNow(context.WithoutCancel(ctx))
			return
		}
	}
}

// urgent reports that the next batch is not to wait for the quiet
// flush: it moves a monitor's status or an alert, holds a notification,
// or someone waits for it to be stored (Durable).
func (e *Engine) urgent() bool {
	if e.dur.waiters.Load() > 0 {
		return true
	}
	e.batchMu.Lock()
	defer e.batchMu.Unlock()
	b := &e.batch
	return len(b.Transitions) > 0 || len(b.Outbox) > 0 || len(b.Alerts) > 0
}

// Close stops Run after its last flush. Submit returns at once afterwards.
func (e *Engine) Close() { e.closing.Do(func() { close(e.done) }) }

func (e *Engine) pending() int {
	e.batchMu.Lock()
	defer e.batchMu.Unlock()
	return len(e.batch.Results) + len(e.batch.Transitions)
}

// Backlog counts every row waiting for the next flush.
func (e *Engine) Backlog() Backlog {
	e.batchMu.Lock()
	defer e.batchMu.Unlock()
	b, f := &e.batch, &e.fenced
	return Backlog{Results: len(b.Results) + len(f.Results), States: len(b.States) + len(f.States), Transitions: len(b.Transitions) + len(f.Transitions), Outbox: len(b.Outbox) + len(f.Outbox)}
}

// evaluate runs one result through the stages and adds what they produce
// to the next batch.
func (e *Engine) evaluate(r probe.Result) {
	e.mu.Lock()
	en, ok := e.entries[r.MonitorID]
	if !ok {
		e.mu.Unlock()
		return // removed by a reload while it ran
	}
	if en.state.Status == monitor.StatusPaused {
		e.mu.Unlock()
		return
	}
	now := e.o.Now().UTC()
	var next monitor.State
	var ts []monitor.Transition
	if len(en.cfg.Locations) > 0 {
		var ok bool
		if next, ts, ok = e.evaluateLocation(en, r, now); !ok {
			e.mu.Unlock()
			e.o.Logger.Debug("result from a location the monitor does not run at dropped", "monitor", r.MonitorID, "location", r.Location)
			return
		}
	} else {
		next, ts = monitor.Evaluate(en.policy, en.state, r, now)
		rr := r
		en.last = &rr
	}
	en.state = next
	en.seen = true
	if !r.CertExpiry.IsZero() {
		en.certExpiry = r.CertExpiry.Unix()
	}
	e.indexState(en)
	cfg := e.cfg
	m := en.cfg
	e.mu.Unlock()

	if e.o.Observer != nil {
		e.o.Observer.Observe(m, r, next)
	}
	routed := ts
	if rel, ok := e.release(r.MonitorID, next, ts, now); ok {
		// Notified, but not stored again: the transition is already
		// in the history, from when the mute held it back.
		routed = []monitor.Transition{rel}
	}
	out, changes := e.route(cfg, &m, routed, e.liveState)
	e.batchMu.Lock()
	e.batch.Results = append(e.batch.Results, r)
	e.batch.States[r.MonitorID] = next
	e.batch.Transitions = append(e.batch.Transitions, ts...)
	e.batch.Outbox = append(e.batch.Outbox, out...)
	e.batch.Alerts = append(e.batch.Alerts, changes...)
	e.batchMu.Unlock()
	for _, t := range ts {
		e.o.Logger.Info(LogStateChanged, "monitor", t.MonitorID, "from", t.From, "to", t.To, "flapping", t.Flapping, "reason", t.Reason)
	}
}

// record adds a state change that did not come from a result (pause,
// resume) to the next batch, with what the stages make of it. Callers hold
// e.mu.
func (e *Engine) record(id string, st monitor.State, ts []monitor.Transition) {
	var out []notify.OutboxMessage
	var changes []store.AlertChange
	if e.cfg != nil {
		if m, ok := e.cfg.Monitor(id); ok {
			out, changes = e.route(e.cfg, m, ts, e.stateLocked)
		}
	}
	e.batchMu.Lock()
	defer e.batchMu.Unlock()
	e.batch.States[id] = st
	e.batch.Transitions = append(e.batch.Transitions, ts...)
	e.batch.Outbox = append(e.batch.Outbox, out...)
	e.batch.Alerts = append(e.batch.Alerts, changes...)
}

// liveState returns a monitor's live state.
func (e *Engine) liveState(id string) (monitor.State, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.stateLocked(id)
}

// stateLocked is liveState for callers holding e.mu.
func (e *Engine) stateLocked(id string) (monitor.State, bool) {
	en, ok := e.entries[id]
	if !ok {
		return monitor.State{}, false
	}
	return en.state, true
}

// flushNow writes the collected batch in one transaction. A row the store
// refuses is dropped (counted and logged by the writer) and the rest
// written; when the store cannot write at all, what is left is kept and
// retried at the next flush, so a database hiccup delays but loses nothing
// — up to Options.MaxBuffered results, past which the oldest go (see
// trimLocked). Rows of monitors whose lease could not be renewed in time
// (Fencing) are held apart, neither written nor dropped, until the lease
// is renewed or another replica takes the monitor.
func (e *Engine) flushNow(ctx context.Context) {
	e.batchMu.Lock()
	b, held := e.batch, e.fenced
	e.batch = store.Batch{States: map[string]monitor.State{}}
	e.fenced = store.Batch{}
	e.batchMu.Unlock()
	through := e.dur.evaluated

	lost := 0
	if !held.Empty() {
		// Held rows are older than the batch: they go first.
		parts := sortRows(held, e.fateOf)
		b, held = appendBatch(parts[write], b), parts[hold]
		lost += rowCount(parts[drop])
	}
	if f, ok := e.o.Ownership.(Fencing); ok {
		// Rows of monitors given up on purpose since they were evaluated
		// are written: their next holder waits for them (and with
		// Leases, the store refuses them once the lease is given up).
		parts := sortRows(b, func(id string) fate {
			if id != "" && f.Fenced(id) {
				return hold
			}
			return write
		})
		b, held = parts[write], appendBatch(held, parts[hold])
	}

	var o batch.Outcome[store.BatchRow]
	if !b.Empty() {
		start := time.Now()
		err := e.o.Writer.Do(func() error { return e.save(ctx, b) })
		// The database refused the write because leases of its buckets
		// are lost (Leases): those buckets stop running here, their rows
		// are held like fenced ones, and the rest is written at once.
		// Each try finds at least one bucket more lost, unless a round
		// renews one meanwhile; a few bound the flush.
		for try := 0; try < leaseTries && err != nil; try++ {
			buckets, ok := store.LeaseLost(err)
			if !ok {
				break
			}
			e.o.Logger.Warn(LogLeaseLost, "buckets", len(buckets))
			e.revoke(buckets)
			parts := sortRows(b, e.fateOf)
			b, held = parts[write], appendBatch(held, parts[hold])
			lost += rowCount(parts[drop])
			err = nil
			if !b.Empty() {
				err = e.o.Writer.Do(func() error { return e.save(ctx, b) })
			}
		}
		_, leaseLost := store.LeaseLost(err)
		switch {
		case err == nil:
		case batch.Refused(err) && !leaseLost:
			// Rare: split the batch into rows to find the refused ones.
			o = batch.Write(e.o.Writer, b.Rows(), func(rows []store.BatchRow) error {
				err := e.save(ctx, store.JoinRows(rows))
				if _, ok := store.LeaseLost(err); ok {
					// Not the rows' fault: stop splitting, keep them.
					return &errs.Error{Code: errs.EUNAVAILABLE, Message: err.Error(), Err: err}
				}
				if err != nil && len(rows) == 1 {
					err = fmt.Errorf("%s: %w", rows[0], err)
				}
				return err
			})
		default:
			o.Err, o.Unwritten = err, b.Rows()
		}
		e.metrics.flushSeconds.Observe(time.Since(start).Seconds())
	}
	left := store.Batch{States: map[string]monitor.State{}}
	if o.Err != nil {
		if buckets, ok := store.LeaseLost(o.Err); ok {
			e.revoke(buckets)
			e.o.Logger.Warn(LogLeaseLost, "buckets", len(buckets))
		} else {
			e.metrics.flushErrors.Inc()
			e.o.Logger.Error("saving results", "results", len(b.Results), "transitions", len(b.Transitions), "err", o.Err)
		}
		parts := sortRows(store.JoinRows(o.Unwritten), e.fateOf)
		left, held = parts[write], appendBatch(held, parts[hold])
		lost += rowCount(parts[drop])
	}
	if lost > 0 {
		e.o.Logger.Warn("rows of monitors another replica took over meanwhile dropped", "rows", lost)
	}
	e.batchMu.Lock()
	// Put what was not written back in front of what arrived meanwhile;
	// newer states win.
	e.batch = appendBatch(left, e.batch)
	e.fenced = held
	var trimmed, kept int
	if o.Err != nil || !held.Empty() {
		trimmed, kept = e.trimLocked()
	} else {
		e.overflow = 0
	}
	e.batchMu.Unlock()
	if trimmed > 0 {
		e.overflow += trimmed
		e.metrics.bufferDropped.Add(float64(trimmed))
		e.o.Logger.Warn("results waiting for the database overflowed the buffer; the oldest dropped",
			"dropped", trimmed, "dropped_since_last_write", e.overflow, "kept", kept, "limit", e.o.MaxBuffered)
	}
	if o.Err == nil && held.Empty() {
		e.dur.written(through)
	}
	if (len(b.Outbox) > 0 || len(b.Alerts) > 0) && e.o.Wake != nil {
		e.o.Wake()
	}
}

// leaseTries bounds the writes of one flush that the database refuses
// for leases lost (see flushNow).
const leaseTries = 3

// save writes b in one transaction, with the fence of its monitors when
// the ownership is by leases.
func (e *Engine) save(ctx context.Context, b store.Batch) error {
	if l, ok := e.o.Ownership.(Leases); ok {
		b.Fence = l.Fence(batchMonitors(b))
	}
	return e.o.Store.SaveBatch(ctx, b)
}

// revoke tells the ownership that a write found the leases of buckets
// lost.
func (e *Engine) revoke(buckets []int) {
	if l, ok := e.o.Ownership.(Leases); ok {
		l.Revoke(buckets)
	}
}

// trimLocked drops the oldest results kept unwritten beyond
// Options.MaxBuffered, held ones first, and returns how many it dropped
// and how many it keeps. States, transitions and notifications are never
// dropped: there is at most one state per monitor, and the others come
// only with a change of state, which a lost row would hide for good.
// Callers hold batchMu.
func (e *Engine) trimLocked() (dropped, kept int) {
	kept = len(e.fenced.Results) + len(e.batch.Results)
	over := kept - e.o.MaxBuffered
	if over <= 0 {
		return 0, kept
	}
	for _, rs := range []*[]probe.Result{&e.fenced.Results, &e.batch.Results} {
		n := min(over, len(*rs))
		*rs = slices.Delete(*rs, 0, n)
		over -= n
		dropped += n
	}
	return dropped, kept - dropped
}

// SetPaused pauses or resumes one monitor on a person's request. It returns
// ENOTFOUND for a monitor not configured and ECONFLICT for resuming one
// paused in the configuration file.
func (e *Engine) SetPaused(id string, paused bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.entries[id]
	if !ok {
		return errs.Errorf(errs.ENOTFOUND, "no monitor %q", id)
	}
	now := e.o.Now().UTC()
	var ts []monitor.Transition
	switch {
	case paused && en.state.Status != monitor.StatusPaused:
		en.state, ts = monitor.Pause(id, en.state, now)
	case !paused && en.state.Status == monitor.StatusPaused:
		if en.cfg.Paused {
			return errs.Errorf(errs.ECONFLICT, "monitor %q is paused in the configuration file; remove `paused: true` there to resume it", id)
		}
		en.state, ts = monitor.Resume(id, en.state, now)
	default:
		return nil
	}
	e.indexState(en)
	e.record(id, en.state, ts)
	return nil
}

// Views returns every configured monitor, in configuration order.
func (e *Engine) Views() []View {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]View, 0, len(e.order))
	for _, id := range e.order {
		out = append(out, e.view(e.entries[id]))
	}
	return out
}

// View returns one configured monitor, and false when there is none by id.
func (e *Engine) View(id string) (View, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	en, ok := e.entries[id]
	if !ok {
		return View{}, false
	}
	return e.view(en), true
}

func (e *Engine) String() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return fmt.Sprintf("engine(%d monitors)", len(e.entries))
}
