package store

import (
	"errors"
	"fmt"
	"time"
)

// Fence is what a write made on behalf of a replica's monitors checks in
// its own transaction, as its last statement before it commits, so that a
// write that hung (a network that stalls without closing the connection)
// cannot land after another replica took those monitors over and paged
// for them: the database refuses it instead.
//
// On PostgreSQL the check holds Owner's registry row (FOR KEY SHARE)
// until the write ends, and a replica taking over buckets whose lease
// Owner let end must lock that row (Replicas.ClaimBuckets): the leases
// cannot change hands between the check and the commit, and a write
// that checks after a takeover reads the new owner and rolls back.
type Fence struct {
	// Owner is the replica the rows are written for (its replica id).
	Owner string
	// Buckets are the buckets of the monitors written: each lease must be
	// Owner's and end more than Margin after the check.
	Buckets []int
	// Margin is how long before a lease ends Owner stops writing under
	// it: what a transaction stalled after the check may still take
	// before the database ends it (see docs/high-availability.md).
	Margin time.Duration
}

// Empty reports whether the fence checks nothing.
func (f *Fence) Empty() bool { return f == nil || len(f.Buckets) == 0 }

// LeaseLostError says a fenced write was refused, and rolled back,
// because Owner no longer held the leases of Buckets (another replica took
// them over, or they end within the fence's margin). Write methods return
// it inside an ECONFLICT *errs.Error; a caller that finds it stops running
// those buckets' monitors until its next round of leases, rather than
// treating the rows as refused data.
type LeaseLostError struct {
	Owner   string
	Buckets []int
}

func (e *LeaseLostError) Error() string {
	return fmt.Sprintf("replica %q no longer holds the leases of buckets %v", e.Owner, e.Buckets)
}

// LeaseLost returns the buckets a fenced write found lost, and whether
// err is such a refusal.
func LeaseLost(err error) ([]int, bool) {
	var e *LeaseLostError
	if errors.As(err, &e) {
		return e.Buckets, true
	}
	return nil, false
}
