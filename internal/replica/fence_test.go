package replica

import (
	"context"
	"slices"
	"testing"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// TestFenceFollowsTheLeases writes through the fence a Manager gives, on
// the database the replicas share: it holds while the replica runs the
// monitor, a write of a monitor whose bucket another replica took over
// is refused, and Revoke stops the bucket at once until the next round
// renews it. A bucket given up while balancing stops running, then its
// last rows are written (Release) while its lease is still the
// replica's, and only then is it given up.
func TestFenceFollowsTheLeases(t *testing.T) {
	c := newCluster(t, 200)
	r1 := c.start("r1")
	c.runUntil(t0.Add(c.ttl))
	st, err := sqlstore.Open(t.Context(), sqlstore.Options{Driver: sqlstore.DriverPostgres, DSN: c.dsn, Now: c.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := t.Context()
	write := func(m *Manager, id string) error {
		return st.SaveBatch(ctx, storetest.FencedDown(id, c.clk.Now(), m.Fence(slices.Values([]string{id}))))
	}
	mid := c.monitors[0]
	if err := write(r1.m, mid); err != nil {
		t.Fatalf("a write of a monitor r1 runs: %v", err)
	}

	b := BucketOf(mid, DefaultBuckets)
	r1.m.Revoke([]int{b})
	if r1.m.Owns(mid) || !r1.m.Fenced(mid) {
		t.Fatalf("after Revoke r1 owns %v, fenced %v; want fenced", r1.m.Owns(mid), r1.m.Fenced(mid))
	}
	c.runUntil(c.clk.Now().Add(c.ttl / 3))
	if !r1.m.Owns(mid) {
		t.Fatal("a round that renewed the lease did not run the revoked bucket again")
	}

	// r2 joins: r1 gives up half its buckets. Each is written for with
	// its lease still r1's, after r1 stopped running it.
	var released []int
	r1.m.o.Release = func(ctx context.Context, buckets []int) error {
		ls, err := st.BucketLeases(ctx, DefaultBuckets)
		if err != nil {
			return err
		}
		for _, bk := range buckets {
			if ls[bk].Owner != "r1" {
				t.Errorf("Release of bucket %d called after its lease was given up (owner %q)", bk, ls[bk].Owner)
			}
			if !(*r1.m.snap.Load())[bk].IsZero() {
				t.Errorf("Release of bucket %d called while r1 still runs it", bk)
			}
		}
		released = append(released, buckets...)
		return nil
	}
	r2 := c.start("r2")
	c.runUntil(c.clk.Now().Add(2 * c.ttl))
	c.wantEven("r1", "r2")
	if len(released) == 0 {
		t.Fatal("r1 gave up buckets without calling Release")
	}
	var moved string
	for _, id := range c.monitors {
		if r2.m.Owns(id) && id != mid {
			moved = id
			break
		}
	}
	err = write(r1.m, moved)
	if lost, ok := store.LeaseLost(err); !ok || !slices.Equal(lost, []int{BucketOf(moved, DefaultBuckets)}) {
		t.Fatalf("r1's write of %s, which r2 runs now = %v; want the lease of its bucket lost", moved, err)
	}
	storetest.WantNothingOf(t, st, moved)
	if err := write(r2.m, moved); err != nil {
		t.Fatalf("r2's write of %s: %v", moved, err)
	}
}
