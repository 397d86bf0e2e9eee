package scheduler

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// harness runs a scheduler inside a synctest bubble for a test.
type harness struct {
	t      *testing.T
	s      *Scheduler
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, o Options, jobs []Job) *harness {
	t.Helper()
	reg := prometheus.NewRegistry()
	o.Registerer = reg
	s := New(o)
	s.Update(jobs)
	ctx, cancel := context.WithCancel(t.Context())
	h := &harness{t: t, s: s, reg: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- s.Run(ctx) }()
	return h
}

// stop cancels the scheduler and waits for Run to return.
func (h *harness) stop() {
	h.t.Helper()
	h.cancel()
	if err := <-h.done; err != nil {
		h.t.Fatalf("Run returned %v", err)
	}
}

// metric returns the value of a counter or gauge without labels.
func (h *harness) metric(name string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatalf("gathering metrics: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	h.t.Fatalf("metric %s not registered", name)
	return 0
}

// recorder collects the start of every run, per job.
type recorder struct {
	mu   sync.Mutex
	runs map[string][]run
}

type run struct{ scheduled, started time.Time }

func newRecorder() *recorder { return &recorder{runs: map[string][]run{}} }

func (r *recorder) job(id string, interval time.Duration, work func(ctx context.Context)) Job {
	return Job{ID: id, Key: "v1", Interval: interval, Run: func(ctx context.Context, scheduled time.Time) {
		r.mu.Lock()
		r.runs[id] = append(r.runs[id], run{scheduled: scheduled, started: time.Now()})
		r.mu.Unlock()
		if work != nil {
			work(ctx)
		}
	}}
}

// jobs returns n jobs monitor-0 to monitor-(n-1) at interval that only
// record their runs.
func (r *recorder) jobs(n int, interval time.Duration) []Job {
	out := make([]Job, n)
	for i := range out {
		out[i] = r.job(fmt.Sprintf("monitor-%d", i), interval, nil)
	}
	return out
}

func (r *recorder) of(id string) []run {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]run(nil), r.runs[id]...)
}

func sleep(d time.Duration) func(context.Context) {
	return func(ctx context.Context) {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
}

func TestFirstRunsSpreadOverTheInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, interval = 1000, 10 * time.Second
		rec := newRecorder()
		jobs := rec.jobs(n, interval)
		begin := time.Now()
		h := start(t, Options{}, jobs)
		time.Sleep(interval)
		h.stop()

		perSecond := make([]int, 10)
		at := map[time.Time]string{}
		for i := range n {
			id := fmt.Sprintf("monitor-%d", i)
			runs := rec.of(id)
			if len(runs) == 0 {
				t.Fatalf("%s did not run within its first interval", id)
			}
			first := runs[0]
			offset := first.scheduled.Sub(begin)
			if offset < 0 || offset >= interval {
				t.Fatalf("%s first ran %v after start, want within [0, %v)", id, offset, interval)
			}
			if !first.started.Equal(first.scheduled) {
				t.Errorf("%s started at %v, scheduled %v", id, first.started, first.scheduled)
			}
			if got, want := time.Duration(first.scheduled.UnixNano()%int64(interval)), Phase(id, interval); got != want {
				t.Errorf("%s ran at phase %v, want %v", id, got, want)
			}
			if other, ok := at[first.scheduled]; ok {
				t.Errorf("%s and %s share the first run time %v", id, other, first.scheduled)
			}
			at[first.scheduled] = id
			perSecond[offset/time.Second]++
		}
		// Evenly: every tenth of the interval holds about a tenth of the
		// jobs. The phases are a fixed hash, so this is deterministic.
		for sec, c := range perSecond {
			if c < n/10*7/10 || c > n/10*13/10 {
				t.Errorf("second %d of the interval has %d first runs, want about %d (all: %v)", sec, c, n/10, perSecond)
			}
		}
	})
}

func TestNoDriftOverHours(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval, span = 10 * time.Second, 6 * time.Hour
		rec := newRecorder()
		begin := time.Now()
		// A slow job (3s of a 10s interval) and one that overruns its
		// interval every time (15s): neither may shift the grid.
		h := start(t, Options{}, []Job{
			rec.job("slow", interval, sleep(3*time.Second)),
			rec.job("overrun", interval, sleep(15*time.Second)),
		})
		time.Sleep(span)
		h.stop()

		for _, tc := range []struct {
			id    string
			every int // runs happen on every n-th grid instant
		}{{"slow", 1}, {"overrun", 2}} {
			runs := rec.of(tc.id)
			first := firstRun(begin, interval, Phase(tc.id, interval))
			want := 0
			for at := first; at.Before(begin.Add(span)); at = at.Add(time.Duration(tc.every) * interval) {
				want++
			}
			if len(runs) < want-1 || len(runs) > want {
				t.Errorf("%s ran %d times in %v, want %d", tc.id, len(runs), span, want)
			}
			for k, r := range runs {
				sched := first.Add(time.Duration(k*tc.every) * interval)
				if !r.scheduled.Equal(sched) || !r.started.Equal(sched) {
					t.Fatalf("%s run %d scheduled %v started %v, want both %v", tc.id, k, r.scheduled, r.started, sched)
				}
			}
		}
		// The overrunning job skips one tick per run.
		if got, want := h.metric("tocsin_scheduler_skipped_total"), float64(len(rec.of("overrun"))); got < want-1 || got > want {
			t.Errorf("skipped_total = %v, want about %v", got, want)
		}
	})
}

func TestNoDriftWithAJitteryClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The scheduler's clock reads 0 to 4ms late by turns, as a busy
		// machine wakes timers late: each run starts a little late, and
		// that lateness must not add up.
		var mu sync.Mutex
		calls := 0
		jittery := func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			calls++
			return time.Now().Add(time.Duration(calls%5) * time.Millisecond)
		}
		const interval, span = 10 * time.Second, time.Hour
		rec := newRecorder()
		begin := time.Now()
		h := start(t, Options{Now: jittery}, []Job{rec.job("m", interval, nil)})
		time.Sleep(span)
		h.stop()
		runs := rec.of("m")
		if len(runs) < 359 {
			t.Fatalf("%d runs in an hour at 10s, want 360", len(runs))
		}
		first := firstRun(begin, interval, Phase("m", interval))
		for k, r := range runs {
			if want := first.Add(time.Duration(k) * interval); !r.scheduled.Equal(want) {
				t.Fatalf("run %d scheduled at %v, %v off the grid", k, r.scheduled, r.scheduled.Sub(want))
			}
		}
		if got := h.metric("tocsin_scheduler_lateness_seconds"); got != float64(len(runs)) {
			t.Errorf("lateness histogram has %v samples for %d runs", got, len(runs))
		}
	})
}

// peak tracks the largest number of simultaneous runs.
type peak struct {
	mu        sync.Mutex
	cur, high map[string]int
}

func newPeak() *peak { return &peak{cur: map[string]int{}, high: map[string]int{}} }

func (p *peak) wrap(key string, d time.Duration) func(context.Context) {
	return func(ctx context.Context) {
		p.mu.Lock()
		for _, k := range []string{key, "*"} {
			p.cur[k]++
			p.high[k] = max(p.high[k], p.cur[k])
		}
		p.mu.Unlock()
		sleep(d)(ctx)
		p.mu.Lock()
		p.cur[key]--
		p.cur["*"]--
		p.mu.Unlock()
	}
}

func TestConcurrencyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec, pk := newRecorder(), newPeak()
		var jobs []Job
		for i := range 50 {
			jobs = append(jobs, rec.job(fmt.Sprintf("m%d", i), time.Second, pk.wrap("all", 900*time.Millisecond)))
		}
		h := start(t, Options{Concurrency: 5}, jobs)
		time.Sleep(10 * time.Second)
		if lag := h.s.Lag(); lag <= 0 {
			t.Errorf("Lag() = %v with 50 jobs wanting 45 slots of 5", lag)
		}
		if got := h.metric("tocsin_scheduler_inflight"); got != 5 {
			t.Errorf("inflight = %v, want 5", got)
		}
		if got := h.metric("tocsin_scheduler_waiting"); got == 0 {
			t.Error("no run waiting for a slot")
		}
		h.stop()
		if got := pk.high["*"]; got != 5 {
			t.Errorf("at most %d runs at once, want exactly the limit 5", got)
		}
	})
}

func TestPerHostLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec, pk := newRecorder(), newPeak()
		var jobs []Job
		for i := range 30 {
			host := []string{"a.example", "b.example", ""}[i%3]
			j := rec.job(fmt.Sprintf("m%d", i), time.Second, pk.wrap(host, 900*time.Millisecond))
			j.Host = host
			jobs = append(jobs, j)
		}
		h := start(t, Options{Concurrency: 100, PerHost: 2}, jobs)
		time.Sleep(10 * time.Second)
		h.stop()
		for host, want := range map[string]int{"a.example": 2, "b.example": 2, "": 10} {
			if got := pk.high[host]; got != want {
				t.Errorf("host %q: at most %d runs at once, want %d", host, got, want)
			}
		}
		h.s.Update(nil)
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		if len(h.s.hosts) != 0 {
			t.Errorf("%d host semaphores left after all jobs were removed", len(h.s.hosts))
		}
	})
}

// TestWaitingRunsHoldNoGoroutine runs a thousand jobs against one host
// that takes two at a time: the runs waiting for the host are queued, not
// parked in goroutines of their own, and stopping forgets them cleanly.
func TestWaitingRunsHoldNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec, pk := newRecorder(), newPeak()
		var jobs []Job
		for i := range 1000 {
			j := rec.job(fmt.Sprintf("m%d", i), time.Second, pk.wrap("a.example", 900*time.Millisecond))
			j.Host = "a.example"
			jobs = append(jobs, j)
		}
		before := runtime.NumGoroutine()
		h := start(t, Options{Concurrency: 100, PerHost: 2}, jobs)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		// The scheduler's loop, Run's goroutine and the two runs.
		if got := runtime.NumGoroutine() - before; got > 4 {
			t.Errorf("%d goroutines with 2 runs in flight and the rest waiting, want at most 4", got)
		}
		if got := h.metric("tocsin_scheduler_waiting"); got < 900 {
			t.Errorf("waiting = %v, want the runs the host held back (about 1000)", got)
		}
		h.stop()
		if got := pk.high["a.example"]; got != 2 {
			t.Errorf("at most %d runs at once against the host, want 2", got)
		}
		if got := h.metric("tocsin_scheduler_waiting"); got != 0 {
			t.Errorf("waiting = %v after Run returned, want 0", got)
		}
		h.s.mu.Lock()
		busy := 0
		for _, e := range h.s.jobs {
			if e.busy || !e.waitingFor.IsZero() {
				busy++
			}
		}
		h.s.mu.Unlock()
		if busy != 0 {
			t.Errorf("%d jobs still marked busy after Run returned", busy)
		}
		// Started again, every job runs again.
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- h.s.Run(ctx) }()
		time.Sleep(2 * time.Second)
		cancel()
		<-done
		if got := h.metric("tocsin_scheduler_inflight"); got != 0 {
			t.Errorf("inflight = %v after the second Run returned", got)
		}
	})
}

func TestHangingJobDelaysNoOne(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		hang := func(ctx context.Context) { <-ctx.Done() }
		jobs := []Job{rec.job("hang", time.Second, hang)}
		for i := range 10 {
			jobs = append(jobs, rec.job(fmt.Sprintf("m%d", i), time.Second, nil))
		}
		h := start(t, Options{Concurrency: 2}, jobs)
		time.Sleep(30 * time.Second)
		if lag := h.s.Lag(); lag != 0 {
			t.Errorf("Lag() = %v; a hanging job is not lateness of the others", lag)
		}
		h.stop()
		if got := len(rec.of("hang")); got != 1 {
			t.Errorf("the hanging job started %d times, want 1", got)
		}
		for i := range 10 {
			id := fmt.Sprintf("m%d", i)
			runs := rec.of(id)
			if len(runs) < 29 {
				t.Errorf("%s ran %d times in 30s, want 30", id, len(runs))
			}
			for _, r := range runs {
				if !r.started.Equal(r.scheduled) {
					t.Errorf("%s started %v late", id, r.started.Sub(r.scheduled))
				}
			}
		}
		if got := h.metric("tocsin_scheduler_skipped_total"); got < 29 {
			t.Errorf("skipped_total = %v, want the hanging job's 29 or more ticks", got)
		}
	})
}

func TestUpdateKeepsPhaseAndStopsRemovedJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = 10 * time.Second
		rec := newRecorder()
		started := make(chan struct{}, 10)
		var finished atomic.Int32
		removed := rec.job("removed", interval, func(ctx context.Context) {
			started <- struct{}{}
			sleep(5 * time.Second)(ctx)
			finished.Add(1)
		})
		begin := time.Now()
		h := start(t, Options{}, []Job{rec.job("same", interval, nil), rec.job("changed", interval, nil), removed})

		<-started
		<-started // the second run of "removed" is in flight now
		updateAt := time.Now()
		changed := rec.job("changed", interval, nil)
		changed.Key = "v2"
		slower := rec.job("retimed", 3*interval, nil)
		h.s.Update([]Job{rec.job("same", interval, nil), changed, rec.job("new", interval, nil), slower})
		if got := h.s.Len(); got != 4 {
			t.Errorf("Len() = %d after update, want 4", got)
		}
		time.Sleep(time.Minute)
		h.stop()

		for _, id := range []string{"same", "changed"} {
			first := firstRun(begin, interval, Phase(id, interval))
			runs := rec.of(id)
			for k, r := range runs {
				if want := first.Add(time.Duration(k) * interval); !r.scheduled.Equal(want) {
					t.Fatalf("%s run %d at %v, want %v: the update moved or repeated it", id, k, r.scheduled, want)
				}
			}
			if len(runs) < 7 {
				t.Errorf("%s ran %d times, want 7 or more", id, len(runs))
			}
		}
		if runs := rec.of("new"); len(runs) == 0 || runs[0].scheduled.Before(updateAt) ||
			!runs[0].scheduled.Equal(firstRun(updateAt, interval, Phase("new", interval))) {
			t.Errorf("new job runs %v, want the first on its grid after %v", runs, updateAt)
		}
		if got := len(rec.of("removed")); got != 2 {
			t.Errorf("removed job ran %d times, want 2 (none after the update)", got)
		}
		if finished.Load() != 2 {
			t.Error("the removed job's run in flight did not finish")
		}
		if got := h.metric("tocsin_scheduler_jobs"); got != 4 {
			t.Errorf("jobs gauge = %v, want 4", got)
		}
	})
}

func TestUpdateWithChangedIntervalMovesToTheNewGrid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		h := start(t, Options{}, []Job{rec.job("m", time.Minute, nil)})
		time.Sleep(90 * time.Second)
		updateAt := time.Now()
		j := rec.job("m", 10*time.Second, nil)
		j.Key = "v2"
		h.s.Update([]Job{j})
		time.Sleep(30 * time.Second)
		h.stop()
		var after []time.Time
		for _, r := range rec.of("m") {
			if !r.scheduled.Before(updateAt) {
				after = append(after, r.scheduled)
			}
		}
		if len(after) != 3 {
			t.Fatalf("%d runs in 30s after changing the interval to 10s, want 3", len(after))
		}
		for i, at := range after {
			if want := firstRun(updateAt, 10*time.Second, Phase("m", 10*time.Second)).Add(time.Duration(i) * 10 * time.Second); !at.Equal(want) {
				t.Errorf("run %d at %v, want %v", i, at, want)
			}
		}
	})
}

func TestInvalidJobsAreLeftOut(t *testing.T) {
	var logs bytes.Buffer
	s := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	noop := func(context.Context, time.Time) {}
	s.Update([]Job{
		{ID: "ok", Interval: time.Second, Run: noop},
		{ID: "", Interval: time.Second, Run: noop},
		{ID: "zero", Run: noop},
		{ID: "norun", Interval: time.Second},
		{ID: "ok", Interval: time.Minute, Run: noop},
	})
	if got := s.Len(); got != 1 {
		t.Errorf("Len() = %d, want 1", got)
	}
	for _, want := range []string{"the job has no ID", "interval 0s is below the minimum", "nothing to run", "is used twice"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestRunWaitsForRunsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cleaned atomic.Bool
		rec := newRecorder()
		h := start(t, Options{}, []Job{rec.job("m", time.Second, func(ctx context.Context) {
			<-ctx.Done()
			time.Sleep(time.Second) // cleanup after cancellation
			cleaned.Store(true)
		})})
		time.Sleep(2 * time.Second)
		if err := h.s.Run(t.Context()); err == nil {
			t.Error("a second concurrent Run did not fail")
		}
		h.stop()
		if !cleaned.Load() {
			t.Error("Run returned before the run in flight finished")
		}
	})
}

func TestPanickingJobIsContained(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		h := start(t, Options{}, []Job{
			rec.job("bad", time.Second, func(context.Context) { panic("boom") }),
			rec.job("good", time.Second, nil),
		})
		time.Sleep(5 * time.Second)
		h.stop()
		if got := len(rec.of("bad")); got < 4 {
			t.Errorf("the panicking job ran %d times, want it to keep its schedule", got)
		}
		if got := len(rec.of("good")); got < 4 {
			t.Errorf("the other job ran %d times", got)
		}
		if got := h.metric("tocsin_scheduler_panics_total"); got < 4 {
			t.Errorf("panics_total = %v", got)
		}
	})
}

func TestLagCountsRunsWaitingForASlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		hang := func(ctx context.Context) { <-ctx.Done() }
		h := start(t, Options{Concurrency: 1}, []Job{rec.job("a", time.Second, hang), rec.job("b", time.Second, hang)})
		time.Sleep(30 * time.Second)
		// One of the two holds the only slot; the other's first run has
		// been waiting since its scheduled time, 29 to 30 seconds ago.
		if lag := h.s.Lag(); lag < 29*time.Second || lag > 30*time.Second {
			t.Errorf("Lag() = %v, want about 30s", lag)
		}
		h.stop()
	})
}

func TestLagWindowPercentile(t *testing.T) {
	w := newLagWindow()
	now := time.Unix(1_700_000_000, 0)
	for i := range 1000 {
		d := time.Millisecond
		if i%100 == 0 { // 1% of runs are very late
			d = 5 * time.Second
		}
		w.observe(now, d)
	}
	if got := w.p99(now); got > 2*time.Millisecond {
		t.Errorf("p99 = %v with 1%% outliers, want about 1ms", got)
	}
	for range 20 {
		w.observe(now, 3*time.Second)
	}
	// The answer is the bound of the bucket 3s falls in, at most 20% above.
	if got := w.p99(now); got < 3*time.Second || got > 3600*time.Millisecond {
		t.Errorf("p99 = %v with 3%% at 3s, want 3s to 3.6s", got)
	}
	if got := w.p99(now.Add(lagSlots * lagSlotWidth)); got != 0 {
		t.Errorf("p99 a minute later = %v, want 0", got)
	}
}

func TestPhaseIsStable(t *testing.T) {
	// Phases are part of the schedule users see; they must not change
	// between versions.
	if got, want := Phase("web", 10*time.Second), Phase("web", 10*time.Second); got != want || got < 0 || got >= 10*time.Second {
		t.Errorf("Phase = %v, %v", got, want)
	}
	if Phase("web", 10*time.Second) == Phase("api", 10*time.Second) {
		t.Error("two IDs share a phase")
	}
	if got := Phase("web", 0); got != 0 {
		t.Errorf("Phase with a zero interval = %v", got)
	}
	now := time.Unix(1_700_000_003, 0)
	if got := firstRun(now, 10*time.Second, 5*time.Second); !got.Equal(time.Unix(1_700_000_005, 0)) {
		t.Errorf("firstRun = %v", got)
	}
	if got := firstRun(now, 10*time.Second, 3*time.Second); !got.Equal(now) {
		t.Errorf("firstRun on the grid = %v, want now", got)
	}
	if got := firstRun(now, 10*time.Second, time.Second); !got.Equal(time.Unix(1_700_000_011, 0)) {
		t.Errorf("firstRun past the phase = %v", got)
	}
}

func TestReaddedJobDoesNotOverlapItsOldRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		var running, overlaps atomic.Int32
		slow := rec.job("m", time.Second, func(ctx context.Context) {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			sleep(5 * time.Second)(ctx)
			running.Add(-1)
		})
		h := start(t, Options{}, []Job{slow})
		time.Sleep(1500 * time.Millisecond) // the first run is in flight
		h.s.Update(nil)
		h.s.Update([]Job{slow})
		time.Sleep(10 * time.Second)
		h.stop()
		if overlaps.Load() != 0 {
			t.Error("a job removed and added back ran twice at once")
		}
		if got := len(rec.of("m")); got < 2 {
			t.Errorf("the re-added job ran %d times, want it to run again", got)
		}
	})
}

// TestSkippedRunsAreNotDispatched: a due run Skip passes over is not
// made, counted or timed, and the job keeps its grid: once Skip lets it
// through, it runs at its next instant.
func TestSkippedRunsAreNotDispatched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Second
		rec := newRecorder()
		var theirs atomic.Bool
		theirs.Store(true)
		var asked, askedB atomic.Int64
		skip := func(id string) bool {
			asked.Add(1)
			if id == "b" {
				askedB.Add(1)
			}
			return id == "b" && theirs.Load()
		}
		h := start(t, Options{Skip: skip}, []Job{rec.job("a", interval, nil), rec.job("b", interval, nil)})
		time.Sleep(10 * interval)
		synctest.Wait()
		if n := len(rec.of("b")); n != 0 {
			t.Fatalf("b ran %d times while another ran it", n)
		}
		ran := len(rec.of("a"))
		if ran < 9 || ran > 10 {
			t.Fatalf("a ran %d times in 10 intervals", ran)
		}
		if asked.Load() < 10 {
			t.Fatalf("Skip was asked %d times for 2 jobs over 10 intervals", asked.Load())
		}
		// Passed over once, b is set aside: not looked at again at every
		// instant, which cost each replica as much as running every job.
		if n := askedB.Load(); n != 1 {
			t.Fatalf("Skip was asked %d times about b over 10 intervals, want once: it is set aside until Resume", n)
		}
		h.s.mu.Lock()
		got := h.s.queue.Len()
		h.s.mu.Unlock()
		if got != 1 {
			t.Errorf("%d jobs on the schedule, want 1 (b set aside)", got)
		}
		if got := h.metric("tocsin_scheduler_runs_total"); got != float64(ran) {
			t.Errorf("tocsin_scheduler_runs_total = %v, want %d: the runs passed over are not runs", got, ran)
		}
		if got := h.metric("tocsin_scheduler_lateness_seconds"); got != float64(ran) {
			t.Errorf("lateness samples = %v, want %d", got, ran)
		}
		if got := h.metric("tocsin_scheduler_skipped_total"); got != 0 {
			t.Errorf("tocsin_scheduler_skipped_total = %v, want 0", got)
		}

		theirs.Store(false)
		if n := h.s.Resume(); n != 1 {
			t.Fatalf("Resume put back %d jobs, want 1", n)
		}
		from := time.Now()
		time.Sleep(interval)
		h.stop()
		runs := rec.of("b")
		if len(runs) != 1 {
			t.Fatalf("b ran %d times in the interval after it became ours, want 1", len(runs))
		}
		if got, want := time.Duration(runs[0].scheduled.UnixNano()%int64(interval)), Phase("b", interval); got != want || runs[0].scheduled.Before(from) {
			t.Errorf("b ran at %v (phase %v), want its phase %v after %v", runs[0].scheduled, got, want, from)
		}
	})
}

func TestRunSoonRunsOverdueJobsOnceAndKeepsTheGrid(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, interval, window = 100, 60 * time.Second, 5 * time.Second
		rec := newRecorder()
		var jobs []Job
		var ids []string
		for i := range n {
			id := fmt.Sprintf("m%d", i)
			ids = append(ids, id)
			jobs = append(jobs, rec.job(id, interval, nil))
		}
		begin := time.Now()
		h := start(t, Options{}, jobs)
		soon := ids[:n/2]
		got := h.s.RunSoon(append(slices.Clone(soon), "not-a-job"), window)
		step := window / time.Duration(len(soon)+1)
		time.Sleep(3 * interval)
		h.stop()

		asked := 0
		for i, id := range ids {
			runs := rec.of(id)
			grid := firstRun(begin, interval, Phase(id, interval))
			extra := i < n/2 && begin.Add(step*time.Duration(i)).Before(grid)
			if extra {
				asked++
				at := begin.Add(step * time.Duration(i))
				if len(runs) == 0 || !runs[0].started.Equal(at) {
					t.Fatalf("%s: runs %v, want a first run at %v (%v after the call)", id, runs, at, at.Sub(begin))
				}
				runs = runs[1:]
			}
			if len(runs) < 2 {
				t.Fatalf("%s ran %d times on its grid in three intervals", id, len(runs))
			}
			for k, r := range runs {
				if want := grid.Add(time.Duration(k) * interval); !r.scheduled.Equal(want) || !r.started.Equal(want) {
					t.Fatalf("%s grid run %d scheduled %v started %v, want %v (extra run: %v)", id, k, r.scheduled, r.started, want, extra)
				}
			}
		}
		if got != asked || asked < n/2*3/4 {
			t.Errorf("RunSoon said %d jobs got a run, %d did (of %d asked)", got, asked, n/2)
		}
	})
}

func TestRunSoonKeepsTheLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec, pk := newRecorder(), newPeak()
		var jobs []Job
		var ids []string
		for i := range 40 {
			host := []string{"a.example", ""}[i%2]
			j := rec.job(fmt.Sprintf("m%d", i), time.Hour, pk.wrap(host, time.Second))
			j.Host = host
			jobs = append(jobs, j)
			ids = append(ids, j.ID)
		}
		h := start(t, Options{Concurrency: 5, PerHost: 2}, jobs)
		begin := time.Now()
		h.s.RunSoon(ids, 0)
		time.Sleep(time.Minute)
		h.stop()
		for host, want := range map[string]int{"a.example": 2, "*": 5} {
			if got := pk.high[host]; got != want {
				t.Errorf("host %q: at most %d runs at once, want %d", host, got, want)
			}
		}
		for _, id := range ids {
			grid := firstRun(begin, time.Hour, Phase(id, time.Hour))
			want := 1
			if grid.Before(begin.Add(time.Minute)) {
				want = 2
			}
			if got := len(rec.of(id)); got != want {
				t.Errorf("%s ran %d times in a minute, want %d", id, got, want)
			}
		}
	})
}

func TestCoalescedRunsStartTogetherNeverEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, interval, coalesce = 1000, 10 * time.Second, 20 * time.Millisecond
		rec := newRecorder()
		jobs := rec.jobs(n, interval)
		h := start(t, Options{Coalesce: coalesce}, jobs)
		time.Sleep(3 * interval)
		h.stop()

		starts := map[time.Time]bool{}
		runs := 0
		for i := range n {
			id := fmt.Sprintf("monitor-%d", i)
			got := rec.of(id)
			if len(got) < 2 || len(got) > 3 {
				t.Fatalf("%s ran %d times in 3 intervals", id, len(got))
			}
			for k, r := range got {
				if late := r.started.Sub(r.scheduled); late < 0 || late > coalesce {
					t.Fatalf("%s run %d started %v after its instant, want within [0, %v]", id, k, late, coalesce)
				}
				if k > 0 && r.scheduled.Sub(got[k-1].scheduled) != interval {
					t.Fatalf("%s runs scheduled %v apart, want %v: the grid moved", id, r.scheduled.Sub(got[k-1].scheduled), interval)
				}
				starts[r.started] = true
				runs++
			}
		}
		// 1,000 jobs over 10 s fall due 10 ms apart on average: at most
		// one look every 20 ms, so at most 1,500 distinct start instants
		// over 30 s, against one per run without coalescing.
		if max := int(3*interval/coalesce) + 1; len(starts) > max {
			t.Errorf("%d runs started at %d instants, want at most %d", runs, len(starts), max)
		}
		if len(starts) > runs*3/4 {
			t.Errorf("%d runs started at %d instants: not coalesced", runs, len(starts))
		}
	})
}

// TestJobsSetAsideSurviveUpdatesAndRunSoon: a job Skip set aside can be
// changed or removed by a reload, and RunSoon (a takeover running what
// fell due meanwhile) puts it back with its run.
func TestJobsSetAsideSurviveUpdatesAndRunSoon(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval = time.Second
		rec := newRecorder()
		var theirs atomic.Bool
		theirs.Store(true)
		skip := func(id string) bool { return id != "mine" && theirs.Load() }
		jobs := []Job{rec.job("mine", interval, nil), rec.job("moved", interval, nil), rec.job("gone", interval, nil), rec.job("overdue", interval, nil)}
		h := start(t, Options{Skip: skip}, jobs)
		time.Sleep(2 * interval)
		synctest.Wait()

		// A reload while they are set aside: one changes interval, one
		// leaves the configuration.
		moved := rec.job("moved", 2*interval, nil)
		moved.Key = "v2"
		h.s.Update([]Job{jobs[0], moved, jobs[3]})
		theirs.Store(false)
		if n := h.s.RunSoon([]string{"overdue"}, 0); n != 1 {
			t.Fatalf("RunSoon gave %d jobs a run, want 1", n)
		}
		synctest.Wait()
		if n := len(rec.of("overdue")); n != 1 {
			t.Fatalf("overdue ran %d times at once after RunSoon, want 1", n)
		}
		if n := h.s.Resume(); n != 1 {
			t.Fatalf("Resume put back %d jobs, want 1 (moved)", n)
		}
		time.Sleep(4 * interval)
		h.stop()
		if n := len(rec.of("gone")); n != 0 {
			t.Errorf("gone ran %d times", n)
		}
		if n := len(rec.of("moved")); n != 2 {
			t.Errorf("moved ran %d times in 4 s at its new interval of 2 s, want 2", n)
		}
		for _, r := range rec.of("moved") {
			if got, want := time.Duration(r.scheduled.UnixNano()%int64(2*interval)), Phase("moved", 2*interval); got != want {
				t.Errorf("moved ran at phase %v, want %v", got, want)
			}
		}
		if n := len(rec.of("overdue")); n < 4 || n > 5 {
			t.Errorf("overdue ran %d times, want its run and then every second", n)
		}
	})
}

// TestGatherWaitsForAboutSoManyRuns: with Gather the loop sleeps the time
// in which about Gather runs fall due, from the jobs on its schedule: half
// of them set aside as another's, it waits twice as long, so that a
// wake-up serves as many runs; never past Coalesce, never early.
func TestGatherWaitsForAboutSoManyRuns(t *testing.T) {
	for _, tc := range []struct {
		name    string
		theirs  bool // every odd job is another's
		maxLate time.Duration
	}{
		// 1,000 jobs at 10 s: 100 runs a second, 4 in 40 ms.
		{"all ours", false, 40 * time.Millisecond},
		// 500 on the schedule: 50 a second, 4 in 80 ms.
		{"half another's", true, 80 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const n, interval, span = 1000, 10 * time.Second, 30 * time.Second
				rec := newRecorder()
				jobs := rec.jobs(n, interval)
				skip := func(id string) bool {
					var i int
					_, _ = fmt.Sscanf(id, "monitor-%d", &i)
					return tc.theirs && i%2 == 1
				}
				// The first interval sets the others' jobs aside.
				h := start(t, Options{Coalesce: time.Second, Gather: 4, Skip: skip}, jobs)
				time.Sleep(interval)
				from := time.Now()
				time.Sleep(span)
				h.stop()

				starts := map[time.Time]bool{}
				runs, latest := 0, time.Duration(0)
				for i := range n {
					for _, r := range rec.of(fmt.Sprintf("monitor-%d", i)) {
						late := r.started.Sub(r.scheduled)
						if late < 0 {
							t.Fatalf("monitor-%d started %v before its instant", i, -late)
						}
						if r.started.Before(from) {
							continue
						}
						latest = max(latest, late)
						starts[r.started] = true
						runs++
					}
				}
				if latest > tc.maxLate {
					t.Errorf("a run started %v late, want at most %v", latest, tc.maxLate)
				}
				if latest < tc.maxLate/2 {
					t.Errorf("runs started at most %v late, want up to about %v: not gathered", latest, tc.maxLate)
				}
				perWake := float64(runs) / float64(len(starts))
				if perWake < 3 || perWake > 5 {
					t.Errorf("%d runs on %d wake-ups, %.1f each; want about 4", runs, len(starts), perWake)
				}
			})
		})
	}
}
