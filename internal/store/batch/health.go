package batch

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options.
const (
	// DefaultWindow is how long a failed write keeps a writer unhealthy
	// when nothing has been written since, and how long a queue may stay
	// over its bound or a write may run before the writer is unhealthy.
	DefaultWindow = 30 * time.Second
	// DefaultLogEvery is the least time between two log lines about
	// rejected rows of one writer; the rows rejected in between are
	// counted in the next line.
	DefaultLogEvery = time.Minute
)

// Options configure Writers.
type Options struct {
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger receives rejected rows. Default: discard.
	Logger *slog.Logger
	// Window: see DefaultWindow.
	Window time.Duration
	// LogEvery: see DefaultLogEvery.
	LogEvery time.Duration
}

// Writers keeps the health of a process's batched writers and exports
// their metrics: tocsin_writer_queue_depth, tocsin_writer_failed_batches_total
// and tocsin_store_dropped_rows_total, each by writer. It is a
// prometheus.Collector.
type Writers struct {
	o       Options
	mu      sync.Mutex
	writers []*Writer

	depth   *prometheus.Desc
	failed  *prometheus.CounterVec
	dropped *prometheus.CounterVec
}

// New returns an empty set of writers.
func New(o Options) *Writers {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.LogEvery <= 0 {
		o.LogEvery = DefaultLogEvery
	}
	return &Writers{
		o:     o,
		depth: prometheus.NewDesc("tocsin_writer_queue_depth", "Rows waiting to be written, by writer (results: rows of the next batch; pings: pings waiting for a commit; outbox: notifications pending).", []string{"writer"}, nil),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_writer_failed_batches_total",
			Help: "Writes that failed because the database could not write (kept and retried, or answered 503), by writer.",
		}, []string{"writer"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_store_dropped_rows_total",
			Help: "Rows the database refused and that were dropped so the rows behind them could be written, by writer.",
		}, []string{"writer"}),
	}
}

// Add registers a writer called name. depth reports its queue (nil: none);
// the writer is unhealthy once depth has stayed above maxDepth for the
// window (maxDepth 0: no bound).
func (s *Writers) Add(name string, depth func() int, maxDepth int) *Writer {
	w := &Writer{s: s, name: name, depthFn: depth, maxDepth: maxDepth, inFlight: map[uint64]time.Time{},
		failed: s.failed.WithLabelValues(name), dropped: s.dropped.WithLabelValues(name)}
	s.mu.Lock()
	s.writers = append(s.writers, w)
	s.mu.Unlock()
	return w
}

// Problems returns why the writers cannot be trusted to store what they
// are given, in words, one line per problem; none when all is well.
func (s *Writers) Problems() []string {
	s.mu.Lock()
	ws := slices.Clone(s.writers)
	s.mu.Unlock()
	now := s.o.Now()
	var out []string
	for _, w := range ws {
		out = append(out, w.problems(now)...)
	}
	return out
}

// Describe implements prometheus.Collector.
func (s *Writers) Describe(ch chan<- *prometheus.Desc) {
	ch <- s.depth
	s.failed.Describe(ch)
	s.dropped.Describe(ch)
}

// Collect implements prometheus.Collector.
func (s *Writers) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	ws := slices.Clone(s.writers)
	s.mu.Unlock()
	for _, w := range ws {
		ch <- prometheus.MustNewConstMetric(s.depth, prometheus.GaugeValue, float64(w.Depth()), w.name)
	}
	s.failed.Collect(ch)
	s.dropped.Collect(ch)
}

// Writer is the health of one batched writer. Its methods are safe for
// concurrent use and do nothing on a nil *Writer.
type Writer struct {
	s        *Writers
	name     string
	depthFn  func() int
	maxDepth int
	failed   prometheus.Counter
	dropped  prometheus.Counter

	mu       sync.Mutex
	lastOK   time.Time
	lastFail time.Time
	lastErr  error
	failures int // failed writes since the last success
	overFrom time.Time
	nextID   uint64
	inFlight map[uint64]time.Time
	// Rejected rows not logged yet, and when the last line was written.
	unlogged int
	loggedAt time.Time
}

// Do runs one write attempt fn: while it runs the write is in flight (a
// write running longer than the window makes the writer unhealthy); its
// error is recorded. A refusal (Refused) counts as the database working.
func (w *Writer) Do(fn func() error) error {
	if w == nil {
		return fn()
	}
	w.mu.Lock()
	id := w.nextID
	w.nextID++
	w.inFlight[id] = w.s.o.Now()
	w.mu.Unlock()
	err := fn()
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.inFlight, id)
	if err != nil && !Refused(err) {
		w.lastFail, w.lastErr = w.s.o.Now(), err
		w.failures++
		w.failed.Inc()
		return err
	}
	w.lastOK, w.failures = w.s.o.Now(), 0
	return err
}

// Depth returns the writer's queue depth (0 without a depth function).
func (w *Writer) Depth() int {
	if w == nil || w.depthFn == nil {
		return 0
	}
	return w.depthFn()
}

// Reject counts and logs one row the store refused, for writers that
// find refused rows without Write. The first is logged at once; later ones
// at most once per LogEvery, with how many there were.
func (w *Writer) Reject(err error) {
	if w == nil {
		return
	}
	w.dropped.Inc()
	now := w.s.o.Now()
	w.mu.Lock()
	w.unlogged++
	n := w.unlogged
	if !w.loggedAt.IsZero() && now.Sub(w.loggedAt) < w.s.o.LogEvery {
		w.mu.Unlock()
		return
	}
	w.unlogged, w.loggedAt = 0, now
	w.mu.Unlock()
	w.s.o.Logger.Error("dropped a row the database refused; the rows written with it are stored",
		"writer", w.name, "err", err, "dropped", n, "metric", "tocsin_store_dropped_rows_total")
}

func (w *Writer) problems(now time.Time) []string {
	depth := w.Depth()
	window := w.s.o.Window
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	if w.failures > 0 && w.lastFail.After(w.lastOK) && now.Sub(w.lastFail) < window {
		out = append(out, fmt.Sprintf("the %s writer cannot write to the database (%d failed writes, the last %s ago, none succeeded since): %v",
			w.name, w.failures, now.Sub(w.lastFail).Round(time.Second), w.lastErr))
	}
	var oldest time.Time
	for _, t := range w.inFlight {
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	if !oldest.IsZero() && now.Sub(oldest) >= window {
		out = append(out, fmt.Sprintf("a write of the %s writer has been running for %s", w.name, now.Sub(oldest).Round(time.Second)))
	}
	switch {
	case w.maxDepth <= 0 || depth <= w.maxDepth:
		w.overFrom = time.Time{}
	case w.overFrom.IsZero():
		w.overFrom = now
	}
	if !w.overFrom.IsZero() && now.Sub(w.overFrom) >= window {
		out = append(out, fmt.Sprintf("the %s writer's queue has held more than %d rows for %s (now %d)", w.name, w.maxDepth, now.Sub(w.overFrom).Round(time.Second), depth))
	}
	return out
}

var _ prometheus.Collector = (*Writers)(nil)
