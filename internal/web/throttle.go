package web

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Login throttling limits: failed logins allowed per window, for three
// keys at once. A login must fit all three.
const (
	// loginMaxFailures is per client address and account name: a person
	// who mistypes is stopped here first.
	loginMaxFailures = 5
	// loginNameMaxFailures is per account name from every address
	// together, against password spraying from many addresses. It is
	// counted for names that do not exist as for names that do, so the
	// limit tells nothing about which exist.
	loginNameMaxFailures = 10
	// loginClientMaxFailures is per client address over every name,
	// against one address trying many names.
	loginClientMaxFailures = 30
	loginWindow            = 15 * time.Minute
	loginMaxKeys           = 10000
	// loginMaxNameKey bounds how much of a submitted name is kept as a
	// key; real names are at most 64 characters.
	loginMaxNameKey = 256
)

// loginLimiter counts failed logins per key (a client address, an account
// name, or both) and refuses further attempts once a key has used its
// budget in the window.
//
// An attempt is reserved before the password is hashed and counted as a
// failure from then on; a success gives it back. Reserving first is what
// makes the budget hold for parallel requests: checking first and counting
// after the hash would let every request that arrives while the first
// ones hash through.
//
// It lives in memory on purpose: its job is to make online guessing slow,
// not to keep an exact account. A restart forgets the counts, and with
// several replicas each counts on its own, which multiplies the allowance
// by the replica count — still a handful of guesses per quarter hour against
// 10-character passwords hashed with argon2id. Keeping it out of the
// database also means a flood of bad logins never turns into writes.
type loginLimiter struct {
	now     func() time.Time
	window  time.Duration
	maxKeys int

	mu   sync.Mutex
	keys map[string]*loginFailures
}

type loginFailures struct {
	count int
	max   int
	first time.Time
}

// loginBudget is one key's allowance of failures per window.
type loginBudget struct {
	key string
	max int
}

// loginReservation is the attempt a login holds while it runs.
type loginReservation struct {
	pair  string // the client address and account name key
	other []string
}

func newLoginLimiter(now func() time.Time, window time.Duration, maxKeys int) *loginLimiter {
	return &loginLimiter{now: now, window: window, maxKeys: maxKeys, keys: make(map[string]*loginFailures)}
}

// limiterKey is the key of a client address and an account name; names
// differ only in case count as one.
func limiterKey(ip, user string) string { return "p\x00" + ip + "\x00" + nameKey(user) }

func nameKey(user string) string {
	user = strings.ToLower(user)
	if len(user) > loginMaxNameKey {
		user = user[:loginMaxNameKey]
	}
	return user
}

// loginBudgets are the budgets a login from ip naming user must fit: the
// pair first, as Reserve reports the pair's key.
func loginBudgets(ip, user string) []loginBudget {
	return []loginBudget{
		{limiterKey(ip, user), loginMaxFailures},
		{"n\x00" + nameKey(user), loginNameMaxFailures},
		{"a\x00" + ip, loginClientMaxFailures},
	}
}

// Reserve takes one attempt from every budget at once, or from none: when
// a budget is used up it reports false and how long until the first of the
// used-up budgets frees again.
func (l *loginLimiter) Reserve(budgets ...loginBudget) (loginReservation, bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, b := range budgets {
		f, ok := l.keys[b.key]
		if !ok {
			continue
		}
		if now.Sub(f.first) >= l.window {
			delete(l.keys, b.key)
			continue
		}
		if f.count >= b.max {
			wait = max(wait, f.first.Add(l.window).Sub(now))
		}
	}
	if wait > 0 {
		return loginReservation{}, false, wait
	}
	var res loginReservation
	for i, b := range budgets {
		l.countLocked(b, now)
		if i == 0 {
			res.pair = b.key
		} else {
			res.other = append(res.other, b.key)
		}
	}
	return res, true, 0
}

func (l *loginLimiter) countLocked(b loginBudget, now time.Time) {
	if f, ok := l.keys[b.key]; ok {
		f.count++
		return
	}
	if len(l.keys) >= l.maxKeys {
		l.pruneLocked(now)
		if len(l.keys) >= l.maxKeys {
			// Under a flood of distinct keys, forget half rather than
			// grow without bound.
			l.dropLocked(len(l.keys) / 2)
		}
	}
	l.keys[b.key] = &loginFailures{count: 1, max: b.max, first: now}
}

// Release gives back an attempt that was not made (the password was never
// checked).
func (l *loginLimiter) Release(r loginReservation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.giveBackLocked(r.pair)
	for _, k := range r.other {
		l.giveBackLocked(k)
	}
}

// Succeed forgets the failures of the client with this name, and gives
// the attempt back to the name's and the address's budgets.
func (l *loginLimiter) Succeed(r loginReservation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, r.pair)
	for _, k := range r.other {
		l.giveBackLocked(k)
	}
}

func (l *loginLimiter) giveBackLocked(key string) {
	f, ok := l.keys[key]
	if !ok {
		return
	}
	if f.count--; f.count <= 0 {
		delete(l.keys, key)
	}
}

func (l *loginLimiter) pruneLocked(now time.Time) {
	for k, f := range l.keys {
		if now.Sub(f.first) >= l.window {
			delete(l.keys, k)
		}
	}
}

// dropLocked forgets n keys: those not refusing anything first, oldest
// first, so a flood of new keys cannot push out a key that is stopping a
// guesser.
func (l *loginLimiter) dropLocked(n int) {
	type aged struct {
		key     string
		blocked bool
		first   time.Time
	}
	all := make([]aged, 0, len(l.keys))
	for k, f := range l.keys {
		all = append(all, aged{k, f.count >= f.max, f.first})
	}
	slices.SortFunc(all, func(a, b aged) int {
		if a.blocked != b.blocked {
			if a.blocked {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.first.UnixNano(), b.first.UnixNano())
	})
	for _, a := range all[:min(n, len(all))] {
		delete(l.keys, a.key)
	}
}
