package heartbeat

import (
	"container/heap"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/safetext"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/batch"
)

// PingStore is what the hub needs from the database.
type PingStore interface {
	SavePings(ctx context.Context, b store.PingBatch) error
	HeartbeatStates(ctx context.Context) (map[string]json.RawMessage, int64, error)
	PingsAfter(ctx context.Context, after int64, limit int) ([]store.Ping, error)
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
}

// Options configure a Hub.
type Options struct {
	Store  PingStore
	Now    func() time.Time
	Logger *slog.Logger
	// Submit hands a result to the evaluator (the same path as probe
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
	// evaluator (a failure always is). Default 1 minute.
	ResubmitEvery time.Duration
	// CheckpointEvery is how often the changed heartbeat states are saved
	// along with a batch of pings. Pings are stored at once, always; the
	// states are derived from them, so a restart replays the pings after
	// the last checkpoint. Default 1s.
	CheckpointEvery time.Duration
	// Writer keeps the health of the ping writes; nil keeps none.
	Writer *batch.Writer
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
	// What was last passed to the evaluator, to pass on unchanged
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

// scheduleLocked puts the heartbeat's next deadline in the heap.
func (h *Hub) scheduleLocked(d *Definition, en *entry) {
	at, ok := Deadline(*d, en.state)
	switch {
	case !ok && en.item != nil:
		heap.Remove(&h.heap, en.item.index)
		en.item = nil
	case !ok:
	case en.item != nil:
		en.item.at = at
		heap.Fix(&h.heap, en.item.index)
	default:
		en.item = &deadlineItem{id: d.ID, at: at}
		heap.Push(&h.heap, en.item)
	}
}

func (h *Hub) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Receive takes one ping and returns once it is stored. Errors are
// *errs.Error: ENOTFOUND (unknown heartbeat), EINVALID (malformed ping),
// ERATELIMIT (too many pings), EUNAVAILABLE (shutting down, or the
// database failed: nothing was stored, the client may retry). A ping the
// database refuses gets EINVALID with ErrRefused in its chain; the pings
// sharing its commit are stored all the same.
func (h *Hub) Receive(ctx context.Context, p Ping) error {
	switch p.Kind {
	case KindSuccess, KindStart, KindFail, KindLog:
	case KindExit:
		if p.ExitStatus < 0 || p.ExitStatus > 255 {
			return errs.Errorf(errs.EINVALID, "exit status %d is out of range 0-255", p.ExitStatus)
		}
	default:
		return errs.Errorf(errs.EINVALID, "unknown ping kind %q", p.Kind)
	}
	if len(p.RunID) > 128 {
		return errs.Errorf(errs.EINVALID, "the run id is longer than 128 characters")
	}
	cleanText(&p)
	ls := h.limits.Load()
	d, err := h.resolve(ctx, p, ls)
	if err != nil {
		return err
	}
	if p.Time.IsZero() {
		p.Time = h.o.Now()
	}
	// The store keeps milliseconds; so does the state, so a replay after a
	// restart gives the same state.
	p.Time = p.Time.UTC().Truncate(time.Millisecond)
	if b, cut := safetext.CutBytes(p.Body, ls.BodyLimit); cut {
		p.Body, p.Truncated = b, true
	}
	if p.Source != "" && !ls.perClient.allow(p.Source, p.Time) {
		h.m.limited.WithLabelValues("client").Inc()
		return errs.Errorf(errs.ERATELIMIT, "too many pings from %s; slow down", p.Source)
	}
	if !ls.perHeartbeat.allow(d.ID, p.Time) {
		h.m.limited.WithLabelValues("heartbeat").Inc()
		return errs.Errorf(errs.ERATELIMIT, "too many pings for this heartbeat; slow down")
	}
	req := h.reqs.Get().(*request)
	req.ping, req.def = p, d
	h.closeMu.RLock()
	if h.closed {
		h.closeMu.RUnlock()
		h.reqs.Put(req)
		return errs.Errorf(errs.EUNAVAILABLE, "the server is shutting down; ping again shortly")
	}
	h.in <- req
	h.closeMu.RUnlock()
	// Wait for the commit even if the client went away: the writer owns
	// req until it answers.
	err = <-req.done
	req.ping, req.def = Ping{}, nil
	h.reqs.Put(req)
	return err
}

// Known returns nil when p names a heartbeat (by UUID, or by slug with the
// right ping key) and ENOTFOUND otherwise. It never creates one; the email
// listener asks it before it accepts a recipient.
func (h *Hub) Known(ctx context.Context, p Ping) error {
	p.Create = false
	_, err := h.resolve(ctx, p, h.limits.Load())
	return err
}

func (h *Hub) resolve(ctx context.Context, p Ping, ls *limitState) (*Definition, error) {
	ix := h.defs.Load()
	if p.UUID != "" {
		if d, ok := ix.byUUID[strings.ToLower(p.UUID)]; ok {
			return d, nil
		}
		return nil, errs.Errorf(errs.ENOTFOUND, "no heartbeat has uuid %q", p.UUID)
	}
	if p.Slug == "" || ls.PingKey == "" || subtle.ConstantTimeCompare([]byte(p.PingKey), []byte(ls.PingKey)) != 1 {
		return nil, errs.Errorf(errs.ENOTFOUND, "no heartbeat has this ping key and slug")
	}
	if d, ok := ix.bySlug[p.Slug]; ok {
		return d, nil
	}
	if !p.Create || h.o.Create == nil {
		return nil, errs.Errorf(errs.ENOTFOUND, "no heartbeat has slug %q", p.Slug)
	}
	// Every limit is checked before anything is created: first the cap
	// (cheap, and it needs no lock to refuse a flood), then the rates.
	if err := ls.create.full(len(ix.bySlug)); err != nil {
		h.m.limited.WithLabelValues("max_heartbeats_per_key").Inc()
		return nil, err
	}
	cancel, err := ls.create.reserve(p.Source, h.o.Now())
	if err != nil {
		var cle *CreateLimitError
		if errors.As(err, &cle) {
			h.m.limited.WithLabelValues(cle.Limit).Inc()
		}
		return nil, err
	}
	h.createMu.Lock()
	defer h.createMu.Unlock()
	ix = h.defs.Load()
	if d, ok := ix.bySlug[p.Slug]; ok {
		cancel() // created by a ping just before this one
		return d, nil
	}
	if err := ls.create.full(len(ix.bySlug)); err != nil {
		cancel()
		h.m.limited.WithLabelValues("max_heartbeats_per_key").Inc()
		return nil, err
	}
	if _, err := h.o.Create(ctx, p.Slug); err != nil {
		return nil, err
	}
	if d, ok := h.defs.Load().bySlug[p.Slug]; ok {
		h.o.Logger.Info("heartbeat created by a ping", "slug", p.Slug, "heartbeat", d.ID)
		if f, ok := ctx.Value(createdKey{}).(*bool); ok {
			*f = true
		}
		return d, nil
	}
	return nil, errs.Errorf(errs.EINTERNAL, "heartbeat for slug %q was created but is not known", p.Slug)
}

type createdKey struct{}

// ReportCreated returns a context in which Receive records, in the flag
// returned, whether the ping created its heartbeat (?create=1).
func ReportCreated(ctx context.Context) (context.Context, *bool) {
	f := new(bool)
	return context.WithValue(ctx, createdKey{}, f), f
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

func (h *Hub) writer() {
	batch := make([]*request, 0, h.o.MaxBatch)
	concurrent := false
	for {
		select {
		case r := <-h.in:
			batch = append(batch, r)
		case <-h.stop:
			// Answer everything handed in before the stop.
			for {
				select {
				case r := <-h.in:
					batch = append(batch, r)
					if len(batch) == h.o.MaxBatch {
						h.commit(batch)
						batch = batch[:0]
					}
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				h.commit(batch)
			}
			h.checkpoint()
			return
		}
		h.fill(&batch, concurrent)
		concurrent = len(batch) > 1
		h.commit(batch)
		clear(batch)
		batch = batch[:0]
	}
}

// fill takes what else is waiting. Under concurrent load (the last batch
// had company) it yields a few times first, so handlers about to hand in
// a ping join this commit instead of waiting for the next: fewer, larger
// transactions for the same pings.
func (h *Hub) fill(batch *[]*request, concurrent bool) {
	tries := 0
	if concurrent {
		tries = 3
	}
	for {
		for len(*batch) < h.o.MaxBatch {
			select {
			case r := <-h.in:
				*batch = append(*batch, r)
				continue
			default:
			}
			break
		}
		if tries == 0 || len(*batch) >= h.o.MaxBatch {
			return
		}
		tries--
		runtime.Gosched()
	}
}

// commit applies a batch to the states, writes pings and states in one
// transaction and answers every request. When the database refuses a ping
// the others are written without it (batch.Write finds it) and only its
// sender gets an error; the states then follow the pings written.
func (h *Hub) commit(reqs []*request) {
	start := time.Now()
	h.mu.Lock()
	pings, next, results := h.applyLocked(reqs)
	// Now and then the batch also carries every state changed since the
	// last checkpoint; otherwise only pings are written.
	var states map[string]json.RawMessage
	checkpoint := time.Since(h.lastCheckpoint) >= h.o.CheckpointEvery
	if checkpoint {
		var err error
		if states, err = h.dirtyStatesLocked(next); err != nil {
			h.mu.Unlock()
			h.answer(reqs, err)
			return
		}
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	idx := make([]int, len(reqs))
	for i := range idx {
		idx[i] = i
	}
	first := true
	o := batch.Write(h.o.Writer, idx, func(ix []int) error {
		if first {
			// Only the first write holds the whole batch, and so the
			// states that follow from it.
			first = false
			return h.o.Store.SavePings(ctx, store.PingBatch{Pings: pings, States: states})
		}
		b := store.PingBatch{Pings: make([]store.Ping, len(ix))}
		for j, i := range ix {
			b.Pings[j] = pings[i]
		}
		err := h.o.Store.SavePings(ctx, b)
		if err != nil && len(ix) == 1 {
			p := b.Pings[0]
			err = fmt.Errorf("%s ping of heartbeat %q from %s: %w", p.Kind, p.HeartbeatID, p.Source, err)
		}
		return err
	})
	cancel()
	h.m.commitSeconds.Observe(time.Since(start).Seconds())
	h.m.batchSize.Observe(float64(len(reqs)))
	if o.Err != nil {
		h.o.Logger.Error("storing pings", "pings", len(o.Unwritten), "err", o.Err)
		h.m.commitErrors.Inc()
	}
	if o.Err == nil && len(o.Rejected) == 0 {
		submit := h.install(reqs, next, results, states, checkpoint)
		h.answer(reqs, nil)
		h.submit(submit)
		return
	}
	// Some pings were not stored: answer each, and apply only those that
	// were, from the states before this batch.
	failed := make(map[int]error, len(o.Rejected)+len(o.Unwritten))
	for _, r := range o.Rejected {
		failed[r.Row] = &errs.Error{Code: errs.EINVALID, Message: "the ping was not stored: " + errs.Message(r.Err) + " (the pings sent with it were stored)", Err: fmt.Errorf("%w: %w", ErrRefused, r.Err)}
	}
	for _, i := range o.Unwritten {
		failed[i] = errs.Errorf(errs.EUNAVAILABLE, "the ping could not be stored; try again")
	}
	written := make([]*request, 0, len(reqs)-len(failed))
	for i, r := range reqs {
		if _, ok := failed[i]; !ok {
			written = append(written, r)
		}
	}
	var submit []probe.Result
	if len(written) > 0 {
		h.mu.Lock()
		_, next, results = h.applyLocked(written)
		h.mu.Unlock()
		submit = h.install(written, next, results, nil, false)
	}
	for i, r := range reqs {
		r.done <- failed[i]
	}
	h.submit(submit)
}

// applyLocked applies the pings of reqs, in order, to the heartbeats'
// states and returns the pings to store, the new states and the results
// for the evaluator. It changes nothing in h.
func (h *Hub) applyLocked(reqs []*request) ([]store.Ping, map[string]State, []probe.Result) {
	pings := make([]store.Ping, len(reqs))
	next := map[string]State{}
	var results []probe.Result
	for i, r := range reqs {
		id := r.def.ID
		st, ok := next[id]
		if !ok {
			if en, ok := h.states[id]; ok {
				st = en.state
			}
		}
		st, out := Apply(*r.def, st, r.ping)
		next[id] = st
		p := r.ping
		pings[i] = store.Ping{
			HeartbeatID: id, Time: p.Time, Kind: string(p.Kind), ExitStatus: p.ExitStatus, RunID: p.RunID,
			Duration: out.Duration, Body: p.Body, Truncated: p.Truncated,
			Transport: p.Transport, Method: p.Method, Source: p.Source, UserAgent: p.UserAgent,
		}
		if out.Result != nil {
			results = append(results, *out.Result)
		}
	}
	return pings, next, results
}

// install makes the states of stored pings current, reschedules their
// deadlines and returns the results to pass on to the evaluator (after the
// pings are answered). states, when checkpoint is set, were written with
// the pings.
func (h *Hub) install(reqs []*request, next map[string]State, results []probe.Result, states map[string]json.RawMessage, checkpoint bool) []probe.Result {
	ix := h.defs.Load()
	now := h.o.Now()
	var submit []probe.Result
	h.mu.Lock()
	if checkpoint {
		h.lastCheckpoint = time.Now()
		for id := range states {
			if en, ok := h.states[id]; ok {
				en.dirty = false
			}
		}
	}
	for id, st := range next {
		en := h.entryLocked(id)
		en.state, en.dirty = st, !checkpoint
		if d, ok := ix.byID[id]; ok {
			h.scheduleLocked(d, en)
		}
	}
	// Pass failures on always, successes when the state changes or now
	// and then, so a heartbeat pinged thousands of times a second does not
	// write a result per ping.
	for _, r := range results {
		en := h.states[r.MonitorID]
		failed := r.Failed()
		if failed || !en.submitted || en.submittedFailed || now.Sub(en.submittedAt) >= h.o.ResubmitEvery {
			en.submitted, en.submittedFailed, en.submittedAt = true, failed, now
			submit = append(submit, r)
		}
	}
	h.mu.Unlock()
	h.poke()
	for _, r := range reqs {
		h.m.pings.WithLabelValues(string(r.ping.Kind)).Inc()
	}
	return submit
}

func (h *Hub) submit(rs []probe.Result) {
	for _, r := range rs {
		h.o.Submit(r)
	}
}

// Queued returns how many pings wait for the writer.
func (h *Hub) Queued() int { return len(h.in) }

// dirtyStatesLocked encodes the states changed since the last checkpoint,
// with next (this batch's) over them.
func (h *Hub) dirtyStatesLocked(next map[string]State) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(next))
	enc := func(id string, st State) error {
		js, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("encoding the state of heartbeat %q: %w", id, err)
		}
		out[id] = js
		return nil
	}
	for id, en := range h.states {
		if _, ok := next[id]; en.dirty && !ok {
			if err := enc(id, en.state); err != nil {
				return nil, err
			}
		}
	}
	for id, st := range next {
		if err := enc(id, st); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkpoint saves the changed states on their own (at shutdown).
func (h *Hub) checkpoint() {
	h.mu.Lock()
	states, err := h.dirtyStatesLocked(nil)
	h.mu.Unlock()
	if err != nil || len(states) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.o.Store.SavePings(ctx, store.PingBatch{States: states}); err != nil {
		h.o.Logger.Error("saving heartbeat states", "err", err)
		return
	}
	h.mu.Lock()
	for id := range states {
		h.states[id].dirty = false
	}
	h.mu.Unlock()
}

func (h *Hub) answer(batch []*request, err error) {
	for _, r := range batch {
		r.done <- err
	}
}

// deadlines sleeps until the earliest deadline, reports what is due and
// sleeps again; a change of deadline wakes it. Idle heartbeats cost a heap
// entry each and no work.
func (h *Hub) deadlines() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		h.mu.Lock()
		var wait time.Duration = -1
		if len(h.heap) > 0 {
			wait = max(h.heap[0].at.Sub(h.o.Now()), 0)
		}
		h.mu.Unlock()
		if wait >= 0 {
			timer.Reset(wait)
		} else {
			timer.Stop()
		}
		select {
		case <-h.stop:
			return
		case <-h.wake:
			continue
		case <-timer.C:
		}
		h.expire(h.o.Now())
	}
}

// expire reports every deadline due at now.
func (h *Hub) expire(now time.Time) {
	ix := h.defs.Load()
	var out []probe.Result
	h.mu.Lock()
	for len(h.heap) > 0 && !h.heap[0].at.After(now) {
		it := h.heap[0]
		en := h.states[it.id]
		d, ok := ix.byID[it.id]
		if !ok || en == nil {
			heap.Pop(&h.heap)
			if en != nil {
				en.item = nil
			}
			continue
		}
		var rs []probe.Result
		en.state, rs = Expire(*d, en.state, now)
		if len(rs) > 0 {
			en.submitted, en.submittedFailed, en.submittedAt = true, true, now
		}
		out = append(out, rs...)
		h.scheduleLocked(d, en)
	}
	h.mu.Unlock()
	for _, r := range out {
		h.o.Logger.Info("heartbeat missed", "heartbeat", r.MonitorID, "reason", r.Reason)
		h.o.Submit(r)
	}
}

// Resubmit passes each heartbeat's current verdict to the evaluator once,
// after a restart: the evaluator's state is written apart from the pings,
// so a crash between the two must not leave a heartbeat down that pinged
// (or up that failed). Overdue heartbeats are left to their deadline,
// which fires at once.
func (h *Hub) Resubmit() {
	ix := h.defs.Load()
	now := h.o.Now()
	var out []probe.Result
	h.mu.Lock()
	for _, d := range ix.order {
		en := h.states[d.ID]
		if en == nil || en.state.LastPing.IsZero() {
			continue
		}
		st := en.state
		switch StatusAt(*d, st, now) {
		case StatusUp, StatusLate, StatusRunning, StatusDown:
		default:
			continue
		}
		if !st.LastFailed {
			if dl, ok := d.Schedule.Deadline(st.LastPing); ok && !now.Before(dl) {
				continue
			}
		}
		r := probe.Result{MonitorID: d.ID, Time: st.LastPing, Duration: st.LastDuration, Status: probe.OK, Reason: st.LastReason}
		if st.LastFailed {
			r.Status = probe.Critical
		}
		en.submitted, en.submittedFailed, en.submittedAt = true, st.LastFailed, now
		out = append(out, r)
	}
	h.mu.Unlock()
	for _, r := range out {
		h.o.Submit(r)
	}
}

// View is one heartbeat as the UI and API show it.
type View struct {
	Definition
	State State
	// Status is the heartbeat's status from its pings (the caller knows
	// whether it is paused).
	Status       Status
	NextExpected time.Time
	Deadline     time.Time
}

// Views returns every heartbeat, in definition order.
func (h *Hub) Views() []View {
	ix := h.defs.Load()
	now := h.o.Now()
	out := make([]View, 0, len(ix.order))
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range ix.order {
		out = append(out, h.viewLocked(d, now))
	}
	return out
}

// View returns one heartbeat.
func (h *Hub) View(id string) (View, bool) {
	d, ok := h.defs.Load().byID[id]
	if !ok {
		return View{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.viewLocked(d, h.o.Now()), true
}

func (h *Hub) viewLocked(d *Definition, now time.Time) View {
	var st State
	if en, ok := h.states[d.ID]; ok {
		st = en.state
	}
	v := View{Definition: *d, State: st, Status: StatusAt(*d, st, now), NextExpected: NextExpected(*d, st)}
	v.Deadline, _ = Deadline(*d, st)
	return v
}

// deadlineItem is one heartbeat's next deadline in the heap.
type deadlineItem struct {
	id    string
	at    time.Time
	index int
}

// deadlineHeap is a min-heap of deadlines (container/heap).
type deadlineHeap []*deadlineItem

func (q deadlineHeap) Len() int           { return len(q) }
func (q deadlineHeap) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q deadlineHeap) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *deadlineHeap) Push(x any) {
	it := x.(*deadlineItem)
	it.index = len(*q)
	*q = append(*q, it)
}
func (q *deadlineHeap) Pop() any {
	old := *q
	n := len(old)
	it := old[n-1]
	old[n-1] = nil
	it.index = -1
	*q = old[:n-1]
	return it
}

// hubMetrics are the ingest's counters and, at scrape time, each
// heartbeat's last ping age and run duration.
type hubMetrics struct {
	h             *Hub
	pings         *prometheus.CounterVec
	limited       *prometheus.CounterVec
	commitSeconds prometheus.Histogram
	batchSize     prometheus.Histogram
	commitErrors  prometheus.Counter
	age           *prometheus.Desc
	duration      *prometheus.Desc
	status        *prometheus.Desc
}

func newHubMetrics(h *Hub) *hubMetrics {
	return &hubMetrics{
		h: h,
		pings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_pings_total", Help: "Heartbeat pings stored, by kind.",
		}, []string{"kind"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_pings_rate_limited_total", Help: "Pings refused with 429, by limit (heartbeat, client; for ?create=1 also max_heartbeats_per_key, create_rate, client_create_rate).",
		}, []string{"limit"}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tocsin_ping_commit_seconds", Help: "Time to store one group commit of pings.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tocsin_ping_commit_pings", Help: "Pings per group commit.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tocsin_ping_commit_errors_total", Help: "Group commits that failed (their pings were answered 503).",
		}),
		age:      prometheus.NewDesc("tocsin_heartbeat_last_ping_age_seconds", "Seconds since the heartbeat's last success or failure ping.", []string{"heartbeat"}, nil),
		duration: prometheus.NewDesc("tocsin_heartbeat_run_duration_seconds", "Run time measured by the last finishing ping with a matching start.", []string{"heartbeat"}, nil),
		status:   prometheus.NewDesc("tocsin_heartbeat_up", "1 when the heartbeat is up, late or running, 0 when down; new heartbeats are absent.", []string{"heartbeat"}, nil),
	}
}

func (m *hubMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.pings.Describe(ch)
	m.limited.Describe(ch)
	m.commitSeconds.Describe(ch)
	m.batchSize.Describe(ch)
	m.commitErrors.Describe(ch)
	ch <- m.age
	ch <- m.duration
	ch <- m.status
}

func (m *hubMetrics) Collect(ch chan<- prometheus.Metric) {
	m.pings.Collect(ch)
	m.limited.Collect(ch)
	m.commitSeconds.Collect(ch)
	m.batchSize.Collect(ch)
	m.commitErrors.Collect(ch)
	now := m.h.o.Now()
	for _, v := range m.h.Views() {
		if v.State.LastPing.IsZero() {
			continue
		}
		ch <- prometheus.MustNewConstMetric(m.age, prometheus.GaugeValue, now.Sub(v.State.LastPing).Seconds(), v.ID)
		if v.State.LastDuration > 0 {
			ch <- prometheus.MustNewConstMetric(m.duration, prometheus.GaugeValue, v.State.LastDuration.Seconds(), v.ID)
		}
		up := 1.0
		if v.Status == StatusDown {
			up = 0
		}
		ch <- prometheus.MustNewConstMetric(m.status, prometheus.GaugeValue, up, v.ID)
	}
}

var (
	_ Receiver             = (*Hub)(nil)
	_ prometheus.Collector = (*hubMetrics)(nil)
)
