package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit/proc"
)

func TestMain(m *testing.M) { os.Exit(proc.Main(m)) }

// flaky is a store that fails every call while cut is set: a replica cut
// off from the database.
type flaky struct {
	inner
	cut atomic.Bool
}

type inner = store.Replicas

var errCut = errors.New("connection refused")

func (f *flaky) Heartbeat(ctx context.Context, r store.Replica, stale time.Time) (store.Replica, error) {
	if f.cut.Load() {
		return store.Replica{}, errCut
	}
	return f.inner.Heartbeat(ctx, r, stale)
}

func (f *flaky) Replicas(ctx context.Context) ([]store.Replica, error) {
	if f.cut.Load() {
		return nil, errCut
	}
	return f.inner.Replicas(ctx)
}

func (f *flaky) BucketLeases(ctx context.Context, n int) ([]store.BucketLease, error) {
	if f.cut.Load() {
		return nil, errCut
	}
	return f.inner.BucketLeases(ctx, n)
}

func (f *flaky) RenewBuckets(ctx context.Context, owner string, bs []int, until time.Time) ([]int, error) {
	if f.cut.Load() {
		return nil, errCut
	}
	return f.inner.RenewBuckets(ctx, owner, bs, until)
}

// clock is the fake clock every replica of a test reads.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// cluster runs replicas on one database with a fake clock, round by round
// as Run would, and checks after every step that no monitor is run by two.
type cluster struct {
	t        *testing.T
	dsn      string
	clk      *clock
	ttl      time.Duration
	monitors []string
	reps     map[string]*member
}

type member struct {
	m     *Manager
	st    *flaky
	next  time.Time
	alive bool
	// gone is what Gone was told, in order.
	gone []string
	// owned counts the calls of Owned; ran and ranAt are the monitors
	// it ran at the last check and the count then.
	owned int
	ran   map[string]bool
	ranAt int
}

const testTTL = 15 * time.Second

func newCluster(t *testing.T, monitors int) *cluster {
	c := &cluster{t: t, dsn: storetest.PostgresDSN(t), clk: &clock{t: t0}, ttl: testTTL, reps: map[string]*member{}}
	for i := range monitors {
		c.monitors = append(c.monitors, fmt.Sprintf("monitor-%05d", i))
	}
	return c
}

func (c *cluster) open() store.Store {
	st, err := sqlstore.Open(c.t.Context(), sqlstore.Options{Driver: sqlstore.DriverPostgres, DSN: c.dsn})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

// start joins a replica. Its Acquire checks that no other replica runs a
// monitor of the buckets it is about to run.
func (c *cluster) start(id string) *member {
	c.t.Helper()
	f := &flaky{inner: c.open()}
	mem := &member{st: f, alive: true}
	mem.m = New(Options{
		Store: f, ID: id, TTL: c.ttl, Now: c.clk.Now, Logger: slog.New(slog.DiscardHandler),
		Acquire: func(_ context.Context, buckets []int) error {
			set := map[int]bool{}
			for _, b := range buckets {
				set[b] = true
			}
			for oid, o := range c.reps {
				if oid == id || !o.alive {
					continue
				}
				for _, mid := range c.monitors {
					if set[BucketOf(mid, DefaultBuckets)] && o.m.Owns(mid) {
						c.t.Errorf("%s acquires monitor %s while %s still runs it", id, mid, oid)
						return nil
					}
				}
			}
			return nil
		},
		Gone: func(_ context.Context, ids []string) error {
			mem.gone = append(mem.gone, ids...)
			return nil
		},
		Owned: func() { mem.owned++ },
	})
	if err := mem.m.Join(c.t.Context()); err != nil {
		c.t.Fatalf("Join %s: %v", id, err)
	}
	mem.next = c.clk.Now()
	c.reps[id] = mem
	return mem
}

// runUntil plays the replicas' rounds until the fake clock reaches end,
// checking ownership every 250ms of it.
func (c *cluster) runUntil(end time.Time) {
	c.t.Helper()
	for {
		now := c.clk.Now()
		next := now.Add(250 * time.Millisecond)
		for _, r := range c.reps {
			if r.alive && r.next.Before(next) {
				next = r.next
			}
		}
		if next.After(end) {
			c.clk.Set(end)
			c.checkExclusive()
			return
		}
		c.clk.Set(next)
		for _, r := range c.reps {
			if r.alive && !r.next.After(next) {
				d, err := r.m.Round(c.t.Context())
				if err != nil && !r.st.cut.Load() {
					c.t.Fatalf("round of %s: %v", r.m.o.ID, err)
				}
				r.next = next.Add(d)
			}
		}
		c.checkExclusive()
	}
}

// owners counts the monitors each replica runs now, and fails the test on
// a monitor run by two.
func (c *cluster) owners() (map[string]int, int) {
	out := map[string]int{}
	unowned := 0
	for _, mid := range c.monitors {
		var by []string
		for id, r := range c.reps {
			if r.alive && r.m.Owns(mid) { // a dead process runs nothing
				by = append(by, id)
			}
		}
		switch len(by) {
		case 0:
			unowned++
		case 1:
			out[by[0]]++
		default:
			c.t.Fatalf("at %s monitor %s is run by %v", c.clk.Now().Sub(t0), mid, by)
		}
	}
	return out, unowned
}

// checkExclusive fails the test on a monitor run by two replicas, and on
// a replica that runs a monitor it did not run at the last check without
// having said so with Owned (its scheduler would keep the monitor set
// aside as another's: run by nobody).
func (c *cluster) checkExclusive() {
	c.owners()
	for id, r := range c.reps {
		if !r.alive {
			continue
		}
		now := map[string]bool{}
		for _, mid := range c.monitors {
			if r.m.Owns(mid) {
				now[mid] = true
				if !r.ran[mid] && r.owned == r.ranAt {
					c.t.Fatalf("at %s %s runs monitor %s it did not run before, and Owned was not called", c.clk.Now().Sub(t0), id, mid)
				}
			}
		}
		r.ran, r.ranAt = now, r.owned
	}
}

func (c *cluster) wantEven(ids ...string) {
	c.t.Helper()
	got, unowned := c.owners()
	if unowned != 0 {
		c.t.Fatalf("%d monitors run by no replica: %v", unowned, got)
	}
	fair := float64(len(c.monitors)) / float64(len(ids))
	for _, id := range ids {
		if n := float64(got[id]); n < fair*0.9 || n > fair*1.1 {
			c.t.Fatalf("replica %s runs %v monitors, want %.0f ±10%% (all: %v)", id, n, fair, got)
		}
	}
}

// coveredWithin plays rounds until every monitor is run again and returns
// the fake time that took from start.
func (c *cluster) coveredWithin(start time.Time, limit time.Duration) time.Duration {
	c.t.Helper()
	for c.clk.Now().Sub(start) <= limit {
		c.runUntil(c.clk.Now().Add(250 * time.Millisecond))
		if _, unowned := c.owners(); unowned == 0 {
			return c.clk.Now().Sub(start)
		}
	}
	c.t.Fatalf("monitors still unowned %s after the replica stopped", limit)
	return 0
}

func TestReplicasShareAndTakeOver(t *testing.T) {
	c := newCluster(t, 6000)
	c.start("r1")
	c.start("r2")
	c.runUntil(t0.Add(2 * c.ttl))
	c.wantEven("r1", "r2")

	c.start("r3")
	c.runUntil(c.clk.Now().Add(2 * c.ttl))
	c.wantEven("r1", "r2", "r3")

	// r3 dies without a word (kill -9): right after one of its rounds.
	c.runUntil(c.reps["r3"].next)
	dead := c.clk.Now()
	c.reps["r3"].alive = false
	took := c.coveredWithin(dead, c.ttl+time.Second)
	t.Logf("a stopped replica's monitors were taken over %s after its last renewal (lease_ttl %s)", took, c.ttl)
	if took > c.ttl+250*time.Millisecond {
		t.Fatalf("takeover took %s, want within the lease time %s", took, c.ttl)
	}
	c.runUntil(c.clk.Now().Add(c.ttl))
	c.wantEven("r1", "r2")
	// Each survivor ends r3's leases on notifications once.
	for _, id := range []string{"r1", "r2"} {
		if got := c.reps[id].gone; len(got) != 1 || got[0] != "r3" {
			t.Errorf("%s was told of silent replicas %v, want [r3] once", id, got)
		}
	}
}

func TestReplicaLeaveHandsOverAtOnce(t *testing.T) {
	c := newCluster(t, 3000)
	c.start("r1")
	r2 := c.start("r2")
	c.runUntil(t0.Add(2 * c.ttl))
	c.wantEven("r1", "r2")
	if err := r2.m.Leave(t.Context()); err != nil {
		t.Fatal(err)
	}
	r2.alive = false
	delete(c.reps, "r2")
	// r1 sees r2 gone from the registry and takes its buckets next round.
	took := c.coveredWithin(c.clk.Now(), c.ttl)
	if took > c.ttl/3+250*time.Millisecond {
		t.Fatalf("after a clean stop the takeover took %s, want one round (%s)", took, c.ttl/3)
	}
}

// TestReplicaFencing cuts one replica off from the database: it stops
// running its monitors before its leases end, the other takes them over
// only after, and no monitor is ever run by both (checked every 250ms).
func TestReplicaFencing(t *testing.T) {
	c := newCluster(t, 3000)
	c.start("r1")
	r2 := c.start("r2")
	c.runUntil(t0.Add(2 * c.ttl))
	c.wantEven("r1", "r2")

	c.runUntil(r2.next)
	r2.st.cut.Store(true)
	cut := c.clk.Now()
	c.runUntil(cut.Add(c.ttl - c.ttl/5 - 250*time.Millisecond))
	if got := len(r2.m.Buckets()); got == 0 {
		t.Fatalf("r2 stopped running its monitors before its fencing time")
	}
	c.runUntil(cut.Add(c.ttl - c.ttl/5 + time.Millisecond))
	if got := len(r2.m.Buckets()); got != 0 {
		t.Fatalf("r2, cut off since %s, still runs %d buckets", c.clk.Now().Sub(cut), got)
	}
	if !r2.m.Status().Fenced {
		t.Fatalf("r2 does not say it is fenced")
	}
	var former string
	for _, id := range c.monitors {
		if r2.m.Fenced(id) {
			former = id
			break
		}
	}
	if former == "" {
		t.Fatal("no monitor of r2's is fenced")
	}
	c.coveredWithin(cut, c.ttl+time.Second)
	got, _ := c.owners()
	if got["r1"] != len(c.monitors) {
		t.Fatalf("r1 runs %d monitors, want all %d", got["r1"], len(c.monitors))
	}

	// The cut heals: r2 finds its buckets taken, and gets a share back.
	r2.st.cut.Store(false)
	c.runUntil(c.clk.Now().Add(3 * c.ttl))
	c.wantEven("r1", "r2")
	if r2.m.Fenced(former) {
		t.Errorf("monitor %s, taken over by r1 while r2 was cut off, is still fenced on r2", former)
	}
}

func TestJoinUnderALiveID(t *testing.T) {
	c := newCluster(t, 10)
	c.start("r1")
	st := c.open()
	// A second process started with r1's id while r1 runs: it waits, sees
	// r1 go on heartbeating, and refuses.
	dup := New(Options{Store: st, ID: "r1", TTL: c.ttl, Now: c.clk.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			c.runUntil(c.clk.Now().Add(d))
			return nil
		}})
	err := dup.Join(t.Context())
	if !errors.Is(err, ErrIDInUse) {
		t.Fatalf("Join under a live id: %v, want ErrIDInUse", err)
	}
	t.Logf("refused: %v", err)

	// After a crash (r1 silent), a process with its id waits for the
	// leases to end and takes over.
	c.reps["r1"].alive = false
	restart := New(Options{Store: st, ID: "r1", TTL: c.ttl, Now: c.clk.Now,
		Sleep: func(ctx context.Context, d time.Duration) error {
			c.clk.Set(c.clk.Now().Add(d))
			return nil
		}})
	start := c.clk.Now()
	if err := restart.Join(t.Context()); err != nil {
		t.Fatalf("Join after a crash: %v", err)
	}
	if waited := c.clk.Now().Sub(start); waited > c.ttl+c.ttl/3 {
		t.Fatalf("restart waited %s", waited)
	}
	if _, err := restart.Round(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := len(restart.Buckets()); got != DefaultBuckets {
		t.Fatalf("the restarted replica runs %d buckets, want all", got)
	}
	_, err = st.Heartbeat(t.Context(), store.Replica{ID: "r1", Instance: "other", Seen: c.clk.Now()}, c.clk.Now().Add(-c.ttl))
	if errs.Code(err) != errs.ECONFLICT {
		t.Fatalf("heartbeat of a third instance: %v", err)
	}
}

// TestJoinAfterACrashOnThisHost: the previous process under this id ran on
// this host and is gone; the new one takes over without waiting.
func TestJoinAfterACrashOnThisHost(t *testing.T) {
	c := newCluster(t, 10)
	st := c.open()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skipf("no process to outlive: %v", err)
	}
	host, _ := os.Hostname()
	now := c.clk.Now()
	if _, err := st.Heartbeat(t.Context(), store.Replica{ID: "r1", Instance: "dead", Host: host, PID: gone.Process.Pid, Started: now, Seen: now}, now.Add(-c.ttl)); err != nil {
		t.Fatal(err)
	}
	m := New(Options{Store: st, ID: "r1", TTL: c.ttl, Now: c.clk.Now,
		Sleep: func(context.Context, time.Duration) error {
			t.Fatal("Join waited for a process that is gone")
			return nil
		}})
	if err := m.Join(t.Context()); err != nil {
		t.Fatalf("Join after a crash on this host: %v", err)
	}
}
