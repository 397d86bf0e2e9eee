package replica

import (
	"slices"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// DefaultBuckets is how many buckets the monitors hash into. Leases are
// held per bucket, not per monitor, so the lease table and each round's
// statements stay the same size whatever the number of monitors, and a
// share moves in steps of about 0.1% of the monitors.
const DefaultBuckets = 1024

// BucketOf returns the bucket of a monitor among n: the same in every
// replica and every version, since it decides who runs the monitor.
func BucketOf(monitorID string, n int) int {
	// FNV-1a, 32 bits (hash/fnv's New32a), inline: called for every
	// result and every row written, it allocates nothing.
	h := uint32(2166136261)
	for i := 0; i < len(monitorID); i++ {
		h ^= uint32(monitorID[i])
		h *= 16777619
	}
	return int(h % uint32(n))
}

// Plan is what one replica does with the leases in one round.
type Plan struct {
	// Take lists the buckets to claim: free ones, or ones whose lease
	// ended, up to the replica's fair share.
	Take []int
	// Release lists the buckets the replica holds beyond its fair share,
	// for the replicas below theirs to take.
	Release []int
}

// Target is the fair share of n buckets of the replica self among the live
// ones: n divided evenly, the remainder going one each to the first ids in
// order, so the shares add up to n and every replica computes the same.
// A replica not among live gets 0.
func Target(self string, live []string, n int) int {
	ids := uniqueSorted(live)
	i, ok := slices.BinarySearch(ids, self)
	if !ok {
		return 0
	}
	t := n / len(ids)
	if i < n%len(ids) {
		t++
	}
	return t
}

func uniqueSorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// Rebalance decides what the replica self takes and gives up, given the
// leases as stored (one per bucket), the live replicas (self among them)
// and the time. It moves only what must move: a replica under its share
// takes free or expired buckets and nothing else; one over its share
// gives up only the excess. It never takes a bucket another replica holds
// on a lease still running, so a replica that dies is replaced only once
// its leases end.
//
// Each replica prefers the buckets from a starting point of its own (a
// hash of its id) onwards: replicas claiming at the same moment mostly ask
// for different buckets, and a replica gives up those at the far end of
// its preference.
func Rebalance(self string, live []string, leases []store.BucketLease, now time.Time) Plan {
	n := len(leases)
	if n == 0 {
		return Plan{}
	}
	target := Target(self, append(slices.Clone(live), self), n)
	start := BucketOf(self, n)
	byPref := make([]store.BucketLease, n)
	for _, l := range leases {
		if l.Bucket < 0 || l.Bucket >= n {
			continue
		}
		byPref[(l.Bucket-start+n)%n] = l
	}
	var held, free []int
	for _, l := range byPref {
		switch {
		case l.Owner == self:
			held = append(held, l.Bucket)
		case l.Owner == "" || !l.Until.After(now):
			free = append(free, l.Bucket)
		}
	}
	var p Plan
	switch {
	case len(held) > target:
		p.Release = slices.Clone(held[target:])
	case len(held) < target:
		p.Take = free[:min(len(free), target-len(held))]
	}
	return p
}
