package heartbeat

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/batch"
)

// PingStore is what the hub needs from the database.
type PingStore interface {
	SavePings(ctx context.Context, b store.PingBatch) error
	HeartbeatStates(ctx context.Context) (map[string]json.RawMessage, int64, error)
	PingsAfter(ctx context.Context, after int64, limit int) ([]store.Ping, error)
	TakeRouted(ctx context.Context, kind string, buckets []int, limit int, take func([]store.Routed) (map[string]json.RawMessage, error)) (int, error)
}

// Limits are the ping API's settings (server.pings in the config).
type Limits struct {
	// PingKey authenticates slug pings; "" turns slug pings off.
	PingKey string
	// BodyLimit is how many bytes of a body are kept.
	BodyLimit int
	// HeartbeatRate and ClientRate are pings per second; 0 is no limit.
	HeartbeatRate int
	ClientRate    int
	// MaxSlugHeartbeats bounds the heartbeats with a slug: past it a
	// ?create=1 ping creates nothing. 0 is no limit.
	MaxSlugHeartbeats int
	// CreateRate and ClientCreateRate are how many heartbeats ?create=1
	// pings may create per minute, with the ping key and per client
	// address; 0 is no limit.
	CreateRate       int
	ClientCreateRate int
	// UnknownNotFound answers a ping to an unknown heartbeat 404 instead
	// of 200 "OK (not found)".
	UnknownNotFound bool
}

// Options configure a Hub.
type Options struct {
	Store  PingStore
	Now    func() time.Time
	Logger *slog.Logger
	// Submit hands a result to the engine (the same path as probe
	// results). It is called from the hub's goroutines, never with a lock
	// held.
	Submit func(probe.Result)
	// Create provisions a heartbeat for an unknown slug (?create=1); it
	// must make the new definition known to the hub (SetDefinitions)
	// before returning. nil disables auto-provisioning.
	Create func(ctx context.Context, slug string) (Definition, error)
	// Registerer receives the hub's metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// MaxBatch bounds the pings of one group commit. Default 2000.
	MaxBatch int
	// ResubmitEvery is how often an unchanged success is passed on to the
	// engine (a failure always is). Default 1 minute.
	ResubmitEvery time.Duration
	// CheckpointEvery is how often the changed heartbeat states are saved
	// along with a batch of pings. Pings are stored at once, always; the
	// states are derived from them, so a restart replays the pings after
	// the last checkpoint. Default 1s.
	CheckpointEvery time.Duration
	// Writer keeps the health of the ping writes; nil keeps none.
	Writer *batch.Writer
	// Owner says which heartbeats this process runs when several
	// replicas share the database (route.go); nil runs every heartbeat.
	Owner Owner
}

// ErrRefused is in the chain of the error Receive returns for a ping the
// database refused: that ping alone was not stored, the others of its
// group commit were.
var ErrRefused = errors.New("the database refused the ping")

// Hub receives pings, stores them with group commit, keeps each
// heartbeat's state and turns missed deadlines into failed results. It
// implements Receiver.
//
// Durability: Receive returns only once the transaction holding the ping
// has committed. One writer goroutine takes every ping waiting at that
// moment and writes them in one transaction, so concurrent pings share a
// commit instead of queueing for one each, and nothing acknowledged lives
// only in memory.
//
// Each role has a file: ingest.go takes pings (Receive, Known, ?create=1),
// writer.go commits them in groups with the state checkpoints,
// deadlines.go keeps the deadline heap and reports misses, views.go reads
// the states for the UI and API, metrics.go exports them.
type Hub struct {
	o      Options
	defs   atomic.Pointer[index]
	limits atomic.Pointer[limitState]

	in   chan *request
	stop chan struct{}
	// closeMu makes Close wait for pings being handed in, so the writer's
	// last drain sees every one of them.
	closeMu  sync.RWMutex
	closed   bool
	done     chan struct{}
	wake     chan struct{}
	createMu sync.Mutex
	// reqs recycles requests and their answer channels.
	reqs sync.Pool

	// applyMu orders the changes of states that are written to the
	// database: a group commit, a take of routed pings, missed deadlines.
	applyMu sync.Mutex

	mu     sync.Mutex
	states map[string]*entry
	heap   deadlineHeap
	// lastCheckpoint is when states were last saved (writer only).
	lastCheckpoint time.Time

	m *hubMetrics
}

type limitState struct {
	Limits
	perHeartbeat *limiter
	perClient    *limiter
	create       *createLimits
}

// index is an immutable snapshot of the definitions, swapped whole.
type index struct {
	byID   map[string]*Definition
	byUUID map[string]*Definition
	bySlug map[string]*Definition
	order  []*Definition
}

// entry is the live side of one heartbeat.
type entry struct {
	state State
	// item is the heartbeat's place in the deadline heap, nil when
	// nothing is due.
	item *deadlineItem
	// What was last passed to the engine, to pass on unchanged
	// successes only now and then.
	submitted       bool
	submittedFailed bool
	submittedAt     time.Time
	// dirty is set while state has changed since the last checkpoint.
	dirty bool
}

type request struct {
	ping Ping
	def  *Definition
	done chan error
}

// New returns a Hub; call Load, SetDefinitions, then Run.
func New(o Options) *Hub {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Submit == nil {
		o.Submit = func(probe.Result) {}
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 2000
	}
	if o.ResubmitEvery <= 0 {
		o.ResubmitEvery = time.Minute
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = time.Second
	}
	h := &Hub{
		o:      o,
		in:     make(chan *request, 4*o.MaxBatch),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		wake:   make(chan struct{}, 1),
		states: map[string]*entry{},
	}
	h.reqs.New = func() any { return &request{done: make(chan error, 1)} }
	h.defs.Store(&index{byID: map[string]*Definition{}, byUUID: map[string]*Definition{}, bySlug: map[string]*Definition{}})
	h.SetLimits(Limits{BodyLimit: 100_000})
	h.m = newHubMetrics(h)
	if o.Registerer != nil {
		o.Registerer.MustRegister(h.m)
	}
	return h
}

// SetLimits swaps the ping API's settings. Rate limiter buckets start anew
// only when a rate changes.
func (h *Hub) SetLimits(l Limits) {
	prev := h.limits.Load()
	ls := &limitState{Limits: l}
	if prev != nil && prev.HeartbeatRate == l.HeartbeatRate {
		ls.perHeartbeat = prev.perHeartbeat
	} else {
		ls.perHeartbeat = newLimiter(l.HeartbeatRate)
	}
	if prev != nil && prev.ClientRate == l.ClientRate {
		ls.perClient = prev.perClient
	} else {
		ls.perClient = newLimiter(l.ClientRate)
	}
	if prev != nil && prev.CreateRate == l.CreateRate && prev.ClientCreateRate == l.ClientCreateRate && prev.MaxSlugHeartbeats == l.MaxSlugHeartbeats {
		ls.create = prev.create
	} else {
		ls.create = newCreateLimits(l)
	}
	h.limits.Store(ls)
}

// BodyLimit is the number of body bytes kept per ping.
func (h *Hub) BodyLimit() int { return h.limits.Load().BodyLimit }

// UnknownNotFound says whether a ping to an unknown heartbeat is answered
// 404 rather than 200 "OK (not found)".
func (h *Hub) UnknownNotFound() bool { return h.limits.Load().UnknownNotFound }

// Load reads the saved heartbeat states and replays the pings stored
// after their checkpoint. Call it before SetDefinitions and Run.
func (h *Hub) Load(ctx context.Context) error {
	saved, through, err := h.o.Store.HeartbeatStates(ctx)
	if err != nil {
		return fmt.Errorf("loading heartbeat states: %w", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, js := range saved {
		var st State
		if err := json.Unmarshal(js, &st); err != nil {
			h.o.Logger.Error("ignoring an unreadable heartbeat state", "heartbeat", id, "err", err)
			continue
		}
		h.states[id] = &entry{state: st}
	}
	replayed := 0
	for {
		ps, err := h.o.Store.PingsAfter(ctx, through, 5000)
		if err != nil {
			return fmt.Errorf("replaying pings: %w", err)
		}
		for _, p := range ps {
			en := h.entryLocked(p.HeartbeatID)
			en.state, _ = Apply(Definition{ID: p.HeartbeatID}, en.state, Ping{Kind: Kind(p.Kind), ExitStatus: p.ExitStatus, RunID: p.RunID, Time: p.Time, Transport: p.Transport})
			en.dirty = true
			through = p.ID
		}
		replayed += len(ps)
		if len(ps) < 5000 {
			break
		}
	}
	if replayed > 0 {
		h.o.Logger.Info("replayed pings after the last heartbeat checkpoint", "pings", replayed)
	}
	return nil
}

// SetDefinitions swaps in the heartbeats to watch. Heartbeats that stay
// keep their state; a changed schedule moves the deadline.
func (h *Hub) SetDefinitions(defs []Definition) {
	ix := &index{
		byID:   make(map[string]*Definition, len(defs)),
		byUUID: make(map[string]*Definition, len(defs)),
		bySlug: make(map[string]*Definition),
		order:  make([]*Definition, 0, len(defs)),
	}
	for i := range defs {
		d := defs[i]
		d.UUID = strings.ToLower(d.UUID)
		ix.byID[d.ID] = &d
		ix.byUUID[d.UUID] = &d
		if d.Slug != "" {
			ix.bySlug[d.Slug] = &d
		}
		ix.order = append(ix.order, &d)
	}
	h.mu.Lock()
	h.defs.Store(ix)
	for id, en := range h.states {
		if _, ok := ix.byID[id]; !ok && en.item != nil {
			heap.Remove(&h.heap, en.item.index)
			en.item = nil
		}
	}
	for _, d := range ix.order {
		en := h.entryLocked(d.ID)
		h.scheduleLocked(d, en)
	}
	h.mu.Unlock()
	h.poke()
}

// Definition returns the heartbeat with id.
func (h *Hub) Definition(id string) (Definition, bool) {
	d, ok := h.defs.Load().byID[id]
	if !ok {
		return Definition{}, false
	}
	return *d, true
}

// Taken reports whether a uuid or slug is used by a known heartbeat.
func (h *Hub) Taken(uuid, slug string) bool {
	ix := h.defs.Load()
	if _, ok := ix.byUUID[strings.ToLower(uuid)]; ok && uuid != "" {
		return true
	}
	_, ok := ix.bySlug[slug]
	return ok && slug != ""
}

func (h *Hub) entryLocked(id string) *entry {
	en, ok := h.states[id]
	if !ok {
		en = &entry{}
		h.states[id] = en
	}
	return en
}

// Run writes pings and watches deadlines until Close. It returns when
// every received ping has been answered.
func (h *Hub) Run() {
	var wg sync.WaitGroup
	wg.Go(h.deadlines)
	h.writer()
	wg.Wait()
	close(h.done)
}

// Close stops taking pings: Receive answers EUNAVAILABLE from then on, and
// Run writes the pings already handed in and returns (see Done).
func (h *Hub) Close() {
	h.closeMu.Lock()
	defer h.closeMu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.stop)
	}
}

// Done is closed when Run has returned.
func (h *Hub) Done() <-chan struct{} { return h.done }

var _ Receiver = (*Hub)(nil)
