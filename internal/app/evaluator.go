package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tocsin/tocsin/internal/alert"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/batch"
)

// entry is the live side of one configured monitor.
type entry struct {
	cfg    config.Monitor
	policy monitor.Policy
	prober probe.Prober
	state  monitor.State
	last   *probe.Result
}

type evaluatorOptions struct {
	store   store.Store
	log     *slog.Logger
	now     func() time.Time
	metrics *appMetrics
	wake    func()
	flush   time.Duration
	// writer keeps the health of the writes (nil: not kept).
	writer *batch.Writer
}

// evaluator is the single writer of monitor state. Results from the
// scheduler's probes arrive on a channel; each goes through the pure state
// machine; results, states, transitions and the notifications they cause
// are collected in memory and written in one transaction per flush, so per
// check there is no database round trip.
type evaluator struct {
	o       evaluatorOptions
	results chan probe.Result
	done    chan struct{}
	closing sync.Once

	mu      sync.RWMutex
	cfg     *config.Config
	entries map[string]*entry
	order   []string
	// saved holds states loaded from the store for monitors not (yet)
	// configured, so a monitor removed and re-added keeps its history.
	saved map[string]monitor.State

	batchMu sync.Mutex
	batch   store.Batch
}

func newEvaluator(o evaluatorOptions, saved map[string]monitor.State) *evaluator {
	if saved == nil {
		saved = map[string]monitor.State{}
	}
	return &evaluator{
		o:       o,
		results: make(chan probe.Result, 4096),
		done:    make(chan struct{}),
		entries: map[string]*entry{},
		saved:   saved,
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

// apply swaps in a configuration. Monitors that stay keep their state (and
// their prober when the definition did not change); removed monitors leave
// memory but keep their stored history.
func (e *evaluator) apply(cfg *config.Config, probers map[string]probe.Prober) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.o.now().UTC()
	entries := make(map[string]*entry, len(cfg.Monitors))
	order := make([]string, 0, len(cfg.Monitors))
	for _, m := range cfg.Monitors {
		en := &entry{cfg: m, policy: policyFor(m), prober: probers[m.ID]}
		if old, ok := e.entries[m.ID]; ok {
			en.state, en.last = old.state, old.last
		} else if st, ok := e.saved[m.ID]; ok {
			en.state, en.last = st, lastFromState(m.ID, st)
			delete(e.saved, m.ID)
		} else {
			en.state = monitor.State{Status: monitor.StatusPending, Since: now}
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
			e.saved[id] = old.state
			e.o.metrics.forget(id)
		}
	}
	e.cfg, e.entries, e.order = cfg, entries, order
	return nil
}

func (e *evaluator) probers() map[string]probe.Prober {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make(map[string]probe.Prober, len(e.entries))
	for id, en := range e.entries {
		out[id] = en.prober
	}
	return out
}

// paused reports whether a monitor should be skipped by the scheduler.
func (e *evaluator) paused(id string) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	en, ok := e.entries[id]
	return !ok || en.state.Status == monitor.StatusPaused
}

// submit hands a result to the evaluator; it blocks while the queue is
// full (back pressure on probes) and gives up when ctx ends.
func (e *evaluator) submit(ctx context.Context, r probe.Result) {
	select {
	case e.results <- r:
	case <-ctx.Done():
	case <-e.done:
	}
}

func (e *evaluator) run(ctx context.Context) {
	t := time.NewTicker(e.o.flush)
	defer t.Stop()
	for {
		select {
		case r := <-e.results:
			e.evaluate(r)
			if e.pending() >= 2000 {
				e.flushNow(ctx)
			}
		case <-t.C:
			e.flushNow(ctx)
		case <-e.done:
			// Drain what the probes already handed in, then write it.
			for {
				select {
				case r := <-e.results:
					e.evaluate(r)
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

func (e *evaluator) close() { e.closing.Do(func() { close(e.done) }) }

func (e *evaluator) pending() int {
	e.batchMu.Lock()
	defer e.batchMu.Unlock()
	return len(e.batch.Results) + len(e.batch.Transitions)
}

// queued counts every row waiting for the next flush (the writer's queue
// depth).
func (e *evaluator) queued() int {
	e.batchMu.Lock()
	defer e.batchMu.Unlock()
	b := &e.batch
	return len(b.Results) + len(b.States) + len(b.Transitions) + len(b.Outbox)
}

func (e *evaluator) evaluate(r probe.Result) {
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
	now := e.o.now().UTC()
	next, ts := monitor.Evaluate(en.policy, en.state, r, now)
	en.state = next
	rr := r
	en.last = &rr
	cfg := e.cfg
	m := en.cfg
	e.mu.Unlock()

	e.o.metrics.observe(m, r, next)
	e.batchMu.Lock()
	e.batch.Results = append(e.batch.Results, r)
	e.batch.States[r.MonitorID] = next
	e.batch.Transitions = append(e.batch.Transitions, ts...)
	for _, t := range ts {
		e.batch.Outbox = append(e.batch.Outbox, notifications(cfg, t)...)
		e.o.log.Info("monitor state changed", "monitor", t.MonitorID, "from", t.From, "to", t.To, "flapping", t.Flapping, "reason", t.Reason)
	}
	e.batchMu.Unlock()
}

// notifications are the outbox messages t causes.
func notifications(cfg *config.Config, t monitor.Transition) []notify.OutboxMessage {
	a, ok := alert.Raise(cfg, t, cfg.Server.BaseURL)
	if !ok {
		return nil
	}
	return notify.Messages(a.Event, a.Channels, uuid.NewString)
}

// record adds a state change that did not come from a result (pause,
// resume) to the next batch. Callers hold e.mu.
func (e *evaluator) record(id string, st monitor.State, ts []monitor.Transition) {
	e.batchMu.Lock()
	defer e.batchMu.Unlock()
	e.batch.States[id] = st
	e.batch.Transitions = append(e.batch.Transitions, ts...)
	if e.cfg != nil {
		for _, t := range ts {
			e.batch.Outbox = append(e.batch.Outbox, notifications(e.cfg, t)...)
		}
	}
}

// flushNow writes the collected batch. A row the store refuses is dropped
// (counted and logged by the writer) and the rest written; when the store
// cannot write at all, what is left is kept and retried at the next flush,
// so a database hiccup delays but loses nothing.
func (e *evaluator) flushNow(ctx context.Context) {
	e.batchMu.Lock()
	b := e.batch
	if b.Empty() {
		e.batchMu.Unlock()
		return
	}
	e.batch = store.Batch{States: map[string]monitor.State{}}
	e.batchMu.Unlock()

	start := time.Now()
	var o batch.Outcome[store.BatchRow]
	err := e.o.writer.Do(func() error { return e.o.store.SaveBatch(ctx, b) })
	switch {
	case err == nil:
	case batch.Refused(err):
		// Rare: split the batch into rows to find the refused ones.
		o = batch.Write(e.o.writer, b.Rows(), func(rows []store.BatchRow) error {
			err := e.o.store.SaveBatch(ctx, store.JoinRows(rows))
			if err != nil && len(rows) == 1 {
				err = fmt.Errorf("%s: %w", rows[0], err)
			}
			return err
		})
	default:
		o.Err, o.Unwritten = err, b.Rows()
	}
	e.o.metrics.flushSeconds.Observe(time.Since(start).Seconds())
	if o.Err != nil {
		e.o.metrics.flushErrors.Inc()
		e.o.log.Error("saving results", "results", len(b.Results), "transitions", len(b.Transitions), "err", o.Err)
		left := store.JoinRows(o.Unwritten)
		e.batchMu.Lock()
		// Put what was not written back in front of what arrived
		// meanwhile; newer states win.
		for id, st := range e.batch.States {
			left.States[id] = st
		}
		left.Results = append(left.Results, e.batch.Results...)
		left.Transitions = append(left.Transitions, e.batch.Transitions...)
		left.Outbox = append(left.Outbox, e.batch.Outbox...)
		e.batch = left
		e.batchMu.Unlock()
	}
	if len(b.Outbox) > 0 && e.o.wake != nil {
		e.o.wake()
	}
}

// setPaused pauses or resumes one monitor on a person's request.
func (e *evaluator) setPaused(id string, paused bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	en, ok := e.entries[id]
	if !ok {
		return errs.Errorf(errs.ENOTFOUND, "no monitor %q", id)
	}
	now := e.o.now().UTC()
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
	e.record(id, en.state, ts)
	return nil
}

func (e *evaluator) views() []entry {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]entry, 0, len(e.order))
	for _, id := range e.order {
		out = append(out, *e.entries[id])
	}
	return out
}

func (e *evaluator) view(id string) (entry, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	en, ok := e.entries[id]
	if !ok {
		return entry{}, false
	}
	return *en, true
}

func (e *evaluator) String() string { return fmt.Sprintf("evaluator(%d monitors)", len(e.entries)) }
