package batch_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store/batch"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit"
)

// table is an in-memory destination that refuses negative rows and fails
// every write while down is set.
type table struct {
	mu     sync.Mutex
	rows   []int
	writes int
	down   bool
	// downAfter, when positive, sets down after that many writes.
	downAfter int
}

func (tb *table) write(rows []int) error {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	tb.writes++
	if tb.downAfter > 0 && tb.writes > tb.downAfter {
		tb.down = true
	}
	if tb.down {
		return errors.New("connection refused")
	}
	for _, r := range rows {
		if r < 0 {
			return errs.Errorf(errs.EINVALID, "row %d is negative", r)
		}
	}
	tb.rows = append(tb.rows, rows...)
	return nil
}

// setup returns a clock at t0, a set of writers reading it and logging to
// log, and one writer in it called name.
func setup(name string, depth func() int, maxDepth int) (*storetest.Clock, *batch.Writers, *batch.Writer, *bytes.Buffer) {
	clk := storetest.NewClock(time.Unix(1000, 0))
	var log bytes.Buffer
	s := batch.New(batch.Options{Now: clk.Now, Logger: slog.New(slog.NewTextHandler(&log, nil)), Window: 30 * time.Second, LogEvery: time.Minute})
	return clk, s, s.Add(name, depth, maxDepth), &log
}

func advance(clk *storetest.Clock, d time.Duration) { clk.Set(clk.Now().Add(d)) }

func TestWriteIsolatesRefusedRows(t *testing.T) {
	tests := []struct {
		name     string
		rows     []int
		want     []int
		rejected []int
	}{
		{"all good", []int{1, 2, 3, 4}, []int{1, 2, 3, 4}, nil},
		{"one bad", []int{1, 2, -3, 4, 5, 6, 7, 8}, []int{1, 2, 4, 5, 6, 7, 8}, []int{-3}},
		{"bad first and last", []int{-1, 2, 3, 4, 5, -6}, []int{2, 3, 4, 5}, []int{-1, -6}},
		{"all bad", []int{-1, -2, -3}, nil, []int{-1, -2, -3}},
		{"a single bad row", []int{-1}, nil, []int{-1}},
		{"empty", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s, w, _ := setup("results", nil, 0)
			tb := &table{}
			o := batch.Write(w, tt.rows, tb.write)
			if o.Err != nil || len(o.Unwritten) != 0 {
				t.Fatalf("Err %v, unwritten %v", o.Err, o.Unwritten)
			}
			if diff := cmp.Diff(tt.want, tb.rows); diff != "" {
				t.Errorf("written (-want +got):\n%s", diff)
			}
			var rejected []int
			for _, r := range o.Rejected {
				rejected = append(rejected, r.Row)
				if !batch.Refused(r.Err) {
					t.Errorf("row %d rejected with %v, not a refusal", r.Row, r.Err)
				}
			}
			if diff := cmp.Diff(tt.rejected, rejected); diff != "" {
				t.Errorf("rejected (-want +got):\n%s", diff)
			}
			if got := metric(t, s, "tocsin_store_dropped_rows_total", "results"); got != float64(len(tt.rejected)) {
				t.Errorf("dropped rows counted %v, want %d", got, len(tt.rejected))
			}
			if p := s.Problems(); len(p) != 0 {
				t.Errorf("a refused row made the writer unhealthy: %q", p)
			}
		})
	}
}

func TestWriteStopsWhenTheStoreFails(t *testing.T) {
	_, s, w, _ := setup("pings", nil, 0)
	// The first write is refused (row -4), the first half is written, then
	// the database goes away.
	tb := &table{downAfter: 2}
	o := batch.Write(w, []int{1, 2, 3, -4, 5, 6}, tb.write)
	if o.Err == nil || batch.Refused(o.Err) {
		t.Fatalf("Err = %v, want the store's failure", o.Err)
	}
	if diff := cmp.Diff([]int{-4, 5, 6}, o.Unwritten); diff != "" {
		t.Errorf("unwritten (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2, 3}, tb.rows); diff != "" {
		t.Errorf("written (-want +got):\n%s", diff)
	}
	if len(o.Rejected) != 0 {
		t.Errorf("rejected %v although the store failed before it could tell", o.Rejected)
	}
	if got := metric(t, s, "tocsin_writer_failed_batches_total", "pings"); got != 1 {
		t.Errorf("failed batches = %v, want 1", got)
	}
}

// metric reads one series of s by its name and writer label, 0 when absent.
func metric(t *testing.T, s *batch.Writers, name, writer string) float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(s)
	return testkit.Metric(t, reg, name, "writer", writer)
}

// TestHealth walks a writer through failures, a recovery, a hanging write
// and a queue that stays over its bound, checking what Problems says.
func TestHealth(t *testing.T) {
	depth := 0
	clk, s, w, _ := setup("results", func() int { return depth }, 100)
	down := errs.Errorf(errs.EUNAVAILABLE, "disk full")
	wantProblem := func(step, want string) {
		t.Helper()
		p := strings.Join(s.Problems(), "\n")
		if want == "" && p != "" || !strings.Contains(p, want) {
			t.Errorf("%s: problems %q, want %q", step, p, want)
		}
	}
	wantProblem("new", "")
	_ = w.Do(func() error { return nil })
	wantProblem("after a write", "")
	_ = w.Do(func() error { return down })
	advance(clk, time.Second)
	_ = w.Do(func() error { return down })
	wantProblem("two failed writes", "the results writer cannot write to the database (2 failed writes, the last 0s ago, none succeeded since): disk full")
	_ = w.Do(func() error { return errs.Errorf(errs.EINVALID, "bad row") })
	wantProblem("a refusal: the database answers", "")
	_ = w.Do(func() error { return down })
	advance(clk, 30*time.Second)
	wantProblem("no write for the window after a failure", "")
	_ = w.Do(func() error { return down })
	wantProblem("failing again", "cannot write to the database (2 failed writes")
	_ = w.Do(func() error { return nil })
	wantProblem("recovered", "")

	// A write that hangs.
	release := make(chan struct{})
	started, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		_ = w.Do(func() error {
			close(started)
			<-release
			return nil
		})
	}()
	<-started
	advance(clk, 29*time.Second)
	wantProblem("a write running 29s", "")
	advance(clk, time.Second)
	wantProblem("a write running 30s", "a write of the results writer has been running for 30s")
	close(release)
	<-finished
	wantProblem("the write ended", "")

	// A queue over its bound: unhealthy once it stays there for the window.
	depth = 101
	wantProblem("queue just over", "")
	advance(clk, 20*time.Second)
	depth = 100
	wantProblem("queue back at the bound", "")
	depth = 500
	wantProblem("queue over again", "")
	advance(clk, 30*time.Second)
	wantProblem("queue over for the window", "the results writer's queue has held more than 100 rows for 30s (now 500)")
	if got := metric(t, s, "tocsin_writer_queue_depth", "results"); got != 500 {
		t.Errorf("tocsin_writer_queue_depth = %v, want 500", got)
	}
	if got := metric(t, s, "tocsin_writer_failed_batches_total", "results"); got != 4 {
		t.Errorf("tocsin_writer_failed_batches_total = %v, want 4", got)
	}
}

// TestRejectLogIsRateLimited: a steady stream of bad rows writes one log
// line per LogEvery, saying how many rows went since the last one.
func TestRejectLogIsRateLimited(t *testing.T) {
	clk, s, w, log := setup("pings", nil, 0)
	tb := &table{}
	for range 100 {
		batch.Write(w, []int{1, -1}, tb.write)
		advance(clk, time.Second)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines for 100 bad rows over 100s, want 2:\n%s", len(lines), log.String())
	}
	if !strings.Contains(lines[0], "dropped=1 ") || !strings.Contains(lines[1], "dropped=60 ") {
		t.Errorf("log lines do not count the rows dropped since the last:\n%s", log.String())
	}
	if got := metric(t, s, "tocsin_store_dropped_rows_total", "pings"); got != 100 {
		t.Errorf("dropped rows = %v, want 100", got)
	}
}
