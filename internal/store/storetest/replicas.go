package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

func init() {
	replicaTests = []struct {
		name string
		fn   func(t *testing.T, s store.Store, clk *Clock)
	}{
		{"ReplicaRegistry", testReplicaRegistry},
		{"BucketLeases", testBucketLeases},
		{"BucketClaimsConcurrent", testBucketClaimsConcurrent},
		{"FencedBatch", testFencedBatch},
	}
}

var replicaTests []struct {
	name string
	fn   func(t *testing.T, s store.Store, clk *Clock)
}

func testReplicaRegistry(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now().Truncate(time.Millisecond)
	a := store.Replica{ID: "web-1", Instance: "i1", Host: "h1", PID: 42, Address: "10.0.0.1:8080", Version: "v1",
		Started: now, Seen: now, Buckets: 512, Monitors: 1000, Lag: 1500 * time.Microsecond}
	got, err := s.Heartbeat(ctx, a, now.Add(-15*time.Second))
	must(t, err, "Heartbeat")
	if diff := cmp.Diff(a, got); diff != "" {
		t.Fatalf("Heartbeat returned (-want +got):\n%s", diff)
	}
	// The same instance updates its row.
	a.Seen, a.Buckets = now.Add(5*time.Second), 500
	_, err = s.Heartbeat(ctx, a, now.Add(-10*time.Second))
	must(t, err, "Heartbeat again")

	// Another process under the same id is refused while the first is live,
	// and told who holds the id.
	dup := a
	dup.Instance, dup.Host, dup.PID, dup.Seen = "i2", "h2", 7, now.Add(6*time.Second)
	other, err := s.Heartbeat(ctx, dup, now.Add(-9*time.Second))
	wantCode(t, err, errs.ECONFLICT, "Heartbeat of a second process under a live id")
	if other.Instance != "i1" || other.Host != "h1" || other.PID != 42 {
		t.Fatalf("conflict names %+v, want the live process i1 on h1", other)
	}

	b := store.Replica{ID: "web-0\xff", Instance: "j", Host: "h3", Address: "", Version: "v1", Started: now, Seen: now}
	_, err = s.Heartbeat(ctx, b, now.Add(-15*time.Second))
	must(t, err, "Heartbeat with invalid UTF-8")
	_, err = s.Heartbeat(ctx, store.Replica{ID: "x"}, now)
	wantCode(t, err, errs.EINVALID, "Heartbeat without an instance")

	list, err := s.Replicas(ctx)
	must(t, err, "Replicas")
	if len(list) != 2 || list[0].ID != "web-0\uFFFD" || list[1].ID != "web-1" {
		t.Fatalf("Replicas = %+v, want web-0\uFFFD and web-1 in order", list)
	}
	if diff := cmp.Diff(a, list[1]); diff != "" {
		t.Fatalf("stored replica (-want +got):\n%s", diff)
	}

	// Once the first is stale, the id is taken over.
	dup.Seen = now.Add(30 * time.Second)
	_, err = s.Heartbeat(ctx, dup, now.Add(15*time.Second))
	must(t, err, "Heartbeat over a stale replica")

	// Leaving with a stale instance leaves the new one's row alone.
	must(t, s.LeaveReplica(ctx, "web-1", "i1"), "LeaveReplica of the old instance")
	list, _ = s.Replicas(ctx)
	if len(list) != 2 || list[1].Instance != "i2" {
		t.Fatalf("after leaving as i1: %+v, want web-1 still held by i2", list)
	}
	must(t, s.LeaveReplica(ctx, "web-1", "i2"), "LeaveReplica")
	n, err := s.ForgetReplicas(ctx, now.Add(time.Second))
	must(t, err, "ForgetReplicas")
	if list, _ = s.Replicas(ctx); n != 1 || len(list) != 0 {
		t.Fatalf("ForgetReplicas removed %d and left %+v, want 1 and none", n, list)
	}
}

func owners(ls []store.BucketLease) map[int]string {
	out := map[int]string{}
	for _, l := range ls {
		out[l.Bucket] = l.Owner
	}
	return out
}

func testBucketLeases(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now().Truncate(time.Millisecond)
	ttl := 15 * time.Second
	for _, n := range []int{0, -1, 1 << 20} {
		_, err := s.BucketLeases(ctx, n)
		wantCode(t, err, errs.EINVALID, fmt.Sprintf("BucketLeases(%d)", n))
	}
	ls, err := s.BucketLeases(ctx, 8)
	must(t, err, "BucketLeases")
	if len(ls) != 8 || ls[7].Bucket != 7 || ls[3].Owner != "" {
		t.Fatalf("BucketLeases(8) = %+v, want 8 free buckets", ls)
	}
	_, err = s.ClaimBuckets(ctx, "", []int{1}, now, now.Add(ttl))
	wantCode(t, err, errs.EINVALID, "ClaimBuckets without an owner")

	got, err := s.ClaimBuckets(ctx, "a", []int{0, 1, 2, 3}, now, now.Add(ttl))
	must(t, err, "ClaimBuckets a")
	if diff := cmp.Diff(map[int]string{0: "", 1: "", 2: "", 3: ""}, owners(got)); diff != "" {
		t.Fatalf("a took (-want +got):\n%s", diff)
	}
	// b cannot take a's live leases, only the free ones.
	got, err = s.ClaimBuckets(ctx, "b", []int{2, 3, 4, 5}, now.Add(time.Second), now.Add(time.Second+ttl))
	must(t, err, "ClaimBuckets b")
	if diff := cmp.Diff(map[int]string{4: "", 5: ""}, owners(got)); diff != "" {
		t.Fatalf("b took (-want +got):\n%s", diff)
	}
	// a renews what it holds; bucket 4 is b's now.
	renewed, err := s.RenewBuckets(ctx, "a", []int{0, 1, 2, 3, 4}, now.Add(2*ttl))
	must(t, err, "RenewBuckets")
	slices.Sort(renewed)
	if !slices.Equal(renewed, []int{0, 1, 2, 3}) {
		t.Fatalf("RenewBuckets = %v, want [0 1 2 3]", renewed)
	}
	// a gives up 0 and 1; whoever takes them learns when they may run.
	grace := now.Add(3 * time.Second)
	must(t, s.ReleaseBuckets(ctx, "a", []int{0, 1, 4}, grace), "ReleaseBuckets")
	got, err = s.ClaimBuckets(ctx, "b", []int{0, 1}, now.Add(time.Second), now.Add(time.Second+ttl))
	must(t, err, "ClaimBuckets of released buckets")
	want := []store.BucketLease{{Bucket: 0, Until: grace}, {Bucket: 1, Until: grace}}
	slices.SortFunc(got, func(x, y store.BucketLease) int { return x.Bucket - y.Bucket })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("released buckets taken as (-want +got):\n%s", diff)
	}
	// After a's lease ends (no renewal), b takes 2 and 3, and hears they were a's.
	got, err = s.ClaimBuckets(ctx, "b", []int{2, 3}, now.Add(2*ttl), now.Add(3*ttl))
	must(t, err, "ClaimBuckets of expired buckets")
	if diff := cmp.Diff(map[int]string{2: "a", 3: "a"}, owners(got)); diff != "" {
		t.Fatalf("expired buckets taken (-want +got):\n%s", diff)
	}
	// a's renewal now fails: they are not its own any more.
	renewed, err = s.RenewBuckets(ctx, "a", []int{2, 3}, now.Add(4*ttl))
	must(t, err, "RenewBuckets after losing them")
	if len(renewed) != 0 {
		t.Fatalf("a renewed %v after b took them", renewed)
	}
	ls, err = s.BucketLeases(ctx, 10)
	must(t, err, "BucketLeases(10)")
	wantOwners := map[int]string{0: "b", 1: "b", 2: "b", 3: "b", 4: "b", 5: "b", 6: "", 7: "", 8: "", 9: ""}
	if diff := cmp.Diff(wantOwners, owners(ls)); diff != "" {
		t.Fatalf("leases after growing to 10 (-want +got):\n%s", diff)
	}
	if !ls[2].Until.Equal(now.Add(3 * ttl)) {
		t.Fatalf("bucket 2 until %v, want %v", ls[2].Until, now.Add(3*ttl))
	}
}

// testBucketClaimsConcurrent has replicas claim every bucket at once:
// each bucket goes to exactly one.
func testBucketClaimsConcurrent(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	const n, claimers = 256, 4
	_, err := s.BucketLeases(ctx, n)
	must(t, err, "BucketLeases")
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	var wg sync.WaitGroup
	got := make([][]store.BucketLease, claimers)
	errs := make([]error, claimers)
	for c := range claimers {
		wg.Go(func() {
			got[c], errs[c] = s.ClaimBuckets(ctx, fmt.Sprintf("r%d", c), all, now, now.Add(time.Minute))
		})
	}
	wg.Wait()
	taken := map[int]int{}
	for c := range claimers {
		must(t, errs[c], "ClaimBuckets")
		for _, l := range got[c] {
			if prev, ok := taken[l.Bucket]; ok {
				t.Fatalf("bucket %d taken by r%d and r%d", l.Bucket, prev, c)
			}
			taken[l.Bucket] = c
		}
	}
	if len(taken) != n {
		t.Fatalf("%d buckets taken, want %d", len(taken), n)
	}
	ls, err := s.BucketLeases(ctx, n)
	must(t, err, "BucketLeases")
	for _, l := range ls {
		if want := fmt.Sprintf("r%d", taken[l.Bucket]); l.Owner != want {
			t.Fatalf("bucket %d owned by %q, but %s was told it took it", l.Bucket, l.Owner, want)
		}
	}
}
