package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
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
	DefaultWorkers      = 16
	DefaultBatchSize    = 100
)

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
	// Workers is how many sends may run at once. Default 16.
	Workers int
	// BatchSize is the most messages claimed at once. Default 100.
	BatchSize int
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

// Run delivers messages until ctx ends. Call it once. When ctx ends it
// stops claiming, lets sends in flight finish for up to ShutdownGrace and
// records their attempts. A message whose send is cut short is recorded
// for a retry, or, if the process dies first, is claimed again once its
// lease expires. Run returns nil when ctx ends, and
// an error only when it cannot start.
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

	var wg sync.WaitGroup
	done := make(chan struct{}, d.o.Workers)
	inFlight := 0
	defer func() {
		t := time.AfterFunc(d.o.ShutdownGrace, stopSends)
		wg.Wait()
		t.Stop()
	}()

	for {
		// Collect finished sends without waiting.
		for drained := false; !drained; {
			select {
			case <-done:
				inFlight--
			default:
				drained = true
			}
		}

		wait, err := d.step(ctx, sendCtx, &wg, done, &inFlight)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			d.log.Error("notification outbox: the store failed; retrying", "err", err, "retry_in", wait)
		}
		if wait <= 0 {
			continue
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-d.wake:
		case <-done:
			inFlight--
		case <-timer.C:
		}
		timer.Stop()
	}
}

// step claims as many due messages as there are free workers, starts their
// sends, and returns how long to wait before the next step.
func (d *Dispatcher) step(ctx, sendCtx context.Context, wg *sync.WaitGroup, done chan<- struct{}, inFlight *int) (time.Duration, error) {
	free := d.o.Workers - *inFlight
	claimed := 0
	if free > 0 {
		limit := min(free, d.o.BatchSize)
		var msgs []OutboxMessage
		err := d.o.Writer.Do(func() (err error) {
			msgs, err = d.o.Store.ClaimDue(ctx, d.o.Owner, d.o.Now(), d.o.Lease, limit)
			return err
		})
		if err != nil {
			return d.o.PollInterval, fmt.Errorf("claiming due notifications: %w", err)
		}
		d.lastLoop.Store(d.o.Now().UnixNano())
		for _, m := range msgs {
			if m.State == OutcomeFailed {
				// Unreadable in the store, which gave it up.
				d.o.Writer.Reject(fmt.Errorf("notification %q for channel %q: %s", m.ID, m.Channel, m.LastError))
				continue
			}
			*inFlight++
			wg.Go(func() {
				defer func() { done <- struct{}{} }()
				d.deliver(sendCtx, m)
			})
		}
		claimed = len(msgs)
		if claimed == limit && claimed < free {
			// Claimed a full batch with workers to spare: more may be due.
			// A failed depth count is retried on the next step.
			_ = d.updateDepth(ctx)
			return 0, nil
		}
	}
	depthErr := d.updateDepth(ctx)

	wait := d.o.PollInterval
	next, ok, err := d.o.Store.NextDue(ctx)
	if err != nil {
		return d.o.PollInterval, fmt.Errorf("finding the next due notification: %w", err)
	}
	if depthErr != nil {
		return d.o.PollInterval, depthErr
	}
	d.lastLoop.Store(d.o.Now().UnixNano())
	if ok && *inFlight < d.o.Workers {
		until := next.Sub(d.o.Now())
		switch {
		case until > 0:
			wait = min(wait, until)
		case claimed > 0:
			// Something became due while claiming; look again now.
			wait = 0
		default:
			// Due but not claimable: leased by a send in flight here or
			// on another replica. Look again when a lease may have ended.
			wait = min(wait, time.Second)
		}
	}
	return wait, nil
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

// deliver makes one attempt at m and records it.
func (d *Dispatcher) deliver(ctx context.Context, m OutboxMessage) {
	d.mu.RLock()
	n := d.notifiers[m.Channel]
	d.mu.RUnlock()

	start := d.o.Now()
	var (
		retry bool
		err   error
	)
	if n == nil {
		err = fmt.Errorf("channel %q is not in the configuration any more", m.Channel)
	} else {
		retry, err = d.send(ctx, n, m.Event)
	}
	end := d.o.Now()

	a := Attempt{
		MessageID: m.ID,
		Channel:   m.Channel,
		MonitorID: m.Event.MonitorID,
		Event:     m.Event.Event,
		Time:      start.UTC(),
		Duration:  end.Sub(start),
		Outcome:   OutcomeSent,
	}
	var next time.Time
	attempt := m.Attempts + 1
	if err != nil {
		a.Error = err.Error()
		d.failures.WithLabelValues(m.Channel).Inc()
		if retry && attempt < d.o.MaxAttempts {
			a.Outcome = OutcomeRetry
			next = end.Add(Backoff(d.o.BaseBackoff, d.o.MaxBackoff, attempt, rand.Float64())).UTC()
		} else {
			a.Outcome = OutcomeFailed
		}
	} else {
		d.sent.WithLabelValues(m.Channel).Inc()
	}

	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if rerr := d.record(rctx, a, next); rerr != nil {
		// The lease will expire and the message will be attempted again:
		// at least once, never lost.
		d.log.Error("notification outbox: recording an attempt failed; the message will be attempted again",
			"err", rerr, "notification", m.ID, "channel", m.Channel, "outcome", a.Outcome)
		return
	}
	log := d.log.With("notification", m.ID, "channel", m.Channel, "monitor", m.Event.MonitorID,
		"event", m.Event.Event, "attempt", attempt)
	switch a.Outcome {
	case OutcomeSent:
		log.Info(LogSent, "duration", a.Duration)
	case OutcomeRetry:
		log.Warn("notification attempt failed; will retry", "err", a.Error, "next_attempt", next)
	case OutcomeFailed:
		log.Error("notification failed; giving up", "err", a.Error, "retryable", retry)
	}
}

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
