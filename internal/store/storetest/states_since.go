package storetest

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store"
)

var stateSinceTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store, clk *Clock)
}{
	{"StatesSince", testStatesSince},
	{"ConcurrentStatesSince", testConcurrentStatesSince},
	{"StatesSinceOfOthers", testStatesSinceOfOthers},
}

// testStatesSince: a read since a mark returns the states saved after the
// read that gave it, with their new value, and not those saved before.
func testStatesSince(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	up := func(n int) monitor.State {
		return monitor.State{Status: monitor.StatusUp, Since: base, ConsecutiveSuccesses: n}
	}
	got, mark, err := s.MonitorStatesSince(ctx, 0, "")
	must(t, err, "MonitorStatesSince(0) of an empty store")
	if len(got) != 0 {
		t.Fatalf("MonitorStatesSince(0) of an empty store = %v", got)
	}
	must(t, s.SaveBatch(ctx, store.Batch{States: map[string]monitor.State{"a": up(1), "b": up(1), "c": up(1)}}), "SaveBatch a b c")
	got, next, err := s.MonitorStatesSince(ctx, mark, "")
	must(t, err, "MonitorStatesSince")
	if diff := cmp.Diff(map[string]monitor.State{"a": up(1), "b": up(1), "c": up(1)}, got); diff != "" {
		t.Fatalf("MonitorStatesSince after the first save (-want +got):\n%s", diff)
	}
	all, _, err := s.MonitorStatesSince(ctx, 0, "")
	must(t, err, "MonitorStatesSince(0)")
	if len(all) != 3 {
		t.Fatalf("MonitorStatesSince(0) = %v, want a, b and c", all)
	}

	// A state saved before the read that gave the mark may come again
	// while a transaction that began before it runs (on PostgreSQL, in
	// any database of the server); once none does, it no longer comes.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, next, err = s.MonitorStatesSince(ctx, next, "")
		must(t, err, "MonitorStatesSince")
		if len(got) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("MonitorStatesSince still returns %d states saved before the last read after 30s", len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
	must(t, s.SaveBatch(ctx, store.Batch{States: map[string]monitor.State{"b": up(2)}}), "SaveBatch b")
	got, _, err = s.MonitorStatesSince(ctx, next, "")
	must(t, err, "MonitorStatesSince")
	if !cmp.Equal(got["b"], up(2)) {
		t.Fatalf("MonitorStatesSince after b changed = %v, want b with 2 successes", got)
	}
	if _, ok := got["a"]; ok && len(got) == 3 {
		t.Errorf("MonitorStatesSince after b changed returned every state: %v", got)
	}
}

// testConcurrentStatesSince: writers save states while a reader follows
// them with MonitorStatesSince, each read from the mark of the one
// before; once the writers are done and one more read is made, the
// reader has every monitor's last state, none passed over.
func testConcurrentStatesSince(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	const writers, rounds, perBatch = 4, 25, 20
	seen := map[string]monitor.State{}
	var mark int64
	read := func() {
		got, next, err := s.MonitorStatesSince(ctx, mark, "")
		must(t, err, "MonitorStatesSince")
		for id, st := range got {
			seen[id] = st
		}
		mark = next
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				b := store.Batch{States: map[string]monitor.State{}}
				for i := range perBatch {
					// Writers share half their monitors, so their
					// transactions overlap on rows too.
					id := fmt.Sprintf("m%d", (w%2)*perBatch+i)
					b.States[id] = monitor.State{Status: monitor.StatusUp, Since: base, ConsecutiveSuccesses: r, LastReason: fmt.Sprint("writer ", w)}
				}
				if err := s.SaveBatch(ctx, b); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
			read()
		}
	}
	close(errs)
	for err := range errs {
		t.Fatalf("SaveBatch: %v", err)
	}
	read()
	want, err := s.MonitorStates(ctx)
	must(t, err, "MonitorStates")
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("the reader's states against the stored ones (-stored +reader):\n%s", diff)
	}
}

// testStatesSinceOfOthers: a read that names a replica leaves out the
// states that replica saved last, and only those: a state another
// replica saved over one of its own comes again, and so do states saved
// by no replica.
func testStatesSinceOfOthers(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	up := func(n int) monitor.State {
		return monitor.State{Status: monitor.StatusUp, Since: base, ConsecutiveSuccesses: n}
	}
	save := func(replica string, states map[string]monitor.State) {
		t.Helper()
		must(t, s.SaveBatch(ctx, store.Batch{States: states, Replica: replica}), "SaveBatch by "+replica)
	}
	ids := func(got map[string]monitor.State) []string { return slices.Sorted(maps.Keys(got)) }
	read := func(since int64, except string) (map[string]monitor.State, int64) {
		t.Helper()
		got, next, err := s.MonitorStatesSince(ctx, since, except)
		must(t, err, "MonitorStatesSince except "+except)
		return got, next
	}
	save("r1", map[string]monitor.State{"a": up(1), "b": up(1)})
	save("r2", map[string]monitor.State{"c": up(1)})
	save("", map[string]monitor.State{"d": up(1)})
	for except, want := range map[string][]string{"": {"a", "b", "c", "d"}, "r1": {"c", "d"}, "r2": {"a", "b", "d"}, "r3": {"a", "b", "c", "d"}} {
		if got, _ := read(0, except); !slices.Equal(ids(got), want) {
			t.Errorf("MonitorStatesSince(0) except %q = %v, want %v", except, ids(got), want)
		}
	}

	// Every state saved by r1 alone: the mark still moves on.
	_, mark := read(0, "r1")
	save("r1", map[string]monitor.State{"a": up(2)})
	got, next := read(mark, "r1")
	if _, ok := got["a"]; ok {
		t.Errorf("MonitorStatesSince except r1 after r1 saved a = %v, want a left out", ids(got))
	}
	if next < mark {
		t.Errorf("MonitorStatesSince except r1 moved the mark back from %d to %d", mark, next)
	}
	// r2 takes a over: its state is r2's now.
	save("r2", map[string]monitor.State{"a": up(3)})
	got, _ = read(mark, "r1")
	if !cmp.Equal(got["a"], up(3)) {
		t.Errorf("MonitorStatesSince except r1 after r2 saved a = %v, want a with 3 successes", got)
	}
	if got, _ := read(0, "r2"); slices.Contains(ids(got), "a") || !slices.Contains(ids(got), "b") {
		t.Errorf("MonitorStatesSince(0) except r2 after r2 saved a = %v, want b and not a", ids(got))
	}
	all, err := s.MonitorStates(ctx)
	must(t, err, "MonitorStates")
	if !slices.Equal(ids(all), []string{"a", "b", "c", "d"}) || !cmp.Equal(all["a"], up(3)) {
		t.Errorf("MonitorStates = %v, want a (3 successes), b, c and d", all)
	}
}
