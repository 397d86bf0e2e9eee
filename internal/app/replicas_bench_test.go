package app

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/replica"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// largeReplica returns one of two replicas sharing 100,000 monitors at 60s
// on PostgreSQL, with a stored state for each: the other replica, b, holds
// half the buckets, and this one, a, the other half.
func largeReplica(b *testing.B) *App {
	b.Helper()
	cfg := largeConfig(b, b.TempDir(), scaleMonitors)
	cfg.Storage = config.Storage{Driver: "postgres", DSN: storetest.PostgresDSN(b)}
	cfg.Server.ReplicaID = "a"
	largeStates(b, cfg)
	a := newLargeApp(b, cfg)
	ctx := context.Background()
	now := time.Now()
	if _, err := a.store.Heartbeat(ctx, store.Replica{ID: "b", Instance: "b", Started: now, Seen: now.Add(time.Hour)}, now); err != nil {
		b.Fatal(err)
	}
	half := make([]int, replica.DefaultBuckets/2)
	for i := range half {
		half[i] = i
	}
	if _, err := a.store.ClaimBuckets(ctx, "b", half, now, now.Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	if err := a.joinReplicas(ctx); err != nil {
		b.Fatal(err)
	}
	if n := len(a.replicas.Buckets()); n != replica.DefaultBuckets/2 {
		b.Fatalf("a holds %d buckets, want %d", n, replica.DefaultBuckets/2)
	}
	return a
}

// BenchmarkRefreshOthersLarge measures one refresh of the state of the
// monitors another replica runs, at 100,000 monitors at 60s shared by two
// replicas on PostgreSQL, the default lease_ttl of 15s apart: between two
// refreshes the other replica stores the state of the quarter of its
// monitors that ran (not timed). It reports this process's CPU per
// refresh; PostgreSQL's own is in bench/replicas.
func BenchmarkRefreshOthersLarge(b *testing.B) {
	a := largeReplica(b)
	ctx := context.Background()
	var theirs []string
	for _, m := range a.config().Monitors {
		if !a.replicas.Owns(m.ID) {
			theirs = append(theirs, m.ID)
		}
	}
	if err := a.refreshOthersOnce(ctx); err != nil {
		b.Fatal(err)
	}
	at := time.Now()
	var cpu time.Duration
	next := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// The quarter of b's monitors that ran in 15 s.
		batch := store.Batch{States: map[string]monitor.State{}, Replica: "b"}
		at = at.Add(15 * time.Second)
		for range len(theirs) / 4 {
			id := theirs[next%len(theirs)]
			next++
			batch.States[id] = monitor.State{Status: monitor.StatusUp, Since: at.Add(-time.Hour), LastResultAt: at, LastStatus: probe.OK, ConsecutiveSuccesses: next}
		}
		if err := a.store.SaveBatch(ctx, batch); err != nil {
			b.Fatal(err)
		}
		c0 := cpuTime()
		b.StartTimer()
		if err := a.refreshOthersOnce(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += cpuTime() - c0
		b.StartTimer()
	}
	b.ReportMetric(cpu.Seconds()*1000/float64(b.N), "cpu-ms/op")
	if v, _ := a.eng.View(theirs[(next-1)%len(theirs)]); v.State.ConsecutiveSuccesses != next {
		b.Fatalf("the last state b stored is not shown: %+v", v.State)
	}
}

// BenchmarkDescribeReplicaLarge measures what a heartbeat says of a
// replica holding half of 100,000 monitors: each heartbeat (every third
// of lease_ttl) counts the monitors it runs.
func BenchmarkDescribeReplicaLarge(b *testing.B) {
	a := largeReplica(b)
	b.ReportAllocs()
	for b.Loop() {
		var r store.Replica
		a.describeReplica(&r)
		if r.Monitors < scaleMonitors/3 || r.Monitors > 2*scaleMonitors/3 {
			b.Fatalf("a runs %d monitors", r.Monitors)
		}
	}
}

// cpuTime is the CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
