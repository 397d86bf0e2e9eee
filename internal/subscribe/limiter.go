package subscribe

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits of the public subscribe form. A client address may ask a few
// times in a row and then once a minute; one subscribed address gets at
// most two confirmation requests and then one per ten minutes, so the form
// cannot be turned into a way to flood someone's mailbox.
const (
	ClientBurst   = 5
	ClientEvery   = time.Minute
	AddressBurst  = 2
	AddressEvery  = 10 * time.Minute
	maxLimiterKey = 20000
)

// Limiter counts subscription requests per key with token buckets. It
// lives in memory: a restart forgets the counts, and each replica counts
// on its own.
type Limiter struct {
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]*rate.Limiter
}

// NewLimiter returns an empty limiter reading the clock now (nil:
// time.Now).
func NewLimiter(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{now: now, keys: map[string]*rate.Limiter{}}
}

// Key is one bucket a request draws from.
type Key struct {
	Name  string
	Every time.Duration
	Burst int
}

// Allow takes one request from every key, or from none: when a key is
// empty it returns false and how long until all of them have room.
func (l *Limiter) Allow(keys ...Key) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.keys) > maxLimiterKey {
		// Full buckets forget nothing that matters; dropping them all
		// bounds the memory a flood of addresses can take.
		for k, lim := range l.keys {
			if lim.TokensAt(now) >= float64(lim.Burst()) {
				delete(l.keys, k)
			}
		}
	}
	rs := make([]*rate.Reservation, 0, len(keys))
	var wait time.Duration
	for _, k := range keys {
		lim := l.keys[k.Name]
		if lim == nil {
			lim = rate.NewLimiter(rate.Every(k.Every), k.Burst)
			l.keys[k.Name] = lim
		}
		r := lim.ReserveN(now, 1)
		rs = append(rs, r)
		wait = max(wait, r.DelayFrom(now))
	}
	if wait == 0 {
		return true, 0
	}
	for _, r := range rs {
		r.CancelAt(now)
	}
	return false, wait
}
