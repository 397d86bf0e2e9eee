package scheduler

import (
	"math"
	"sync"
	"time"
)

// The lag window keeps lateness counts for the last lagSlots periods of
// lagSlotWidth each, in buckets growing by lagGrowth from lagFirstBucket,
// so Lag can report a recent percentile in constant memory and time.
const (
	lagSlots       = 6
	lagSlotWidth   = 10 * time.Second
	lagFirstBucket = time.Millisecond
	lagGrowth      = 1.2
	lagBuckets     = 72 // the last bound is about 8 minutes; above it is the overflow bucket
)

// lagBounds are the upper bounds of the buckets but the last.
var lagBounds = func() [lagBuckets - 1]time.Duration {
	var b [lagBuckets - 1]time.Duration
	for i := range b {
		b[i] = time.Duration(float64(lagFirstBucket) * math.Pow(lagGrowth, float64(i)))
	}
	return b
}()

type lagSlot struct {
	period int64 // which lagSlotWidth period since the Unix epoch the counts are for
	total  int64
	max    time.Duration
	counts [lagBuckets]int64
}

// lagWindow is a ring of per-period lateness histograms.
type lagWindow struct {
	mu    sync.Mutex
	slots [lagSlots]lagSlot
}

func newLagWindow() *lagWindow { return &lagWindow{} }

func period(t time.Time) int64 { return t.UnixNano() / int64(lagSlotWidth) }

func bucketOf(d time.Duration) int {
	lo, hi := 0, len(lagBounds)
	for lo < hi {
		mid := (lo + hi) / 2
		if d <= lagBounds[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// observe records a run started at now, late by d.
func (w *lagWindow) observe(now time.Time, d time.Duration) {
	p := period(now)
	w.mu.Lock()
	defer w.mu.Unlock()
	s := &w.slots[int(uint64(p)%lagSlots)]
	if s.period != p {
		*s = lagSlot{period: p}
	}
	s.total++
	s.max = max(s.max, d)
	s.counts[bucketOf(d)]++
}

// p99 returns the 99th percentile of the lateness recorded in the current
// period and the lagSlots-1 before it: the upper bound of the bucket it
// falls in, but never more than the largest value seen.
func (w *lagWindow) p99(now time.Time) time.Duration {
	p := period(now)
	w.mu.Lock()
	defer w.mu.Unlock()
	var counts [lagBuckets]int64
	var total int64
	var largest time.Duration
	for i := range w.slots {
		s := &w.slots[i]
		if s.total == 0 || s.period > p || s.period <= p-lagSlots {
			continue
		}
		total += s.total
		largest = max(largest, s.max)
		for b, c := range s.counts {
			counts[b] += c
		}
	}
	if total == 0 {
		return 0
	}
	rank := int64(math.Ceil(float64(total) * 0.99))
	var seen int64
	for b, c := range counts {
		seen += c
		if seen >= rank {
			if b < len(lagBounds) {
				return min(lagBounds[b], largest)
			}
			return largest
		}
	}
	return largest
}
