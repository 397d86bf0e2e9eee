package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// addUser stores an account with a real password hash, without going
// through a hashing slot.
func addUser(e *webtest.Env, name, pw string) {
	e.T.Helper()
	h, err := web.HashPassword(pw)
	if err != nil {
		e.T.Fatal(err)
	}
	if _, err := e.Store.CreateUser(context.Background(), store.User{Name: name, PasswordHash: h, Role: store.RoleAdmin, CreatedAt: e.Clock.Now()}); err != nil {
		e.T.Fatal(err)
	}
}

// login posts the login form straight to the handler, from remote (an
// address with a port) and with X-Forwarded-For xff when not empty.
func login(e *webtest.Env, remote, xff, name, pw string) *httptest.ResponseRecorder {
	form := url.Values{"name": {name}, "password": {pw}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = remote
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	rec := httptest.NewRecorder()
	e.Server.Handler().ServeHTTP(rec, req)
	return rec
}

// hashCounter is an Options.HashStarted hook that counts hashes and
// remembers the most that ran at once.
type hashCounter struct {
	started atomic.Int32
	peak    atomic.Int32
	// hold, when set, is waited on inside the slot before the hash runs;
	// entered, when set, is sent to first.
	hold    chan struct{}
	entered chan struct{}
}

func (c *hashCounter) hook(running int) {
	c.started.Add(1)
	for {
		p := c.peak.Load()
		if int32(running) <= p || c.peak.CompareAndSwap(p, int32(running)) {
			break
		}
	}
	if c.entered != nil {
		c.entered <- struct{}{}
	}
	if c.hold != nil {
		<-c.hold
	}
}

// TestLoginFloodHashesWithinCap sends many wrong-password logins at once,
// for real and unknown names from distinct addresses so no limiter stops
// them, and checks that every one was hashed but never more than the cap
// at a time.
func TestLoginFloodHashesWithinCap(t *testing.T) {
	t.Parallel()
	const capacity, logins = 2, 12
	var hc hashCounter
	e := webtest.New(t, func(o *web.Options) {
		o.HashConcurrency, o.HashWait, o.HashStarted = capacity, time.Hour, hc.hook
	})
	addUser(e, "admin", "correct horse")
	var wg sync.WaitGroup
	codes := make([]int, logins)
	for i := range logins {
		wg.Go(func() {
			name := "admin"
			if i%2 == 1 {
				name = fmt.Sprintf("nobody-%d", i)
			}
			codes[i] = login(e, fmt.Sprintf("192.0.2.%d:4000", i+1), "", name, "wrong guess").Code
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusUnauthorized {
			t.Errorf("login %d: %d, want 401", i, c)
		}
	}
	if got := hc.started.Load(); got != logins {
		t.Errorf("%d hashes for %d logins (half of them for unknown names), want one each", got, logins)
	}
	if p := hc.peak.Load(); p > capacity {
		t.Errorf("%d hashes ran at once, cap %d", p, capacity)
	}
}

// TestLoginBusyAnswers429 holds the only hashing slot and checks that the
// next login waits, then gets the login page with 429 and Retry-After, and
// that the refused attempt does not count as a failure.
func TestLoginBusyAnswers429(t *testing.T) {
	t.Parallel()
	hc := hashCounter{hold: make(chan struct{}), entered: make(chan struct{}, 1)}
	e := webtest.New(t, func(o *web.Options) {
		o.HashConcurrency, o.HashWait, o.HashStarted = 1, time.Millisecond, hc.hook
	})
	addUser(e, "admin", "correct horse")
	first := make(chan int)
	go func() { first <- login(e, "192.0.2.1:4000", "", "admin", "wrong guess").Code }()
	<-hc.entered // the first login holds the slot
	r := login(e, "192.0.2.2:4000", "", "admin", "correct horse")
	if r.Code != http.StatusTooManyRequests || r.Header().Get("Retry-After") == "" || !strings.Contains(r.Body.String(), "busy checking other logins") {
		t.Fatalf("login while the slot is held: %d Retry-After %q\n%s", r.Code, r.Header().Get("Retry-After"), r.Body)
	}
	close(hc.hold)
	if c := <-first; c != http.StatusUnauthorized {
		t.Errorf("first login: %d, want 401", c)
	}
	if n := e.Server.LoginFailures("192.0.2.2", "admin"); n != nil {
		t.Errorf("the refused login counts as a failure: %+v", *n)
	}
	if r := login(e, "192.0.2.2:4000", "", "admin", "correct horse"); r.Code != http.StatusSeeOther {
		t.Errorf("login once the slot is free: %d, want 303", r.Code)
	}
}

// TestLoginParallelKeepsClientBudget sends more parallel wrong logins from
// one client than its budget allows. The hashes are held until every
// request has either started hashing or been answered, so all of them
// pass the limiter while none has finished: only the budget's worth may
// reach the hash.
func TestLoginParallelKeepsClientBudget(t *testing.T) {
	t.Parallel()
	const logins = 4 * web.LoginMaxFailures
	// Every request either reaches the hash (entered) or is answered
	// without it (events): once all have done one or the other, the hashes
	// may finish.
	events := make(chan struct{}, logins)
	hc := hashCounter{hold: make(chan struct{}), entered: events}
	e := webtest.New(t, func(o *web.Options) {
		o.HashConcurrency, o.HashWait, o.HashStarted = logins, time.Hour, hc.hook
	})
	addUser(e, "admin", "correct horse")
	codes := make(chan int, logins)
	for range logins {
		go func() {
			c := login(e, "192.0.2.7:4000", "", "admin", "wrong guess").Code
			if c != http.StatusUnauthorized {
				events <- struct{}{}
			}
			codes <- c
		}()
	}
	for range logins {
		<-events
	}
	close(hc.hold)
	count := map[int]int{}
	for range logins {
		count[<-codes]++
	}
	if count[http.StatusUnauthorized] != web.LoginMaxFailures || count[http.StatusTooManyRequests] != logins-web.LoginMaxFailures {
		t.Errorf("answers %v, want %d × 401 and the rest 429", count, web.LoginMaxFailures)
	}
	if got := hc.started.Load(); got != web.LoginMaxFailures {
		t.Errorf("%d hashes, want %d", got, web.LoginMaxFailures)
	}
}

// TestLoginSprayLimitedPerName tries one name from many addresses behind a
// trusted proxy, once for a real name and once for an unknown one: each is
// refused after the name's budget, whatever the address, and both answer
// alike.
func TestLoginSprayLimitedPerName(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, func(o *web.Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}
	})
	addUser(e, "admin", "correct horse")
	for n, name := range []string{"Admin", "nobody"} {
		ip := func(i int) string { return fmt.Sprintf("203.0.%d.%d", 113+n, i+1) }
		for i := range web.LoginNameMaxFailures {
			if r := login(e, "10.0.0.1:5000", ip(i), name, "spray guess"); r.Code != http.StatusUnauthorized {
				t.Fatalf("%s: attempt %d from %s: %d, want 401", name, i+1, ip(i), r.Code)
			}
		}
		r := login(e, "10.0.0.1:5000", ip(web.LoginNameMaxFailures), strings.ToUpper(name), "spray guess")
		if r.Code != http.StatusTooManyRequests || r.Header().Get("Retry-After") == "" {
			t.Errorf("%s: attempt from a fresh address after %d failures: %d, want 429 with Retry-After", name, web.LoginNameMaxFailures, r.Code)
		}
	}
	// Other names and their owners are not affected.
	if r := login(e, "10.0.0.1:5000", "198.51.100.1", "someone-else", "guess"); r.Code != http.StatusUnauthorized {
		t.Errorf("another name: %d, want 401", r.Code)
	}
}

// TestDummyHashCostsTheSame checks that the hash an unknown name is checked
// against has the parameters of a real one.
func TestDummyHashCostsTheSame(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	real, err := web.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	params := func(h string) string { return h[:strings.LastIndex(h[:strings.LastIndex(h, "$")], "$")] }
	if got, want := params(e.Server.DummyHash()), params(real); got != want {
		t.Errorf("dummy hash parameters %q, real ones %q", got, want)
	}
	if ok, err := web.CheckPassword(e.Server.DummyHash(), ""); ok || err != nil {
		t.Errorf("the dummy hash: %v, %v", ok, err)
	}
}

// TestSetupWaitsForAHashingSlot: the first-run setup hashes in the same
// slots, and is answered 429 on its form while they stay busy.
func TestSetupWaitsForAHashingSlot(t *testing.T) {
	t.Parallel()
	hc := hashCounter{hold: make(chan struct{}), entered: make(chan struct{}, 1)}
	e := webtest.New(t, func(o *web.Options) {
		o.HashConcurrency, o.HashWait, o.HashStarted = 1, time.Millisecond, hc.hook
	})
	first := make(chan int)
	go func() { first <- login(e, "192.0.2.1:4000", "", "nobody", "wrong guess").Code }()
	<-hc.entered // the login holds the slot
	r := e.PostForm(e.Client(), "/setup", url.Values{"name": {"admin"}, "password": {"correct horse"}, "password2": {"correct horse"}})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "busy checking passwords") {
		t.Errorf("setup while the slot is held: %d Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}
	close(hc.hold)
	<-first
	e.Setup()
}
