package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/store/batch"
)

// Dispatcher defaults, used when DispatcherOptions leaves a field zero.
const (
	DefaultMaxAttempts  = 10
	DefaultBaseBackoff  = 5 * time.Second
	DefaultMaxBackoff   = time.Hour
	DefaultLease        = 2 * time.Minute
	DefaultPollInterval = 5 * time.Second
	DefaultSendTimeout  = 45 * time.Second
	DefaultWorkers      = 64
	DefaultPerChannel   = 16
	DefaultBatchSize    = 200
)

// maxHeld is the most messages a digest gathers; a channel that reaches it
// sends the digest at once rather than hold more.
const maxHeld = 1000

// maxRecordBatch is the most attempts recorded in one transaction.
const maxRecordBatch = 500

// recordTimeout bounds the store write that records an attempt. It runs even
// while the dispatcher shuts down, so a finished send is not sent again.
const recordTimeout = 10 * time.Second

// DispatcherOptions configures a Dispatcher.
type DispatcherOptions struct {
	// Store holds the outbox. Required.
	Store Outbox
	// Notifiers maps channel ids to their notifiers. SetNotifiers swaps
	// the map after a configuration reload.
	Notifiers map[string]Notifier
	// Owner names this process in leases: unique among the replicas that
	// run at once, and best the same across restarts of one installation,
	// because Run starts by releasing the leases held under its name.
	// Default: host name, process id and a random suffix.
	Owner string
	// Logger receives attempt failures and store errors. Default: discard.
	Logger *slog.Logger
	// Registerer receives the dispatcher's metrics. Nil registers none.
	Registerer prometheus.Registerer
	// Now is the clock. Default time.Now.
	Now func() time.Time

	// MaxAttempts is how many attempts a message gets before it is given
	// up. Default 10.
	MaxAttempts int
	// BaseBackoff is the delay after the first failed attempt; each
	// further failure doubles it, up to MaxBackoff, and the actual delay
	// is drawn between half of it and all of it. Defaults 5s and 1h.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Lease is how long a claimed message is reserved for this process.
	// It is at least 2×SendTimeout+10s; default 2m.
	Lease time.Duration
	// PollInterval is the longest the dispatcher sleeps between looks at
	// the outbox, so it picks up work other replicas added. Default 5s.
	PollInterval time.Duration
	// SendTimeout bounds one attempt. Default 45s.
	SendTimeout time.Duration
	// Workers is how many sends may run at once. Default 64.
	Workers int
	// PerChannel is how many sends to one channel may run at once. A
	// channel with that many messages in hand is left out of the claims
	// until one is done, so a slow destination cannot hold the workers of
	// the others. Default 16 (at most Workers).
	PerChannel int
	// BatchSize is the most messages claimed at once. Default 200.
	BatchSize int
	// Digests maps channel ids to how they coalesce monitor events; a
	// channel that is not in it sends each event on its own. SetDigests
	// swaps the map after a configuration reload.
	Digests map[string]Digest
	// ShutdownGrace is how long sends in flight may go on after Run's
	// context ends. Default 5s.
	ShutdownGrace time.Duration
	// Writer keeps the health of the outbox writes (claims and attempts);
	// nil keeps none.
	Writer *batch.Writer
}

// Dispatcher is the outbox worker: it claims due messages, sends each with
// its channel's notifier on its own pool of goroutines, and records every
// attempt with its outcome. Messages are stored before the first attempt,
// keep their id on every retry and are leased while in flight, so delivery
// is at least once even across crashes and replicas.
type Dispatcher struct {
	o   DispatcherOptions
	log *slog.Logger

	mu        sync.RWMutex
	notifiers map[string]Notifier
	digests   map[string]Digest

	wake     chan struct{}
	lastLoop atomic.Int64 // UnixNano of the last loop that reached the store
	pending  atomic.Int64 // the outbox depth last counted

	sent     *prometheus.CounterVec
	failures *prometheus.CounterVec
	depth    prometheus.Gauge
}

// NewDispatcher returns a dispatcher; nothing happens until Run. It
// registers its metrics on o.Registerer.
func NewDispatcher(o DispatcherOptions) *Dispatcher {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Owner == "" {
		o.Owner = defaultOwner()
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = DefaultBaseBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxBackoff < o.BaseBackoff {
		o.MaxBackoff = o.BaseBackoff
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = DefaultSendTimeout
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if floor := 2*o.SendTimeout + recordTimeout; o.Lease < floor {
		// A lease that ends before the attempt is recorded would let
		// another replica send the same message meanwhile.
		o.Lease = floor
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.PerChannel <= 0 {
		o.PerChannel = DefaultPerChannel
	}
	o.PerChannel = min(o.PerChannel, o.Workers)
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = 5 * time.Second
	}
	d := &Dispatcher{
		o:    o,
		log:  o.Logger,
		wake: make(chan struct{}, 1),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_notifications_sent_total",
			Help: "Notifications delivered, by channel.",
		}, []string{"channel"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_notification_failures_total",
			Help: "Failed notification attempts (retried or given up), by channel.",
		}, []string{"channel"}),
		depth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tocsin_outbox_depth",
			Help: "Notifications waiting in the outbox for their next attempt.",
		}),
	}
	d.SetNotifiers(o.Notifiers)
	d.SetDigests(o.Digests)
	d.lastLoop.Store(o.Now().UnixNano())
	if o.Registerer != nil {
		d.sent = register(o.Registerer, d.sent)
		d.failures = register(o.Registerer, d.failures)
		d.depth = register(o.Registerer, d.depth)
	}
	return d
}

// defaultOwner names this process uniquely enough to tell replicas apart.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "tocsin"
	}
	return fmt.Sprintf("%s-%d-%08x", host, os.Getpid(), rand.Uint32())
}

// register registers c, or returns the collector already registered under
// the same name so a rebuilt dispatcher keeps counting on the same series.
func register[C prometheus.Collector](r prometheus.Registerer, c C) C {
	if err := r.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

// SetNotifiers replaces the channel → notifier map, for a configuration
// reload. Sends in flight finish with the notifier they started with.
func (d *Dispatcher) SetNotifiers(m map[string]Notifier) {
	cp := make(map[string]Notifier, len(m))
	for k, v := range m {
		cp[k] = v
	}
	d.mu.Lock()
	d.notifiers = cp
	d.mu.Unlock()
}

// SetDigests replaces the channel → digest map, for a configuration
// reload. Digests already gathering keep the window they started with.
func (d *Dispatcher) SetDigests(m map[string]Digest) {
	cp := make(map[string]Digest, len(m))
	for k, v := range m {
		if v.Window > 0 {
			cp[k] = v
		}
	}
	d.mu.Lock()
	d.digests = cp
	d.mu.Unlock()
}

// Wake makes Run look at the outbox now instead of at its next scheduled
// look. The app calls it right after storing new messages. It never blocks.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Healthy reports whether Run reached the store recently: within three
// poll intervals. It is true from construction until that long has passed
// without a successful look at the outbox.
func (d *Dispatcher) Healthy() bool {
	last := time.Unix(0, d.lastLoop.Load())
	return d.o.Now().Sub(last) <= 3*d.o.PollInterval
}

// job is one send: a message on its own, or the messages of a digest.
type job struct {
	channel string
	msgs    []OutboxMessage
	// max is the digest's maximum of named monitors.
	max int
	// claimed is when the oldest of msgs was claimed: the lease runs
	// from then.
	claimed time.Time
}

// channelState is what Run holds for one channel: jobs waiting for a free
// send, the sends running and the digest being gathered.
type channelState struct {
	queue  []job
	active int
	// held are the digestible messages gathered for the next digest,
	// claimed from heldSince on; they leave together at due.
	held      []OutboxMessage
	heldSince time.Time
	due       time.Time
	max       int
}

// finished is a send that ended, as its goroutine tells Run.
type finished struct {
	channel string
	n       int
}

// recorded is an attempt waiting to be stored, with what its log line
// tells.
type recorded struct {
	AttemptRecord
	attempt   int
	retryable bool
}

// runState is Run's own: only its goroutine touches it.
type runState struct {
	chans map[string]*channelState
	// active counts sends running; inHand the messages claimed and not
	// yet sent (queued or running), digests being gathered left out.
	active, inHand int
	lease          time.Duration
	// depthAt is when the outbox depth was last counted during a storm.
	depthAt time.Time
	// drained is the skip list of the last claim that found fewer due
	// messages than it asked for, and drainedAt when: every channel not
	// in it had nothing due then. Until a channel of the list has room
	// again, or busyLook has passed, claiming again would read every
	// due message of the busy channels to return nothing.
	drained   []string
	drainedAt time.Time
}

// heldWait returns wait, or less when a digest being gathered is due
// sooner.
func (r *runState) heldWait(wait time.Duration, now time.Time) time.Duration {
	for _, cs := range r.chans {
		if len(cs.held) > 0 {
			wait = min(wait, max(cs.due.Sub(now), time.Millisecond))
		}
	}
	return wait
}

// busyLook is how often Run looks at the outbox while sends are in hand
// and nothing woke it that could make more of them claimable: for
// messages of other channels stored meanwhile, and retries coming due.
// Counting the outbox and finding the next due message read every
// pending message, so during a storm they run at most this often.
const busyLook = time.Second

// drainedFor reports whether a claim leaving out skip would find nothing:
// a claim leaving out the same channels, or fewer, found too few less
// than busyLook ago.
func (r *runState) drainedFor(skip []string, now time.Time) bool {
	if r.drained == nil || now.Sub(r.drainedAt) >= busyLook {
		return false
	}
	for _, id := range r.drained {
		if !slices.Contains(skip, id) {
			return false
		}
	}
	return true
}

func (r *runState) channel(id string) *channelState {
	cs := r.chans[id]
	if cs == nil {
		cs = &channelState{}
		r.chans[id] = cs
	}
	return cs
}

// Run delivers messages until ctx ends. Call it once. When ctx ends it
// stops claiming, lets sends in flight finish for up to ShutdownGrace and
// records their attempts. A message whose send is cut short is recorded
// for a retry, or, if the process dies first, is claimed again once its
// lease expires. Run returns nil when ctx ends, and
// an error only when it cannot start.
//
// Claimed messages wait in one queue per channel; each channel runs at
// most PerChannel sends and all channels at most Workers. Attempts are
// recorded by one writer, in batches of up to maxRecordBatch per
// transaction. A channel with a digest window holds its monitor events
// (leased, so a crash only sends them later) until the window of the
// first ends and sends them as one digest.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.o.Store == nil {
		return errors.New("notification dispatcher: no store was given")
	}
	// Sends outlive ctx by up to ShutdownGrace so a shutdown does not turn
	// a delivery that was about to succeed into a duplicate later.
	sendCtx, stopSends := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSends()

	// Leases under this owner's name were taken by a previous run that
	// died mid-send; without this its messages would wait for the lease
	// to run out. A failure here only delays them, so it is logged.
	if n, err := d.o.Store.ReleaseLeases(ctx, d.o.Owner); err != nil {
		d.log.Error("notification outbox: could not release the leases of the previous run", "owner", d.o.Owner, "err", err)
	} else if n > 0 {
		d.log.Info("notification outbox: resuming notifications that were in flight when the previous run stopped", "count", n)
	}

	records := make(chan recorded, 2*maxRecordBatch)
	recorderDone := make(chan struct{})
	go func() {
		defer close(recorderDone)
		d.recordLoop(records)
	}()

	var wg sync.WaitGroup
	done := make(chan finished, d.o.Workers)
	r := &runState{chans: map[string]*channelState{}}
	defer func() {
		t := time.AfterFunc(d.o.ShutdownGrace, stopSends)
		wg.Wait()
		t.Stop()
		close(records)
		<-recorderDone
	}()
	// A send that ends starts the next queued one without the store. The
	// store is asked again when Run was woken, its wait ran out, or a
	// channel left out of the claims (or the whole hand) dropped to half
	// its bound: during a storm that is one claim per half a hand, not
	// one per send.
	claim := true
	ended := func(f finished) {
		r.active--
		before := r.inHand
		r.inHand -= f.n
		if before >= d.hand()/2 && r.inHand < d.hand()/2 {
			claim = true
		}
		if cs := r.chans[f.channel]; cs != nil {
			cs.active--
			if n := cs.active + len(cs.queue); n < (d.o.PerChannel+1)/2 && n+1 >= (d.o.PerChannel+1)/2 {
				claim = true
			}
		}
	}
	start := func(j job) {
		wg.Go(func() {
			d.deliver(sendCtx, j, records)
			done <- finished{channel: j.channel, n: len(j.msgs)}
		})
	}

	var next time.Time
	for {
		for drained := false; !drained; {
			select {
			case f := <-done:
				ended(f)
			default:
				drained = true
			}
		}
		d.startJobs(r, start)
		if claim || !d.o.Now().Before(next) {
			claim = false
			wait, err := d.step(ctx, r, start)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				d.log.Error("notification outbox: the store failed; retrying", "err", err, "retry_in", wait)
			}
			if wait <= 0 {
				claim = true
				continue
			}
			next = d.o.Now().Add(wait)
		}
		timer := time.NewTimer(max(next.Sub(d.o.Now()), 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-d.wake:
			claim = true
		case f := <-done:
			ended(f)
		case <-timer.C:
		}
		timer.Stop()
	}
}

// hand is the most messages Run keeps claimed and not yet sent, but for
// the channels that have as many as they may send at once: beyond it each
// other channel may still claim that many.
func (d *Dispatcher) hand() int { return 2 * d.o.Workers }

// step starts the sends that may start, claims due messages while there
// is room for them, and returns how long to wait before the next step.
func (d *Dispatcher) step(ctx context.Context, r *runState, start func(job)) (time.Duration, error) {
	d.mu.RLock()
	digests := d.digests
	d.mu.RUnlock()
	r.lease = d.o.Lease
	for _, dg := range digests {
		r.lease = max(r.lease, d.o.Lease+dg.Window)
	}

	d.startJobs(r, start)
	var skip []string
	for id, cs := range r.chans {
		if cs.active+len(cs.queue) >= d.o.PerChannel {
			skip = append(skip, id)
		}
	}
	claimed, limit := 0, min(d.o.BatchSize, d.hand()-r.inHand)
	if limit <= 0 && len(skip) > 0 {
		// The hand is full, maybe of one slow channel's backlog: the
		// other channels may still claim as many as they may send at
		// once, so one destination that hangs cannot hold them back.
		limit = d.o.PerChannel
	}
	if limit > 0 {
		var msgs []OutboxMessage
		now := d.o.Now()
		if r.drainedFor(skip, now) {
			return min(r.heldWait(d.o.PollInterval, now), busyLook-now.Sub(r.drainedAt)), nil
		}
		err := d.o.Writer.Do(func() (err error) {
			msgs, err = d.o.Store.ClaimDueExcept(ctx, d.o.Owner, now, r.lease, limit, skip)
			return err
		})
		if err != nil {
			return d.o.PollInterval, fmt.Errorf("claiming due notifications: %w", err)
		}
		d.lastLoop.Store(d.o.Now().UnixNano())
		r.drained = nil
		if len(msgs) < limit && len(skip) > 0 {
			r.drained, r.drainedAt = skip, now
		}
		for _, m := range msgs {
			if m.State == OutcomeFailed {
				// Unreadable in the store, which gave it up.
				d.o.Writer.Reject(fmt.Errorf("notification %q for channel %q: %s", m.ID, m.Channel, m.LastError))
				continue
			}
			cs := r.channel(m.Channel)
			if dg, ok := digests[m.Channel]; ok && Digestible(m) {
				if len(cs.held) == 0 {
					cs.heldSince, cs.due, cs.max = now, m.CreatedAt.Add(dg.Window), dg.Max
				}
				if due := m.CreatedAt.Add(dg.Window); due.Before(cs.due) {
					cs.due = due
				}
				cs.held = append(cs.held, m)
				if len(cs.held) >= maxHeld {
					cs.due = time.Time{}
				}
				continue
			}
			cs.queue = append(cs.queue, job{channel: m.Channel, msgs: []OutboxMessage{m}, claimed: now})
			r.inHand++
		}
		d.startJobs(r, start)
		claimed = len(msgs)
		if claimed == limit && r.inHand < d.hand() {
			// A full batch with room for more: more may be due. The depth
			// is counted at most once a second meanwhile; a failed count
			// is retried on the next step.
			if now.Sub(r.depthAt) >= time.Second {
				r.depthAt = now
				_ = d.updateDepth(ctx)
			}
			return 0, nil
		}
	}
	now := d.o.Now()
	wait := r.heldWait(d.o.PollInterval, now)
	if r.inHand > 0 {
		// Sends in hand: each that ends claims more when its channel
		// has room, and a retry wakes Run; what else may come due is
		// looked for within busyLook.
		if now.Sub(r.depthAt) >= busyLook {
			r.depthAt = now
			_ = d.updateDepth(ctx)
		}
		return min(wait, busyLook), nil
	}
	depthErr := d.updateDepth(ctx)
	next, ok, err := d.o.Store.NextDue(ctx)
	if err != nil {
		return d.o.PollInterval, fmt.Errorf("finding the next due notification: %w", err)
	}
	if depthErr != nil {
		return d.o.PollInterval, depthErr
	}
	d.lastLoop.Store(d.o.Now().UnixNano())
	if ok && r.inHand < d.hand() {
		until := next.Sub(d.o.Now())
		switch {
		case until > 0:
			wait = min(wait, until)
		case claimed > 0:
			// Something became due while claiming; look again now.
			wait = 0
		default:
			// Due but not claimable: leased by a send in flight here or
			// on another replica, or its channel is busy. Look again when
			// a lease may have ended or a send is done.
			wait = min(wait, time.Second)
		}
	}
	return wait, nil
}

// startJobs turns the digests whose window ended into jobs and starts
// queued jobs, one per channel in turn, while channels and workers have
// room. A job that waited so long that its lease may end before its
// attempt is recorded is dropped: another replica may claim it meanwhile,
// and this one will claim it again when the lease ends.
func (d *Dispatcher) startJobs(r *runState, start func(job)) {
	now := d.o.Now()
	for _, cs := range r.chans {
		if len(cs.held) > 0 && !now.Before(cs.due) {
			cs.queue = append(cs.queue, job{channel: "", msgs: cs.held, max: cs.max, claimed: cs.heldSince})
			r.inHand += len(cs.held)
			cs.held = nil
		}
	}
	safe := r.lease - d.o.SendTimeout - recordTimeout
	for progress := true; progress && r.active < d.o.Workers; {
		progress = false
		for id, cs := range r.chans {
			if r.active >= d.o.Workers {
				return
			}
			if len(cs.queue) == 0 || cs.active >= d.o.PerChannel {
				continue
			}
			j := cs.queue[0]
			cs.queue = cs.queue[1:]
			if len(cs.queue) == 0 {
				cs.queue = nil
			}
			progress = true
			j.channel = id
			if now.Sub(j.claimed) > safe {
				r.inHand -= len(j.msgs)
				d.log.Warn("notification outbox: notifications waited too long for their channel; they will be claimed again",
					"channel", id, "count", len(j.msgs))
				continue
			}
			cs.active++
			r.active++
			start(j)
		}
	}
}

// deliver makes one attempt at j, a message or a digest, and hands its
// attempts to the recorder.
func (d *Dispatcher) deliver(ctx context.Context, j job, records chan<- recorded) {
	d.mu.RLock()
	n := d.notifiers[j.channel]
	d.mu.RUnlock()

	e := j.msgs[0].Event
	if len(j.msgs) > 1 {
		e = NewDigest(j.msgs, j.max)
	}
	start := d.o.Now()
	var (
		retry bool
		err   error
	)
	if n == nil {
		err = fmt.Errorf("channel %q is not in the configuration any more", j.channel)
	} else {
		retry, err = d.send(ctx, n, e)
	}
	end := d.o.Now()
	if err != nil {
		d.failures.WithLabelValues(j.channel).Add(float64(len(j.msgs)))
	} else {
		d.sent.WithLabelValues(j.channel).Add(float64(len(j.msgs)))
	}
	jitter := rand.Float64()
	for _, m := range j.msgs {
		rec := recorded{attempt: m.Attempts + 1, retryable: retry}
		rec.Attempt = Attempt{
			MessageID: m.ID,
			Channel:   m.Channel,
			MonitorID: m.Event.MonitorID,
			Event:     m.Event.Event,
			Time:      start.UTC(),
			Duration:  end.Sub(start),
			Outcome:   OutcomeSent,
		}
		if err != nil {
			rec.Error = err.Error()
			if retry && rec.attempt < d.o.MaxAttempts {
				rec.Outcome = OutcomeRetry
				rec.Next = end.Add(Backoff(d.o.BaseBackoff, d.o.MaxBackoff, rec.attempt, jitter)).UTC()
			} else {
				rec.Outcome = OutcomeFailed
			}
		}
		records <- rec
	}
}

// recordLoop stores the attempts it receives, as many in one transaction
// as have arrived, until in is closed and drained.
func (d *Dispatcher) recordLoop(in <-chan recorded) {
	for first := range in {
		recs := []recorded{first}
	gather:
		for len(recs) < maxRecordBatch {
			select {
			case r, ok := <-in:
				if !ok {
					break gather
				}
				recs = append(recs, r)
			default:
				break gather
			}
		}
		d.recordBatch(recs)
		// A retry is due at a time Run has not seen yet.
		if slices.ContainsFunc(recs, func(r recorded) bool { return r.Outcome == OutcomeRetry }) {
			d.Wake()
		}
	}
}

// recordBatch stores recs in one transaction. When the database refuses
// the batch, it is split to find the attempts at fault, which are recorded
// on their own as record does. When the store cannot write, the attempts
// are lost, not their messages: the leases expire and the messages are
// attempted again.
func (d *Dispatcher) recordBatch(recs []recorded) {
	ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
	defer cancel()
	out := batch.Write(nil, recs, func(rs []recorded) error {
		as := make([]AttemptRecord, len(rs))
		for i, r := range rs {
			as[i] = r.AttemptRecord
		}
		return d.o.Writer.Do(func() error { return d.o.Store.RecordAttempts(ctx, as) })
	})
	failed := map[string]bool{}
	for _, rj := range out.Rejected {
		if err := d.record(ctx, rj.Row.Attempt, rj.Row.Next); err != nil {
			failed[rj.Row.MessageID+"\x00"+rj.Row.Channel] = true
		}
	}
	if out.Err != nil {
		d.log.Error("notification outbox: recording attempts failed; the messages will be attempted again",
			"err", out.Err, "count", len(out.Unwritten))
		for _, r := range out.Unwritten {
			failed[r.MessageID+"\x00"+r.Channel] = true
		}
	}
	for _, r := range recs {
		if failed[r.MessageID+"\x00"+r.Channel] {
			continue
		}
		switch r.Outcome {
		case OutcomeSent:
			// One line each; during a storm the program's log handler
			// writes them in summaries (logx.Storm).
			d.log.Info(LogSent, "notification", r.MessageID, "channel", r.Channel,
				"monitor", r.MonitorID, "event", r.Event, "attempt", r.attempt, "duration", r.Duration)
		case OutcomeRetry:
			d.log.Warn("notification attempt failed; will retry", "notification", r.MessageID, "channel", r.Channel,
				"monitor", r.MonitorID, "event", r.Event, "attempt", r.attempt, "err", r.Error, "next_attempt", r.Next)
		case OutcomeFailed:
			d.log.Error("notification failed; giving up", "notification", r.MessageID, "channel", r.Channel,
				"monitor", r.MonitorID, "event", r.Event, "attempt", r.attempt, "err", r.Error, "retryable", r.retryable)
		}
	}
}

func (d *Dispatcher) updateDepth(ctx context.Context) error {
	n, err := d.o.Store.OutboxDepth(ctx)
	if err != nil {
		return fmt.Errorf("counting pending notifications: %w", err)
	}
	d.depth.Set(float64(n))
	d.pending.Store(int64(n))
	return nil
}

// Depth returns the number of pending notifications last counted.
func (d *Dispatcher) Depth() int { return int(d.pending.Load()) }

// record stores an attempt. When the database refuses it — a channel's
// error can carry bytes from the far side that are not valid text — it is
// recorded again with the error made valid UTF-8, and then with the error
// left out, rather than not at all: an attempt that is never recorded
// never counts towards giving up, and the message would be sent again
// forever. Only if that too is refused is the attempt dropped and counted.
func (d *Dispatcher) record(ctx context.Context, a Attempt, next time.Time) error {
	write := func() error { return d.o.Store.RecordAttempt(ctx, a, next) }
	err := d.o.Writer.Do(write)
	if !batch.Refused(err) {
		return err
	}
	refusal := err
	a.Error = strings.ToValidUTF8(strings.ReplaceAll(a.Error, "\x00", ""), "\uFFFD")
	if err = d.o.Writer.Do(write); !batch.Refused(err) {
		return err
	}
	a.Error = "(the error text was not stored: " + strings.ToValidUTF8(refusal.Error(), "\uFFFD") + ")"
	if err = d.o.Writer.Do(write); batch.Refused(err) {
		d.o.Writer.Reject(fmt.Errorf("attempt at notification %q for channel %q: %w", a.MessageID, a.Channel, err))
	}
	return err
}

// send calls the notifier with the send timeout, turning a panic in it into
// a permanent error so one broken channel cannot stop the dispatcher.
func (d *Dispatcher) send(ctx context.Context, n Notifier, e Event) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, d.o.SendTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			retry, err = false, fmt.Errorf("the %s notifier crashed: %v", e.Event, p)
		}
	}()
	return n.Notify(ctx, e)
}

// Backoff returns the delay before the attempt after failed attempt number
// attempt (1 for the first): base doubled attempt-1 times, capped at
// maxDelay, then scaled into [½, 1] of that by jitter, a number in [0, 1).
func Backoff(base, maxDelay time.Duration, attempt int, jitter float64) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	jitter = min(max(jitter, 0), 1)
	return d/2 + time.Duration(float64(d/2)*jitter)
}
