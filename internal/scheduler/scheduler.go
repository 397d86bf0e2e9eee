// Package scheduler decides when each monitor runs. Every job runs at its
// own interval on a fixed grid: its phase inside the interval comes from a
// hash of its ID, so thousands of monitors started together are spread over
// the interval instead of all firing at once (or all at :00), and the grid
// survives restarts and config reloads. The next run is the previous
// scheduled time plus the interval, never "now plus the interval", so
// schedules do not drift however late or slow a run is.
//
// One goroutine keeps the jobs in a min-heap of next-run times and sleeps on
// a single timer, for at least the time in which about Options.Gather runs
// fall due (at most Options.Coalesce), so that runs falling due close
// together start on one wake-up, never before their instant. A due run
// waits in its host's queue for a slot of its host's limit, then in one queue for a slot of the global limit, and only
// then gets a goroutine that calls the job: the goroutines are bounded by
// the global limit, however many runs wait (a waiting goroutine holds a
// stack of several KiB; 100,000 monitors behind one busy host would hold
// hundreds of MiB). A job never has two runs at once: a tick that comes
// while the previous run is still running (or still waiting for a slot) is
// skipped and counted, and a slow or hanging run never holds up other
// jobs. The time spent waiting for a slot counts as lateness.
//
// RunSoon adds one run off the grid to jobs that are overdue (a replica
// taking over monitors whose run fell due while nobody held them): it
// goes through the same limits, and the grid is left as it was.
package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultConcurrency is the global limit on simultaneous runs when
// Options.Concurrency is not positive.
const DefaultConcurrency = 256

// MinInterval is the shortest interval a job may have; Update rejects
// shorter ones, which would only burn CPU.
const MinInterval = time.Millisecond

// Options configures a Scheduler.
type Options struct {
	// Concurrency is how many runs may execute at once across all jobs.
	// Zero or negative means DefaultConcurrency.
	Concurrency int
	// PerHost is how many runs may execute at once against one Job.Host.
	// Zero or negative means no per-host limit. Jobs with an empty Host
	// are only subject to Concurrency.
	PerHost int
	// Logger receives rejected jobs and recovered panics. Nil discards.
	Logger *slog.Logger
	// Registerer receives the scheduler's metrics. Nil registers nothing.
	Registerer prometheus.Registerer
	// Now is the clock, time.Now when nil. It must advance with the
	// timers of package time (tests use testing/synctest, which fakes
	// both).
	Now func() time.Time
	// Skip reports, as a job's run falls due, that this process is not
	// to make it: another replica runs the job now. The run is passed
	// over there and then, with no slot, no goroutine, no lateness
	// sample and no count as a run or a skip, and the job is set aside
	// until Resume: with several replicas most jobs are another's, and
	// keeping each on the schedule only to pass it over at every instant
	// cost every replica as much as running them all. It is called with
	// the scheduler's lock held for every due run, so it must answer
	// from memory and never call the scheduler. Nil skips nothing.
	Skip func(id string) bool
	// Coalesce is the least time between two looks at the schedule:
	// the runs that fall due within it start together, up to Coalesce
	// late, on one wake-up of the loop instead of one each. Thousands of
	// monitors spread over their interval fall due a millisecond or two
	// apart, and waking a process that often costs more CPU than a cheap
	// check. Zero starts every run at its instant.
	Coalesce time.Duration
	// Gather, when positive, shortens that time to the one in which
	// about Gather runs fall due, from the intervals of the jobs on the
	// schedule (those Skip set aside do not count): a process with half
	// the runs, as each of two replicas has, waits twice as long, and a
	// wake-up costs each run the same. Coalesce stays the most a run
	// waits. Zero waits Coalesce.
	Gather int
}

// Job is one recurring piece of work, usually one monitor.
type Job struct {
	// ID identifies the job across calls to Update; it also fixes the
	// job's phase within its interval.
	ID string
	// Key is a fingerprint of the job's definition. A job whose ID and Key
	// are unchanged by Update keeps running on its schedule untouched.
	Key string
	// Interval is the time between scheduled runs, at least MinInterval.
	Interval time.Duration
	// Host is what the per-host limit counts against (a hostname, an IP);
	// empty means no per-host limit.
	Host string
	// Run does the work. scheduled is the grid time this run belongs to.
	// ctx is cancelled when the scheduler stops; Run should bound its own
	// work further (with the monitor's timeout) and return promptly.
	Run func(ctx context.Context, scheduled time.Time)
}

// Scheduler runs jobs at their intervals. Create one with New, give it jobs
// with Update (at any time, also before Run) and drive it with Run. All
// methods are safe for concurrent use.
type Scheduler struct {
	log     *slog.Logger
	now     func() time.Time
	skip    func(id string) bool
	perHost int
	// coalesce and gather are Options.Coalesce and Options.Gather; rate
	// is how many runs the jobs on the heap make per nanosecond, the sum
	// of their 1/interval. Guarded by mu.
	coalesce time.Duration
	gather   int
	rate     float64
	// concurrency is the global limit; active counts the runs holding
	// one of its slots, and ready the runs that hold their host's slot
	// (or need none) and wait for one, in order. Guarded by mu.
	concurrency int
	active      int
	ready       []pending
	metrics     *metrics
	lag         *lagWindow

	// wake makes the loop look at the heap again after Update.
	wake chan struct{}
	// base is the origin of heap keys, taken with a monotonic reading so
	// that a wall clock step does not reorder or stall the schedule.
	base time.Time

	mu   sync.Mutex
	jobs map[string]*entry
	// retired holds removed jobs whose last run is still in flight, so
	// that a job removed and added back cannot run twice at once.
	retired map[string]*entry
	queue   entryHeap
	hosts   map[string]*hostSlots
	// jobHosts holds the hosts named by the current jobs, whose
	// semaphores are kept between runs.
	jobHosts map[string]bool
	running  bool // Run is active
	wg       sync.WaitGroup
}

// entry is the scheduler's record of one job. Fields are guarded by
// Scheduler.mu.
type entry struct {
	job   Job
	phase time.Duration
	// next is the next scheduled run time, on the job's grid.
	next time.Time
	// soon is a run asked for by RunSoon before next; zero when none.
	soon time.Time
	// index is the position in the heap, -1 when not in it (removed,
	// or set aside by Skip until Resume).
	index int
	// busy is set from the moment a run is dispatched until it returns.
	busy bool
	// waitingFor is the scheduled time of a dispatched run that does not
	// have its slots yet; zero otherwise.
	waitingFor time.Time
}

// due is when the entry's next run comes: its extra run if one is asked
// for, else its grid instant. Callers hold Scheduler.mu.
func (e *entry) due() time.Time {
	if !e.soon.IsZero() && e.soon.Before(e.next) {
		return e.soon
	}
	return e.next
}

// hostSlots is the per-host limit: the runs holding one of its slots and
// the ones waiting for one, in order. It is shared by the runs that use it
// and dropped when none does, so hosts that leave the config do not leak.
// Guarded by Scheduler.mu.
type hostSlots struct {
	running int
	waiting []pending
	refs    int
}

// pending is one dispatched run that has not finished: waiting for its
// slots, or running.
type pending struct {
	e         *entry
	job       Job
	scheduled time.Time
	host      *hostSlots
}

// New returns a scheduler with no jobs. It registers its metrics on
// o.Registerer; a registration failure (a second scheduler on the same
// registry) is logged and the metrics are kept unregistered.
func New(o Options) *Scheduler {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	s := &Scheduler{
		log:         o.Logger,
		now:         o.Now,
		skip:        o.Skip,
		coalesce:    max(o.Coalesce, 0),
		gather:      max(o.Gather, 0),
		perHost:     o.PerHost,
		concurrency: o.Concurrency,
		metrics:     newMetrics(),
		lag:         newLagWindow(),
		wake:        make(chan struct{}, 1),
		base:        o.Now(),
		jobs:        map[string]*entry{},
		retired:     map[string]*entry{},
		hosts:       map[string]*hostSlots{},
	}
	if o.Registerer != nil {
		if err := s.metrics.register(o.Registerer); err != nil {
			s.log.Warn("scheduler metrics not registered", "err", err)
		}
	}
	return s
}

// Phase returns the offset of a job's runs within its interval: runs happen
// at the instants t with t.UnixNano() ≡ Phase(id, interval) (mod interval).
// It is a hash of the ID, so it is stable across restarts and reloads and
// spreads many jobs evenly over the interval.
func Phase(id string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(interval))
}

// firstRun is the first instant at or after now on the grid of interval
// and phase.
func firstRun(now time.Time, interval, phase time.Duration) time.Time {
	pos := time.Duration(now.UnixNano() % int64(interval))
	if pos < 0 {
		pos += interval
	}
	wait := phase - pos
	if wait < 0 {
		wait += interval
	}
	return now.Add(wait)
}

// Update replaces the set of jobs. Jobs whose ID and Key are unchanged keep
// their schedule and are not restarted (only their Run and Host are
// refreshed). New jobs, and jobs whose definition changed, are scheduled at
// the next instant of their grid. Jobs no longer listed are not run again;
// a run of theirs already in flight is allowed to finish. Invalid jobs (an
// empty ID, a nil Run, an interval below MinInterval, a repeated ID) are
// logged and left out; the rest are applied.
func (s *Scheduler) Update(jobs []Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	seen := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		if err := validate(j, seen); err != nil {
			s.log.Error("monitor not scheduled", "monitor", j.ID, "err", err)
			continue
		}
		seen[j.ID] = true
		e, ok := s.jobs[j.ID]
		switch {
		case !ok:
			if e, ok = s.retired[j.ID]; ok {
				delete(s.retired, j.ID)
				e.job, e.soon = j, time.Time{}
			} else {
				e = &entry{job: j, index: -1}
			}
			s.jobs[j.ID] = e
			e.phase = Phase(j.ID, j.Interval)
			e.next = firstRun(now, j.Interval, e.phase)
			heap.Push(&s.queue, item{key: s.key(e.next), e: e})
		case e.job.Key == j.Key && e.job.Interval == j.Interval:
			e.job.Run, e.job.Host = j.Run, j.Host
		case e.job.Interval == j.Interval:
			// A changed definition on the same grid: its next instant
			// is already the right one, and recomputing it could repeat
			// an instant that has just run.
			e.job = j
		default:
			e.job = j
			e.phase = Phase(j.ID, j.Interval)
			e.next = firstRun(now, j.Interval, e.phase)
			if e.index >= 0 {
				s.queue[e.index].key = s.key(e.due())
				heap.Fix(&s.queue, e.index)
			}
		}
	}
	for id, e := range s.jobs {
		if !seen[id] {
			if e.index >= 0 {
				heap.Remove(&s.queue, e.index)
			}
			delete(s.jobs, id)
			if e.busy {
				s.retired[id] = e
			}
		}
	}
	s.jobHosts = make(map[string]bool, len(s.jobHosts))
	for _, e := range s.jobs {
		s.jobHosts[e.job.Host] = true
	}
	for host, h := range s.hosts {
		if h.refs == 0 && !s.jobHosts[host] {
			delete(s.hosts, host)
		}
	}
	s.metrics.jobs.Set(float64(len(s.jobs)))
	s.countRate()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func validate(j Job, seen map[string]bool) error {
	switch {
	case j.ID == "":
		return errors.New("the job has no ID")
	case seen[j.ID]:
		return fmt.Errorf("the ID %q is used twice", j.ID)
	case j.Run == nil:
		return errors.New("the job has nothing to run")
	case j.Interval < MinInterval:
		return fmt.Errorf("interval %s is below the minimum of %s", j.Interval, MinInterval)
	}
	return nil
}

// Len returns the number of scheduled jobs.
func (s *Scheduler) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

// Run starts due jobs until ctx is done, then waits for the runs in flight
// (which see ctx cancelled) and returns nil. It returns an error at once if
// the scheduler is already running.
func (s *Scheduler) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("the scheduler is already running")
	}
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.wg.Wait()
		s.mu.Lock()
		s.dropWaiting()
		s.running = false
		s.mu.Unlock()
	}()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		timer.Reset(s.dispatchDue(ctx))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-s.wake:
		}
	}
}

// idleWait is how long the loop sleeps with no jobs; Update wakes it.
const idleWait = time.Hour

// dispatchDue starts every due run and returns how long to sleep until the
// next one, at least the coalescing window.
func (s *Scheduler) dispatchDue(ctx context.Context) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for len(s.queue) > 0 {
		e := s.queue[0].e
		at := e.due()
		if at.After(now) {
			return max(at.Sub(now), s.window())
		}
		if s.skip != nil && s.skip(e.job.ID) {
			s.setAside(now)
			continue
		}
		var scheduled time.Time
		if at.Before(e.next) {
			// An extra run asked for by RunSoon; the grid stays. One
			// that finds the job running is dropped: the job is running.
			scheduled, e.soon = at, time.Time{}
			s.queue[0].key = s.key(e.next)
			heap.Fix(&s.queue, 0)
			if e.busy {
				continue
			}
		} else {
			// Run the newest grid instant that is due; older ones were
			// missed (the process was suspended or the loop starved) and
			// are skipped.
			interval := e.job.Interval
			missed := int64(now.Sub(e.next) / interval)
			scheduled = e.next.Add(time.Duration(missed) * interval)
			e.next, e.soon = scheduled.Add(interval), time.Time{}
			s.queue[0].key = s.key(e.next)
			heap.Fix(&s.queue, 0)
			if missed > 0 {
				s.metrics.skipped.Add(float64(missed))
			}
			if e.busy {
				s.metrics.skipped.Inc()
				continue
			}
		}
		e.busy = true
		e.waitingFor = scheduled
		s.metrics.waiting.Inc()
		s.admit(ctx, pending{e: e, job: e.job, scheduled: scheduled, host: s.acquireHost(e.job.Host)})
	}
	return idleWait
}

// window is the least time the loop sleeps: Coalesce, or with Gather the
// time in which about Gather runs fall due, if shorter. Callers hold s.mu.
func (s *Scheduler) window() time.Duration {
	if s.gather == 0 || s.rate <= 0 {
		return s.coalesce
	}
	return min(s.coalesce, time.Duration(float64(s.gather)/s.rate))
}

// countRate sums the rate of the jobs on the heap again. Callers hold
// s.mu.
func (s *Scheduler) countRate() {
	s.rate = 0
	for _, it := range s.queue {
		s.rate += 1 / float64(it.e.job.Interval)
	}
}

// setAside takes the job at the top of the heap off the schedule, Skip
// having passed its due run over, until Resume puts it back. Callers hold
// s.mu.
func (s *Scheduler) setAside(now time.Time) {
	e := heap.Pop(&s.queue).(item).e
	e.soon = time.Time{}
	e.next = nextAfter(e.next, e.job.Interval, now)
	s.rate = max(s.rate-1/float64(e.job.Interval), 0)
}

// nextAfter is the first instant after now on the grid of interval
// through next.
func nextAfter(next time.Time, interval time.Duration, now time.Time) time.Time {
	if next.After(now) {
		return next
	}
	return next.Add((now.Sub(next)/interval + 1) * interval)
}

// Resume puts back on the schedule, each at its next instant, the jobs
// set aside because Skip passed their run over: call it whenever Skip may
// say no where it said yes (this replica took monitors over). A job Skip
// still passes over is set aside again at its next instant. It returns
// how many jobs it put back.
func (s *Scheduler) Resume() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now, n := s.now(), 0
	for _, e := range s.jobs {
		if e.index < 0 {
			s.putBack(e, now)
			n++
		}
	}
	if n > 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return n
}

// putBack returns a job set aside to the schedule at its next instant
// from now on: the ones passed meanwhile were another's runs. Callers
// hold s.mu.
func (s *Scheduler) putBack(e *entry, now time.Time) {
	e.next = nextAfter(e.next, e.job.Interval, now.Add(-time.Nanosecond))
	heap.Push(&s.queue, item{key: s.key(e.next), e: e})
	s.rate += 1 / float64(e.job.Interval)
}

// admit takes a dispatched run to its host's queue, or, when its host has
// a free slot, to the queue for a global slot. Callers hold s.mu.
func (s *Scheduler) admit(ctx context.Context, p pending) {
	if h := p.host; h != nil {
		if h.running >= s.perHost {
			h.waiting = append(h.waiting, p)
			return
		}
		h.running++
	}
	s.ready = append(s.ready, p)
	s.startReady(ctx)
}

// startReady starts the runs waiting for a global slot while there are
// free slots. Once ctx is done nothing more starts; Run drops what waits.
// Callers hold s.mu.
func (s *Scheduler) startReady(ctx context.Context) {
	for s.active < s.concurrency && len(s.ready) > 0 && ctx.Err() == nil {
		p := s.ready[0]
		s.ready[0] = pending{}
		s.ready = s.ready[1:]
		s.active++
		p.e.waitingFor = time.Time{}
		s.metrics.waiting.Dec()
		s.wg.Add(1)
		go s.execute(ctx, p)
	}
}

// finish gives back the slots of a run that returned and starts the runs
// that were waiting for them. Callers hold s.mu.
func (s *Scheduler) finish(ctx context.Context, p pending) {
	s.done(p)
	s.active--
	if h := p.host; h != nil {
		h.running--
		if len(h.waiting) > 0 && ctx.Err() == nil {
			next := h.waiting[0]
			h.waiting[0] = pending{}
			h.waiting = h.waiting[1:]
			h.running++
			s.ready = append(s.ready, next)
		}
	}
	s.startReady(ctx)
}

// done marks the run's job free to run again. Callers hold s.mu.
func (s *Scheduler) done(p pending) {
	p.e.busy = false
	p.e.waitingFor = time.Time{}
	if s.retired[p.job.ID] == p.e {
		delete(s.retired, p.job.ID)
	}
	s.releaseHost(p.job.Host, p.host)
}

// dropWaiting forgets the runs that never got their slots, once Run has
// stopped. Callers hold s.mu.
func (s *Scheduler) dropWaiting() {
	drop := func(q []pending) {
		for _, p := range q {
			s.metrics.waiting.Dec()
			s.done(p)
		}
	}
	for _, p := range s.ready {
		if p.host != nil {
			p.host.running--
		}
	}
	drop(s.ready)
	s.ready = nil
	for _, h := range s.hosts {
		q := h.waiting
		h.waiting = nil
		drop(q)
	}
}

// acquireHost returns the limit of host, creating it when needed, or nil
// when the host has no limit. Callers hold s.mu.
func (s *Scheduler) acquireHost(host string) *hostSlots {
	if host == "" || s.perHost <= 0 {
		return nil
	}
	h, ok := s.hosts[host]
	if !ok {
		h = &hostSlots{}
		s.hosts[host] = h
	}
	h.refs++
	return h
}

// releaseHost drops a reference taken by acquireHost; a semaphore no run
// uses and no job names is dropped. Callers hold s.mu.
func (s *Scheduler) releaseHost(host string, h *hostSlots) {
	if h == nil {
		return
	}
	h.refs--
	if h.refs == 0 && !s.jobHosts[host] {
		delete(s.hosts, host)
	}
}

// execute runs a job that has its slots, and gives them back when it
// returns.
func (s *Scheduler) execute(ctx context.Context, p pending) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		s.finish(ctx, p)
		s.mu.Unlock()
	}()
	start := s.now()
	late := max(start.Sub(p.scheduled), 0)
	s.lag.observe(start, late)
	s.metrics.lateness.Observe(late.Seconds())
	s.metrics.runs.Inc()
	s.metrics.inflight.Inc()
	defer s.metrics.inflight.Dec()
	s.call(ctx, p.job, p.scheduled)
}

// call runs the job, turning a panic into a logged error so that one
// faulty check cannot stop all monitoring.
func (s *Scheduler) call(ctx context.Context, j Job, scheduled time.Time) {
	defer func() {
		if v := recover(); v != nil {
			s.metrics.panics.Inc()
			s.log.Error("monitor run panicked", "monitor", j.ID, "panic", fmt.Sprint(v))
		}
	}()
	j.Run(ctx, scheduled)
}

// RunSoon gives each of the listed jobs one run ahead of its grid, spread
// evenly over window from now in the order given, so that thousands of
// them do not start in the same instant: a replica that takes over the
// monitors of one that died runs those whose run fell due meanwhile at
// once, instead of at their next grid instant up to an interval later.
// The runs wait for the same slots as any other; the grid is unchanged.
// A job not scheduled, or whose next grid instant comes before its turn
// (that run is the one it gets), is left out. It returns how many jobs
// got a run.
func (s *Scheduler) RunSoon(ids []string, window time.Duration) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	step := window / time.Duration(max(len(ids), 1))
	asked := 0
	for i, id := range ids {
		e, ok := s.jobs[id]
		if !ok {
			continue
		}
		if e.index < 0 {
			// Set aside by Skip: it comes back with its run.
			s.putBack(e, now)
		}
		at := now.Add(step * time.Duration(i))
		if !at.Before(e.next) || !e.soon.IsZero() && !e.soon.After(at) {
			continue
		}
		e.soon = at
		s.queue[e.index].key = s.key(at)
		heap.Fix(&s.queue, e.index)
		asked++
	}
	if asked > 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return asked
}

// Next returns when the job's next run comes (its extra run, if RunSoon
// asked for one), and false when no job has that id.
func (s *Scheduler) Next(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.jobs[id]
	if !ok {
		return time.Time{}, false
	}
	return e.due(), true
}

// Lag returns how far behind schedule runs are: the larger of the 99th
// percentile of lateness of the runs started in about the last minute and
// the lateness of the oldest run still waiting for a slot (or due and not
// yet dispatched). It is 0 when everything runs on time.
func (s *Scheduler) Lag() time.Duration {
	s.mu.Lock()
	now := s.now()
	var oldest time.Time
	if len(s.queue) > 0 && s.running {
		oldest = s.queue[0].e.due()
	}
	for _, e := range s.jobs {
		if !e.waitingFor.IsZero() && (oldest.IsZero() || e.waitingFor.Before(oldest)) {
			oldest = e.waitingFor
		}
	}
	s.mu.Unlock()
	lag := s.lag.p99(now)
	if !oldest.IsZero() {
		lag = max(lag, now.Sub(oldest))
	}
	return lag
}

// key is the heap key of a run time: nanoseconds since s.base.
func (s *Scheduler) key(t time.Time) int64 { return int64(t.Sub(s.base)) }

// item is one heap element. The key is kept inline so that sifting
// compares integers in one array instead of chasing entry pointers, which
// is most of the scheduler's CPU with ten thousand jobs.
type item struct {
	key int64
	e   *entry
}

// entryHeap orders entries by next run time.
type entryHeap []item

func (h entryHeap) Len() int           { return len(h) }
func (h entryHeap) Less(i, j int) bool { return h[i].key < h[j].key }
func (h entryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].e.index = i
	h[j].e.index = j
}

func (h *entryHeap) Push(x any) {
	it := x.(item)
	it.e.index = len(*h)
	*h = append(*h, it)
}

func (h *entryHeap) Pop() any {
	old := *h
	n := len(old)
	it := old[n-1]
	old[n-1] = item{}
	it.e.index = -1
	*h = old[:n-1]
	return it
}

var _ heap.Interface = (*entryHeap)(nil)
