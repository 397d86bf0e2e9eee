package heartbeat_test

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/probe"
)

// owner is an Owner whose answer a test flips; every heartbeat is in
// bucket 3.
type owner struct{ owns atomic.Bool }

func (o *owner) Owns(string) bool     { return o.owns.Load() }
func (o *owner) Bucket(string) int    { return 3 }
func owning(v bool) *owner            { o := &owner{}; o.owns.Store(v); return o }
func (r *results) count() int         { rs, _ := r.get(); return len(rs) }
func (r *results) last() probe.Result { rs, _ := r.get(); return rs[len(rs)-1] }

// TestRoutedPings: a hub that does not own a heartbeat stores its pings
// and routes them; the owner's hub takes them, applies them in time order
// (an older one moves nothing), writes the state with the take and
// passes the result on; the first hub neither evaluates nor writes them.
func TestRoutedPings(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "t.db"))
	defer db.Close()
	d := heartbeat.Definition{ID: "job", UUID: uuidA, Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}}
	var onA, onB results
	a := startHub(t, db, &onA, []heartbeat.Definition{d}, heartbeat.Options{Owner: owning(false)})
	b := startHub(t, db, &onB, []heartbeat.Definition{d}, heartbeat.Options{Owner: owning(true)})
	defer stop(a)
	defer stop(b)
	ctx := t.Context()
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Millisecond)
	if err := a.Receive(ctx, heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindFail, Time: at}); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.CountPings(ctx, "job"); n != 1 {
		t.Fatalf("stored pings: %d, want 1", n)
	}
	if n, err := b.Take(ctx, []int{3}, 100); n != 1 || err != nil {
		t.Fatalf("Take = %d, %v; want the routed ping", n, err)
	}
	if onB.count() != 1 || onB.last().Status != probe.Critical || onA.count() != 0 {
		t.Fatalf("results: %v on the owner, %v on the other", onB.rs, onA.rs)
	}
	states, _, err := db.HeartbeatStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := b.View("job"); !v.State.LastFailed || !v.State.LastPing.Equal(at) || len(states["job"]) == 0 {
		t.Fatalf("owner's state %+v, stored %s", v.State, states["job"])
	}

	// An older ping, routed after the newer one was applied, moves nothing.
	if err := a.Receive(ctx, heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindSuccess, Time: at.Add(-time.Second)}); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Take(ctx, []int{3}, 100); n != 1 || err != nil {
		t.Fatalf("Take = %d, %v", n, err)
	}
	if v, _ := b.View("job"); !v.State.LastFailed || onB.count() != 1 {
		t.Fatalf("a stale ping was applied: %+v, %d results", v.State, onB.count())
	}
	if n, err := b.Take(ctx, []int{3}, 100); n != 0 || err != nil {
		t.Fatalf("Take of nothing = %d, %v", n, err)
	}
}

// TestRoutedPingBeforeTheDeadline: a ping another replica stored before
// the deadline, which the owner has not taken yet (it takes routed pings
// every quarter of a second, or its buckets just changed hands), keeps
// the deadline from firing: the owner takes the routed pings of due
// heartbeats before judging them.
func TestRoutedPingBeforeTheDeadline(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "t.db"))
	defer db.Close()
	d := heartbeat.Definition{ID: "job", UUID: uuidA, Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}}
	var onA, onB results
	a := startHub(t, db, &onA, []heartbeat.Definition{d}, heartbeat.Options{Owner: owning(false)})
	b := startHub(t, db, &onB, []heartbeat.Definition{d}, heartbeat.Options{Owner: owning(true)})
	defer stop(a)
	defer stop(b)
	ctx := t.Context()
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	if err := b.Receive(ctx, heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindSuccess, Time: t0}); err != nil {
		t.Fatal(err)
	}
	// Routed through the other replica half an hour later; not taken.
	routed := t0.Add(30 * time.Minute)
	if err := a.Receive(ctx, heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindSuccess, Time: routed}); err != nil {
		t.Fatal(err)
	}
	// The first ping's deadline (period and grace) has passed; the routed
	// one's has not.
	b.ExpireAt(t0.Add(2*time.Hour + time.Minute))
	rs, _ := onB.get()
	for _, r := range rs {
		if r.Status != probe.OK {
			t.Fatalf("the deadline fired though a ping was routed before it: %+v", r)
		}
	}
	if v, _ := b.View("job"); !v.State.LastPing.Equal(routed) {
		t.Fatalf("owner's last ping %v, want the routed one at %v", v.State.LastPing, routed)
	}
	// Past the routed ping's deadline too, it fires once.
	b.ExpireAt(routed.Add(2*time.Hour + time.Minute))
	if onB.count() == 0 || onB.last().Status == probe.OK {
		t.Fatalf("no failed result after the routed ping's deadline: %v", onB.rs)
	}
}
