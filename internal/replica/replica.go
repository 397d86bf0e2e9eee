package replica

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// Options configure a Manager.
type Options struct {
	// Store holds the registry and the leases. Required.
	Store store.Replicas
	// ID is this replica's server.replica_id. Required.
	ID string
	// TTL is server.lease_ttl. Default 15s.
	TTL time.Duration
	// Buckets is how many buckets the monitors hash into; every replica
	// must use the same. Default DefaultBuckets.
	Buckets int
	// Now is the clock; default time.Now, whose monotonic reading times
	// the fencing.
	Now func() time.Time
	// Sleep waits between rounds and while a replica of the same id
	// stops; default a timer. Tests pass one that moves a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives ownership changes and failures. Default: discard.
	Logger *slog.Logger
	// Registerer receives the tocsin_replica_* metrics; nil registers none.
	Registerer prometheus.Registerer
	// Describe fills in what each heartbeat says of this process beyond
	// what the Manager knows: Address, Version, Monitors, Lag. May be nil.
	Describe func(r *store.Replica)
	// Acquire is called with buckets about to become this replica's,
	// once their previous holder can no longer write to them and before
	// Owns says yes for their monitors: the engine loads their stored
	// state there. An error leaves them for the next round. May be nil.
	Acquire func(ctx context.Context, buckets []int) error
	// Gone is called with the ids of replicas a round finds silent for a
	// lease time (dead, stopped or cut off), once per process of each:
	// the app ends the leases they held on notifications and escalation
	// timers there, so those are taken over within the lease time too,
	// not when their own (longer) leases end. An error has it called
	// again at the next round. May be nil.
	Gone func(ctx context.Context, replicas []string) error
	// Acquired is called with the buckets Acquire loaded once Owns says
	// yes for their monitors: the timers of the work taken over (heartbeat
	// deadlines) start there, and the monitors whose run fell due while
	// nobody held them are run. May be nil.
	Acquired func(buckets []int)
	// Owned is called whenever Owns starts saying yes for monitors it
	// said no to, buckets taken or renewed after they were fenced, before
	// Acquired: the scheduler puts back the monitors it set aside as
	// another's. It is called with the Manager's lock held, so it must
	// not call the Manager (Owns and Fenced read no lock). May be nil.
	Owned func()
	// Release is called with buckets about to be given up on purpose
	// (balancing), once Owns says no for their monitors and before their
	// leases are given up: the engine writes their monitors' last rows
	// there, while the leases still cover those writes (Fence). It is
	// given at most the grace a released bucket waits; an error or a
	// ctx that ends gives them up all the same. May be nil.
	Release func(ctx context.Context, buckets []int) error
}

// Manager is the lease-based ownership of one replica: it heartbeats the
// registry, keeps its fair share of bucket leases, and answers Owns from
// memory. It implements engine.Ownership.
type Manager struct {
	o        Options
	instance string
	host     string
	started  time.Time
	margin   time.Duration
	grace    time.Duration
	metrics  *metrics

	// snap is what Owns reads: by bucket, when this replica stops
	// treating it as its own (zero: not its own).
	snap atomic.Pointer[[]time.Time]

	// mu guards the round's state below (one round at a time).
	mu sync.Mutex
	// pending buckets are claimed but not run yet: from is when the
	// previous holder's lease ends.
	pending map[int]pendingBucket
	// fence is the running buckets' fencing times (a copy is published).
	fence map[int]time.Time
	// statusMu guards status, the registry as the last round read it,
	// apart from mu so that pages and scrapes never wait for a round
	// stuck on the database.
	statusMu sync.Mutex
	status   Status
	// rounds counts the rounds run.
	rounds int
	// gone is the instance of each silent replica Gone was told of.
	gone map[string]string
}

// A replica not seen for forgetAfter leaves the registry; rounds check for
// such rows every forgetEvery rounds (about an hour at the default TTL).
const (
	forgetAfter = 24 * time.Hour
	forgetEvery = 720
)

type pendingBucket struct {
	from, fence time.Time
}

// Status is the registry as a replica last read it.
type Status struct {
	// Self is this replica's id.
	Self string
	// Replicas are the recorded replicas by id; Live says whether each
	// heartbeated within the lease time.
	Replicas []Replica
	// Read is when the registry was read; zero before the first round.
	Read time.Time
	// Fenced is true while this replica holds no valid lease because it
	// could not renew them.
	Fenced bool
}

// Replica is one recorded replica and whether it is live.
type Replica struct {
	store.Replica
	Live bool
}

// New returns a Manager; nothing is held until Join.
func New(o Options) *Manager {
	if o.TTL <= 0 {
		o.TTL = 15 * time.Second
	}
	if o.Buckets <= 0 {
		o.Buckets = DefaultBuckets
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	host, _ := os.Hostname()
	m := &Manager{
		o:        o,
		instance: hex.EncodeToString(b[:]),
		host:     host,
		margin:   Margin(o.TTL),
		// grace is how long a bucket given up waits before its next
		// holder runs it: the results its monitors produced just before
		// are written within it (the engine flushes every 200ms).
		grace:   o.TTL / 5,
		pending: map[int]pendingBucket{},
		gone:    map[string]string{},
		fence:   map[int]time.Time{},
		status:  Status{Self: o.ID},
	}
	m.metrics = newMetrics(m)
	if o.Registerer != nil {
		o.Registerer.MustRegister(m.metrics)
	}
	empty := make([]time.Time, o.Buckets)
	m.snap.Store(&empty)
	return m
}

// Margin is how long before its lease ends a replica stops running a
// bucket it could not renew, and stops writing for it (Fence): what
// replicas' clocks may disagree by, plus a database round trip. On
// PostgreSQL it is also how long the server lets a replica's session wait
// for its client in the middle of a transaction (the store's
// IdleInTransaction), so that a write stalled after its fence check
// holds up a takeover of its buckets no later than their lease's end.
func Margin(ttl time.Duration) time.Duration { return ttl / 5 }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Owns reports whether monitorID's bucket is this replica's now: it holds
// the lease, its previous holder's ended, and its last renewal is recent
// enough (fencing). It reads memory only.
func (m *Manager) Owns(monitorID string) bool {
	f := (*m.snap.Load())[BucketOf(monitorID, m.o.Buckets)]
	return !f.IsZero() && m.o.Now().Before(f)
}

// Fenced reports whether monitorID's bucket was this replica's and has
// stopped running here because its lease could not be renewed in time,
// while no round has yet found another replica holding it: the engine
// holds the rows of its monitors it could not write until a round renews
// the lease (they are written) or finds it lost (they are dropped).
func (m *Manager) Fenced(monitorID string) bool {
	f := (*m.snap.Load())[BucketOf(monitorID, m.o.Buckets)]
	return !f.IsZero() && !m.o.Now().Before(f)
}

// Fence returns the fence of a write of the monitors ids yields: this
// replica must hold the leases of their buckets, each ending more than
// the fencing margin after the write's check, the time this replica
// itself stops running a bucket it could not renew. Nil for no monitor.
func (m *Manager) Fence(ids iter.Seq[string]) *store.Fence {
	seen := make([]bool, m.o.Buckets)
	var buckets []int
	for id := range ids {
		if b := BucketOf(id, m.o.Buckets); !seen[b] {
			seen[b] = true
			buckets = append(buckets, b)
		}
	}
	if len(buckets) == 0 {
		return nil
	}
	return &store.Fence{Owner: m.o.ID, Buckets: buckets, Margin: m.margin}
}

// Revoke stops running buckets at once, as if their fencing time had
// passed: a write found that this replica no longer holds their leases
// (another took them over, or they end within the margin). Their monitors
// count as Fenced until the next round renews the leases or finds them
// taken. It waits for no round.
func (m *Manager) Revoke(buckets []int) {
	now := m.o.Now()
	for {
		old := m.snap.Load()
		s := slices.Clone(*old)
		changed := false
		for _, b := range buckets {
			if b >= 0 && b < len(s) && now.Before(s[b]) {
				s[b] = now
				changed = true
			}
		}
		if !changed || m.snap.CompareAndSwap(old, &s) {
			if changed {
				m.o.Logger.Warn("buckets stopped: a write found their leases lost", "replica", m.o.ID, "buckets", len(buckets))
			}
			return
		}
	}
}

// Bucket returns the bucket id hashes into.
func (m *Manager) Bucket(id string) int { return BucketOf(id, m.o.Buckets) }

// Buckets returns the buckets this replica runs now, in order.
func (m *Manager) Buckets() []int {
	now := m.o.Now()
	var out []int
	for b, f := range *m.snap.Load() {
		if !f.IsZero() && now.Before(f) {
			out = append(out, b)
		}
	}
	return out
}

// Status returns the registry as the last round read it.
func (m *Manager) Status() Status {
	m.statusMu.Lock()
	s := m.status
	s.Replicas = slices.Clone(s.Replicas)
	m.statusMu.Unlock()
	s.Fenced = m.fenced()
	return s
}

// fenced reports whether every bucket this replica ran has passed its
// fencing time without a renewal.
func (m *Manager) fenced() bool {
	now := m.o.Now()
	held := false
	for _, f := range *m.snap.Load() {
		if f.IsZero() {
			continue
		}
		if now.Before(f) {
			return false
		}
		held = true
	}
	return held
}

// ID returns this replica's id.
func (m *Manager) ID() string { return m.o.ID }

// TTL returns the lease time.
func (m *Manager) TTL() time.Duration { return m.o.TTL }

// ErrIDInUse says another live process runs under this replica's id.
var ErrIDInUse = errors.New("replica id in use")

// Join records this replica in the registry. When a process under the
// same id was seen within the lease time, it waits for that process's
// heartbeats to stop (a restart after a crash: its leases end meanwhile),
// and fails with ErrIDInUse when they go on (a second process given the
// same id).
func (m *Manager) Join(ctx context.Context) error {
	m.started = m.o.Now()
	var first *store.Replica
	deadline := m.started.Add(m.o.TTL + m.o.TTL/3)
	for {
		other, err := m.heartbeat(ctx)
		if err == nil {
			return nil
		}
		if errs.Code(err) != errs.ECONFLICT {
			return fmt.Errorf("joining the replicas: %w", err)
		}
		switch {
		case other.Host == m.host && other.PID != os.Getpid() && !processAlive(other.PID):
			// The previous process under this id ran on this host and is
			// gone (a crash, kill -9): nothing of it runs any more, so
			// its row and leases are this one's at once.
			m.o.Logger.Info("taking over from this replica's previous process, which ended", "replica", m.o.ID, "pid", other.PID)
			if _, err := m.o.Store.Heartbeat(ctx, m.row(m.o.Now()), other.Seen.Add(time.Millisecond)); err == nil {
				return nil
			}
		case first == nil:
			first = &other
			m.o.Logger.Warn("another process was running as this replica moments ago; waiting for its leases to end",
				"replica", m.o.ID, "host", other.Host, "pid", other.PID, "address", other.Address, "last_seen", other.Seen)
		case other.Seen.After(first.Seen) || other.Instance != first.Instance || m.o.Now().After(deadline):
			return fmt.Errorf("%w: replica %q is already running (pid %d on %s, listening on %s, started %s): give each replica its own server.replica_id",
				ErrIDInUse, m.o.ID, other.PID, other.Host, other.Address, other.Started.Format(time.RFC3339))
		}
		if err := m.o.Sleep(ctx, m.o.TTL/3); err != nil {
			return err
		}
	}
}

func (m *Manager) heartbeat(ctx context.Context) (store.Replica, error) {
	now := m.o.Now()
	return m.o.Store.Heartbeat(ctx, m.row(now), now.Add(-m.o.TTL))
}

// row is this replica's registry row as of now.
func (m *Manager) row(now time.Time) store.Replica {
	r := store.Replica{ID: m.o.ID, Instance: m.instance, Host: m.host, PID: os.Getpid(), Started: m.started, Seen: now}
	if m.o.Describe != nil {
		m.o.Describe(&r)
	}
	r.Buckets = len(m.Buckets())
	return r
}

// Run holds and balances the leases until ctx ends, one round every third
// of the lease time (sooner when a bucket taken waits for its previous
// holder's lease to end).
func (m *Manager) Run(ctx context.Context) {
	for {
		next, err := m.Round(ctx)
		if err != nil && ctx.Err() == nil {
			m.metrics.failures.Inc()
			m.o.Logger.Error("replica round failed; monitors stop running here when the leases end", "replica", m.o.ID, "err", err)
		}
		if m.o.Sleep(ctx, next) != nil {
			return
		}
	}
}

// Round runs one round: heartbeat, read the registry and the leases,
// renew what this replica holds, take or give up buckets toward its fair
// share, and start running those whose previous holder's lease has
// ended. It returns how long to wait for the next round.
func (m *Manager) Round(ctx context.Context) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	period := m.o.TTL / 3
	// A round stuck on an unanswering database gives up in time for the
	// next; fencing does not depend on it (Owns reads the clock).
	ctx, cancel := context.WithTimeout(ctx, m.o.TTL/2)
	defer cancel()
	sent := m.o.Now()
	st := m.o.Store
	if _, err := m.heartbeat(ctx); err != nil {
		if errs.Code(err) == errs.ECONFLICT {
			// Another process took this id over while this one was cut
			// off: everything it held is that process's to take.
			m.dropLocked(m.fenceKeys())
			m.publishLocked()
		}
		return period, err
	}
	if m.rounds++; m.rounds%forgetEvery == 1 {
		if _, err := st.ForgetReplicas(ctx, sent.Add(-forgetAfter)); err != nil {
			return period, err
		}
	}
	reps, err := st.Replicas(ctx)
	if err != nil {
		return period, err
	}
	seen := make([]Replica, 0, len(reps))
	live := []string{m.o.ID}
	var gone []string
	for _, r := range reps {
		alive := r.Seen.After(sent.Add(-m.o.TTL))
		seen = append(seen, Replica{Replica: r, Live: alive})
		if !alive {
			if r.ID != m.o.ID && m.gone[r.ID] != r.Instance {
				gone = append(gone, r.ID)
				m.gone[r.ID] = r.Instance
			}
			continue
		}
		delete(m.gone, r.ID)
		live = append(live, r.ID)
		// A replica that missed a heartbeat may be dead: look again the
		// moment it would count as gone, when its leases end too, so its
		// monitors move within one lease time of its last renewal.
		if gone := r.Seen.Add(m.o.TTL + time.Millisecond); r.ID != m.o.ID && sent.Sub(r.Seen) > period+period/2 && gone.Sub(sent) < period {
			period = gone.Sub(sent)
		}
	}
	m.statusMu.Lock()
	m.status.Replicas, m.status.Read = seen, sent
	m.statusMu.Unlock()
	if len(gone) > 0 && m.o.Gone != nil {
		if err := m.o.Gone(ctx, gone); err != nil {
			for _, id := range gone {
				delete(m.gone, id)
			}
			m.o.Logger.Error("taking over the notification leases of silent replicas", "replicas", gone, "err", err)
		}
	}
	leases, err := st.BucketLeases(ctx, m.o.Buckets)
	if err != nil {
		return period, err
	}
	var held []int
	for _, l := range leases {
		if l.Owner == m.o.ID {
			held = append(held, l.Bucket)
		}
	}
	renewed, err := st.RenewBuckets(ctx, m.o.ID, held, sent.Add(m.o.TTL))
	if err != nil {
		return period, err
	}
	fence := sent.Add(m.o.TTL - m.margin)
	mine := make(map[int]bool, len(renewed))
	for _, b := range renewed {
		mine[b] = true
		switch p, ok := m.pending[b]; {
		case ok:
			p.fence = fence
			m.pending[b] = p
		case !m.fence[b].IsZero():
			m.fence[b] = fence
		default:
			// Ours in the database but not in memory: a claim whose
			// answer was lost. Nobody else held it since.
			m.pending[b] = pendingBucket{from: sent, fence: fence}
		}
	}
	var lost []int
	for b := range m.fence {
		if !mine[b] {
			lost = append(lost, b)
		}
	}
	for b := range m.pending {
		if !mine[b] {
			lost = append(lost, b)
		}
	}
	if len(lost) > 0 {
		m.o.Logger.Warn("buckets taken over by another replica", "replica", m.o.ID, "buckets", len(lost))
		m.dropLocked(lost)
	}

	plan := Rebalance(m.o.ID, live, leases, sent)
	if len(plan.Release) > 0 {
		// Stop first, write what was evaluated, then say so: the next
		// holder waits out the grace.
		m.dropLocked(plan.Release)
		m.publishLocked()
		if m.o.Release != nil {
			wctx, cancel := context.WithTimeout(ctx, m.grace)
			if err := m.o.Release(wctx, plan.Release); err != nil {
				m.o.Logger.Warn("buckets given up before their last results were written", "replica", m.o.ID, "buckets", len(plan.Release), "err", err)
			}
			cancel()
		}
		if err := st.ReleaseBuckets(ctx, m.o.ID, plan.Release, m.o.Now().Add(m.grace)); err != nil {
			return period, err
		}
		m.metrics.moved.WithLabelValues("released").Add(float64(len(plan.Release)))
		m.o.Logger.Info("buckets released toward an even share", "replica", m.o.ID, "buckets", len(plan.Release), "live", len(uniqueSorted(live)))
	}
	if len(plan.Take) > 0 {
		taken, err := st.ClaimBuckets(ctx, m.o.ID, plan.Take, sent, sent.Add(m.o.TTL))
		if err != nil {
			return period, err
		}
		for _, l := range taken {
			from := sent
			if l.Owner != m.o.ID && l.Until.After(from) {
				from = l.Until
			}
			m.pending[l.Bucket] = pendingBucket{from: m.monotonic(sent, from), fence: fence}
		}
		m.metrics.moved.WithLabelValues("taken").Add(float64(len(taken)))
		if len(taken) > 0 {
			m.o.Logger.Info("buckets taken", "replica", m.o.ID, "buckets", len(taken), "live", len(uniqueSorted(live)))
		}
	}
	return m.activateLocked(ctx, period)
}

// monotonic turns a time read from the database into one on this
// process's clock, so it compares by the monotonic reading.
func (m *Manager) monotonic(sent, t time.Time) time.Time {
	return sent.Add(t.Sub(sent.Round(0)))
}

// activateLocked runs the pending buckets whose previous holder's lease
// has ended, after Acquire, and returns how long until the next round.
func (m *Manager) activateLocked(ctx context.Context, period time.Duration) (time.Duration, error) {
	now := m.o.Now()
	var due []int
	next := period
	for b, p := range m.pending {
		if !now.Before(p.from) {
			due = append(due, b)
		} else if w := p.from.Sub(now); w < next {
			next = w
		}
	}
	var err error
	if len(due) > 0 {
		slices.Sort(due)
		if m.o.Acquire != nil {
			err = m.o.Acquire(ctx, due)
		}
		if err == nil {
			for _, b := range due {
				m.fence[b] = m.pending[b].fence
				delete(m.pending, b)
			}
		} else {
			err = fmt.Errorf("loading the state of %d buckets taken: %w", len(due), err)
		}
	}
	m.publishLocked()
	if err == nil && len(due) > 0 && m.o.Acquired != nil {
		m.o.Acquired(due)
	}
	return next, err
}

func (m *Manager) fenceKeys() []int {
	out := make([]int, 0, len(m.fence)+len(m.pending))
	for b := range m.fence {
		out = append(out, b)
	}
	for b := range m.pending {
		out = append(out, b)
	}
	return out
}

func (m *Manager) dropLocked(buckets []int) {
	for _, b := range buckets {
		delete(m.fence, b)
		delete(m.pending, b)
	}
}

func (m *Manager) publishLocked() {
	s := make([]time.Time, m.o.Buckets)
	for b, f := range m.fence {
		s[b] = f
	}
	old := *m.snap.Swap(&s)
	if m.o.Owned == nil {
		return
	}
	now := m.o.Now()
	for b, f := range s {
		if now.Before(f) && (b >= len(old) || !now.Before(old[b])) {
			m.o.Owned()
			return
		}
	}
}

// Leave gives up every lease at once and leaves the registry: a clean
// stop, after the engine wrote its last results, so the other replicas
// take the monitors over without waiting for the leases to end.
func (m *Manager) Leave(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropLocked(m.fenceKeys())
	m.publishLocked()
	all := make([]int, m.o.Buckets)
	for b := range all {
		all[b] = b
	}
	err := m.o.Store.ReleaseBuckets(ctx, m.o.ID, all, m.o.Now())
	return errors.Join(err, m.o.Store.LeaveReplica(ctx, m.o.ID, m.instance))
}
