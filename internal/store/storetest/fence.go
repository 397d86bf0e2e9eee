package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// FencedDown is a batch of monitor id's going down, as a replica writes it
// under fence f: a result, its state, the transition and the page
// (notification id "page-"+id).
func FencedDown(id string, now time.Time, f *store.Fence) store.Batch {
	return store.Batch{
		Results:     []probe.Result{{MonitorID: id, Time: now, Status: probe.Critical, Reason: "refused", Duration: time.Millisecond}},
		States:      map[string]monitor.State{id: {Status: monitor.StatusDown, Since: now}},
		Transitions: []monitor.Transition{{MonitorID: id, From: monitor.StatusUp, To: monitor.StatusDown, Time: now, Reason: "refused"}},
		Outbox:      []notify.OutboxMessage{message("page-"+id, "ops", id, now)},
		Fence:       f,
	}
}

// WantNothingOf fails the test when anything of monitor id's batch (see
// FencedDown) was stored.
func WantNothingOf(t *testing.T, s store.Store, id string) {
	t.Helper()
	ctx := t.Context()
	rs, err := s.Results(ctx, id, store.Page{})
	must(t, err, "Results")
	trs, err := s.Transitions(ctx, id, store.Page{})
	must(t, err, "Transitions")
	states, err := s.MonitorStates(ctx)
	must(t, err, "MonitorStates")
	_, stored := states[id]
	msgs, err := s.ChannelMessages(ctx, []string{"ops"}, store.Page{Limit: 1000})
	must(t, err, "ChannelMessages")
	pages := 0
	for _, m := range msgs {
		if m.Event.MonitorID == id {
			pages++
		}
	}
	if len(rs) != 0 || len(trs) != 0 || stored || pages != 0 {
		t.Errorf("a refused batch of %q stored %d results, %d transitions, its state (%v), %d notifications; want none", id, len(rs), len(trs), stored, pages)
	}
}

// testFencedBatch checks the fence of a replica's batch: it commits while
// the owner holds every lease it names with more than the margin left,
// and otherwise is refused with ECONFLICT naming the lost buckets, having
// written nothing.
func testFencedBatch(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now().Truncate(time.Millisecond)
	ttl, margin := 15*time.Second, 3*time.Second
	_, err := s.BucketLeases(ctx, 8)
	must(t, err, "BucketLeases")
	_, err = s.Heartbeat(ctx, store.Replica{ID: "a", Instance: "1", Seen: now}, now.Add(-ttl))
	must(t, err, "Heartbeat a")
	_, err = s.ClaimBuckets(ctx, "a", []int{0, 1, 2, 3}, now, now.Add(ttl))
	must(t, err, "ClaimBuckets a")
	_, err = s.ClaimBuckets(ctx, "b", []int{4}, now, now.Add(ttl))
	must(t, err, "ClaimBuckets b")
	fence := func(buckets ...int) *store.Fence {
		return &store.Fence{Owner: "a", Buckets: buckets, Margin: margin}
	}

	must(t, s.SaveBatch(ctx, FencedDown("held", now, fence(0, 1))), "SaveBatch under held leases")
	if rs, err := s.Results(ctx, "held", store.Page{}); err != nil || len(rs) != 1 {
		t.Fatalf("a batch under held leases stored %d results (%v), want 1", len(rs), err)
	}

	refused := func(name string, b store.Batch, want []int) {
		t.Helper()
		err := s.SaveBatch(ctx, b)
		wantCode(t, err, errs.ECONFLICT, name)
		lost, ok := store.LeaseLost(err)
		if !ok || !slices.Equal(lost, want) {
			t.Errorf("%s: SaveBatch = %v, want the leases of %v lost", name, err, want)
		}
		WantNothingOf(t, s, b.Transitions[0].MonitorID)
	}
	// Another owner's bucket, a free one and one never created.
	refused("another owner's bucket", FencedDown("theirs", now, fence(1, 4)), []int{4})
	refused("a free bucket", FencedDown("free", now, fence(5, 0)), []int{5})
	refused("a bucket without a lease row", FencedDown("none", now, fence(9)), []int{9})
	// A lease that ends within the margin no longer covers a write.
	clk.Set(now.Add(ttl - margin))
	refused("a lease ending within the margin", FencedDown("late", now, fence(2)), []int{2})
	clk.Set(now.Add(ttl - margin - time.Millisecond))
	must(t, s.SaveBatch(ctx, FencedDown("in-time", now, fence(2))), "SaveBatch just before the margin")

	// The lease ended and b took bucket 3 over: a's write is refused.
	_, err = s.ClaimBuckets(ctx, "b", []int{3}, now.Add(ttl), now.Add(2*ttl))
	must(t, err, "ClaimBuckets b after a's lease ended")
	clk.Set(now)
	refused("a bucket taken over", FencedDown("taken", now, fence(3, 0)), []int{3})

	// A replica not in the registry (no heartbeat yet) is checked too.
	_, err = s.ClaimBuckets(ctx, "c", []int{6}, now, now.Add(ttl))
	must(t, err, "ClaimBuckets c")
	must(t, s.SaveBatch(ctx, FencedDown("unregistered", now, &store.Fence{Owner: "c", Buckets: []int{6}, Margin: margin})), "SaveBatch of a replica not in the registry")
	refused("a replica not in the registry", FencedDown("unregistered-theirs", now, &store.Fence{Owner: "c", Buckets: []int{6, 0}, Margin: margin}), []int{0})

	// No fence, or an empty one, checks nothing.
	for i, f := range []*store.Fence{nil, {Owner: "a"}} {
		must(t, s.SaveBatch(ctx, FencedDown(fmt.Sprintf("unfenced-%d", i), now, f)), "SaveBatch without a fence")
	}
}
