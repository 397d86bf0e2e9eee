package heartbeat

import (
	"hash/maphash"
	"sync"
	"time"
)

// limiter is a token bucket per key (a heartbeat id or a client address):
// rate tokens per second, bursts of 2×rate. Memory is bounded: past
// maxKeys buckets per shard, full buckets are forgotten (a full bucket is
// the same as no bucket).
type limiter struct {
	rate   float64
	burst  float64
	seed   maphash.Seed
	shards [16]limiterShard
}

type limiterShard struct {
	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

const limiterMaxKeys = 8192

// newLimiter returns a limiter of rate per second; nil (no limit) when
// rate is not positive.
func newLimiter(rate int) *limiter {
	if rate <= 0 {
		return nil
	}
	l := &limiter{rate: float64(rate), burst: 2 * float64(rate), seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].m = map[string]*bucket{}
	}
	return l
}

// allow takes a token for key at now, reporting whether there was one.
func (l *limiter) allow(key string, now time.Time) bool {
	if l == nil {
		return true
	}
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.m[key]
	if !ok {
		if len(sh.m) >= limiterMaxKeys {
			l.sweep(sh, now)
		}
		b = &bucket{tokens: l.burst, last: now}
		sh.m[key] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(l.burst, b.tokens+el.Seconds()*l.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep forgets buckets that have refilled; if none has, it forgets all
// but keeps the limit approximately by starting new keys full.
func (l *limiter) sweep(sh *limiterShard, now time.Time) {
	for k, b := range sh.m {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(sh.m, k)
		}
	}
	if len(sh.m) >= limiterMaxKeys {
		clear(sh.m)
	}
}
