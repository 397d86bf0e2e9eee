package web

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Login throttling limits.
const (
	loginMaxFailures = 5
	loginWindow      = 15 * time.Minute
	loginMaxKeys     = 10000
)

// loginLimiter counts failed logins per client address and account name
// and refuses further attempts once a key has too many failures in the
// window.
//
// It lives in memory on purpose: its job is to make online guessing slow,
// not to keep an exact account. A restart forgets the counts, and with
// several replicas each counts on its own, which multiplies the allowance
// by the replica count — still a handful of guesses per quarter hour against
// 10-character passwords hashed with argon2id. Keeping it out of the
// database also means a flood of bad logins never turns into writes.
type loginLimiter struct {
	now     func() time.Time
	max     int
	window  time.Duration
	maxKeys int

	mu   sync.Mutex
	keys map[string]*loginFailures
}

type loginFailures struct {
	count int
	first time.Time
}

func newLoginLimiter(now func() time.Time, max int, window time.Duration, maxKeys int) *loginLimiter {
	return &loginLimiter{now: now, max: max, window: window, maxKeys: maxKeys, keys: make(map[string]*loginFailures)}
}

func limiterKey(ip, user string) string { return ip + "\x00" + strings.ToLower(user) }

// Allow reports whether a login attempt for key may proceed, and if not,
// how long until it may.
func (l *loginLimiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.keys[key]
	if !ok {
		return true, 0
	}
	now := l.now()
	if now.Sub(f.first) >= l.window {
		delete(l.keys, key)
		return true, 0
	}
	if f.count >= l.max {
		return false, f.first.Add(l.window).Sub(now)
	}
	return true, 0
}

// Fail records a failed attempt for key.
func (l *loginLimiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.keys[key]
	if ok && now.Sub(f.first) < l.window {
		f.count++
		return
	}
	if !ok && len(l.keys) >= l.maxKeys {
		l.pruneLocked(now)
		if len(l.keys) >= l.maxKeys {
			// Under a flood of distinct keys, forget the oldest half
			// rather than grow without bound.
			l.dropOldestLocked(len(l.keys) / 2)
		}
	}
	l.keys[key] = &loginFailures{count: 1, first: now}
}

// Succeed forgets key's failures.
func (l *loginLimiter) Succeed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, key)
}

func (l *loginLimiter) pruneLocked(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.first) >= l.window {
			delete(l.keys, k)
		}
	}
}

func (l *loginLimiter) dropOldestLocked(n int) {
	starts := make([]time.Time, 0, len(l.keys))
	for _, f := range l.keys {
		starts = append(starts, f.first)
	}
	slices.SortFunc(starts, time.Time.Compare)
	cutoff := starts[min(n, len(starts)-1)]
	for k, f := range l.keys {
		if f.first.Before(cutoff) || f.first.Equal(cutoff) {
			delete(l.keys, k)
		}
	}
}
