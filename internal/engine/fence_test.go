package engine

import (
	"context"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// fencedStore refuses, as the database does, a batch whose fence names a
// bucket in lost, and otherwise keeps it.
type fencedStore struct {
	outageStore
	fmu    sync.Mutex
	lost   map[int]bool
	fences []*store.Fence
}

func (s *fencedStore) SaveBatch(ctx context.Context, b store.Batch) error {
	s.fmu.Lock()
	s.fences = append(s.fences, b.Fence)
	var lost []int
	if b.Fence != nil {
		for _, bk := range b.Fence.Buckets {
			if s.lost[bk] {
				lost = append(lost, bk)
			}
		}
	}
	s.fmu.Unlock()
	if len(lost) > 0 {
		return &errs.Error{Code: errs.ECONFLICT, Message: "leases lost", Err: &store.LeaseLostError{Owner: "r1", Buckets: lost}}
	}
	return s.outageStore.SaveBatch(ctx, b)
}

// bucketLeases is the leases ownership with monitor a in bucket 1 and b
// in bucket 2; Revoke fences every monitor of the buckets it is given.
type bucketLeases struct {
	leases
	revoked [][]int
}

var testBuckets = map[string]int{"a": 1, "b": 2}

func (l *bucketLeases) Fence(ids iter.Seq[string]) *store.Fence {
	var bs []int
	for id := range ids {
		if b := testBuckets[id]; !slices.Contains(bs, b) {
			bs = append(bs, b)
		}
	}
	return &store.Fence{Owner: "r1", Buckets: bs, Margin: time.Second}
}

func (l *bucketLeases) Revoke(buckets []int) {
	l.revoked = append(l.revoked, buckets)
	for id, b := range testBuckets {
		if slices.Contains(buckets, b) && l.Owns(id) {
			l.set(id, hold)
		}
	}
}

var _ Leases = (*bucketLeases)(nil)

// TestWriteRefusedForLostLeases: when the database refuses a batch because
// a lease of one of its buckets was taken over (the write hung past the
// takeover), the engine writes the rest at once, holds that bucket's rows
// as fenced (not dropped as refused data, not retried as a failure), and
// drops them once its round of leases finds the bucket taken, or writes
// them once the lease is renewed.
func TestWriteRefusedForLostLeases(t *testing.T) {
	for _, renewed := range []bool{false, true} {
		st := &fencedStore{lost: map[int]bool{2: true}}
		own := &bucketLeases{leases: leases{fates: map[string]fate{}}}
		e, _, log := bufferEngine(t, st, own, 0)
		ctx := context.Background()
		at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		e.evaluate(probe.Result{MonitorID: "a", Time: at, Status: probe.Critical, Reason: "503"})
		e.evaluate(probe.Result{MonitorID: "b", Time: at, Status: probe.Critical, Reason: "503"})
		e.dur.submitted.Add(2)
		e.dur.evaluated = 2
		e.flushNow(ctx)

		if f := st.fences[0]; f == nil || !slices.Equal(slices.Sorted(slices.Values(f.Buckets)), []int{1, 2}) {
			t.Fatalf("the batch was written with fence %+v, want buckets 1 and 2", f)
		}
		if len(st.results("a")) != 1 || st.transitions("a") != 1 {
			t.Errorf("a's rows were not written in the same flush: %d results, %d transitions", len(st.results("a")), st.transitions("a"))
		}
		if len(st.results("b")) != 0 || st.transitions("b") != 0 {
			t.Fatalf("b's rows were written under a lost lease")
		}
		if !slices.EqualFunc(own.revoked, [][]int{{2}}, slices.Equal) {
			t.Errorf("revoked %v, want [[2]]", own.revoked)
		}
		if b := e.Backlog(); b.Results != 1 || b.Transitions != 1 {
			t.Errorf("b's rows not held: backlog %+v", b)
		}
		if strings.Contains(log.String(), "rejected") || strings.Contains(log.String(), "saving results") {
			t.Errorf("a lost lease was handled as refused data or a failed write:\n%s", log.String())
		}

		if renewed {
			st.fmu.Lock()
			st.lost = nil
			st.fmu.Unlock()
			own.set("b", write)
		} else {
			own.set("b", drop) // the round found bucket 2 taken
		}
		e.flushNow(ctx)
		want := 0
		if renewed {
			want = 1
		}
		if n := len(st.results("b")); n != want || st.transitions("b") != want {
			t.Errorf("renewed %v: b has %d results and %d transitions written, want %d", renewed, n, st.transitions("b"), want)
		}
		if b := e.Backlog(); b.Total() != 0 {
			t.Errorf("renewed %v: backlog %+v after the round settled the lease", renewed, b)
		}
	}
}
