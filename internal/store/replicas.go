package store

import (
	"context"
	"time"
)

// Replica is one `tocsin serve` process sharing the database, as its last
// heartbeat described it.
type Replica struct {
	// ID is its server.replica_id; Instance is drawn at random each time a
	// process starts, so a second process using a live replica's id is
	// told apart from that replica's own heartbeats.
	ID, Instance string
	// Host and PID say where the process runs; Address is its web
	// server's listen address, Version its build.
	Host    string
	PID     int
	Address string
	Version string
	// Started is when the process started; Seen its last heartbeat.
	Started, Seen time.Time
	// Buckets and Monitors count what it held at that heartbeat; Lag is
	// its scheduler's lateness then.
	Buckets, Monitors int
	Lag               time.Duration
}

// BucketLease is the lease on one bucket of monitors (each monitor hashes
// into one of a fixed number of buckets): Owner runs its monitors until
// Until. A free bucket has no Owner; its Until, when in the future, is the
// time before which whoever takes it must not run it, because the replica
// that gave it up may still be writing its last results.
type BucketLease struct {
	Bucket int
	Owner  string
	Until  time.Time
}

// Replicas is the registry of the replicas sharing the database and the
// leases that split the monitors between them. Times are passed in by the
// caller, whose clock decides leases (replicas' clocks must agree to well
// within their lease time). Every method is safe to call from several
// processes at once: a lease is taken by one of them only.
type Replicas interface {
	// Heartbeat records r with Seen = r.Seen. When the row of r.ID belongs
	// to another instance that was seen after staleBefore, nothing is
	// written: it returns ECONFLICT and that row, so the caller can say
	// which process already runs under the id.
	Heartbeat(ctx context.Context, r Replica, staleBefore time.Time) (Replica, error)
	// Replicas lists the recorded replicas by id.
	Replicas(ctx context.Context) ([]Replica, error)
	// LeaveReplica removes the row of the replica id while it belongs to
	// instance (a clean stop); no error when there is none.
	LeaveReplica(ctx context.Context, id, instance string) error
	// ForgetReplicas removes the rows of replicas last seen before t and
	// returns how many.
	ForgetReplicas(ctx context.Context, t time.Time) (int, error)
	// BucketLeases returns the leases of buckets 0 to n-1 in order,
	// creating the missing ones free.
	BucketLeases(ctx context.Context, n int) ([]BucketLease, error)
	// ClaimBuckets takes, for owner until until, those of buckets that
	// are free or whose lease ended at or before now (or that owner
	// holds already), skipping any another claimer is taking at the same
	// moment. It returns the buckets taken as they were before, so the
	// caller knows whose they were and until when. Taking buckets whose
	// lease another replica let end waits for that replica's fenced
	// writes in progress (Fence).
	ClaimBuckets(ctx context.Context, owner string, buckets []int, now, until time.Time) ([]BucketLease, error)
	// RenewBuckets extends to until those of buckets owner still holds,
	// and returns them.
	RenewBuckets(ctx context.Context, owner string, buckets []int, until time.Time) ([]int, error)
	// ReleaseBuckets frees those of buckets owner holds; until is when
	// the next holder may start running them.
	ReleaseBuckets(ctx context.Context, owner string, buckets []int, until time.Time) error
}
