package heartbeat

import (
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/tocsin/tocsin/internal/errs"
)

// CreateLimitError refuses a ?create=1 ping that would pass one of the
// limits on auto-provisioning. Its message says which limit, and how to
// raise it; its code is ERATELIMIT.
type CreateLimitError struct {
	// Limit names the limit: "max_heartbeats_per_key", "create_rate" or
	// "client_create_rate".
	Limit string
	// RetryAfter is when a rate limit lets the next creation through; 0
	// for the cap on heartbeats, which waiting does not lift.
	RetryAfter time.Duration
	err        *errs.Error
}

func (e *CreateLimitError) Error() string { return e.err.Message }

// Unwrap returns the *errs.Error, so errs.Code reads ERATELIMIT.
func (e *CreateLimitError) Unwrap() error { return e.err }

// createLimits guards auto-provisioning: a token bucket for the ping key
// and one per client address (golang.org/x/time/rate), in heartbeats per
// minute with bursts of a minute's worth. A nil bucket is no limit.
type createLimits struct {
	key       *rate.Limiter
	clients   *clientRates
	keyRate   int
	clientRt  int
	maxPerKey int
}

func newCreateLimits(l Limits) *createLimits {
	c := &createLimits{keyRate: l.CreateRate, clientRt: l.ClientCreateRate, maxPerKey: l.MaxSlugHeartbeats}
	if l.CreateRate > 0 {
		c.key = rate.NewLimiter(perMinute(l.CreateRate), l.CreateRate)
	}
	if l.ClientCreateRate > 0 {
		c.clients = &clientRates{limit: perMinute(l.ClientCreateRate), burst: l.ClientCreateRate, m: map[string]*rate.Limiter{}}
	}
	return c
}

func perMinute(n int) rate.Limit { return rate.Limit(float64(n) / 60) }

// full returns the error for a ping key that already reaches n heartbeats
// with a slug, or nil when there is room for one more.
func (c *createLimits) full(n int) error {
	if c.maxPerKey <= 0 || n < c.maxPerKey {
		return nil
	}
	return &CreateLimitError{Limit: "max_heartbeats_per_key", err: errs.Errorf(errs.ERATELIMIT,
		"not created: %d heartbeats already have a slug, the most server.pings.max_heartbeats_per_key allows; raise it, or delete heartbeats no longer used", n)}
}

// reserve takes one creation from the client's bucket and the key's, or
// from neither. The returned cancel gives it back when nothing was created
// after all.
func (c *createLimits) reserve(client string, now time.Time) (cancel func(), err error) {
	var held []*rate.Reservation
	cancel = func() {
		for _, r := range held {
			r.CancelAt(now)
		}
	}
	take := func(l *rate.Limiter, limit string, perMin int, who string) error {
		r := l.ReserveN(now, 1)
		d := r.DelayFrom(now)
		if r.OK() && d == 0 {
			held = append(held, r)
			return nil
		}
		r.CancelAt(now)
		cancel()
		return &CreateLimitError{Limit: limit, RetryAfter: d, err: errs.Errorf(errs.ERATELIMIT,
			"not created: %s may create at most %d heartbeats a minute (server.pings.%s); try again in %ds, or raise the limit",
			who, perMin, limit, int(math.Ceil(d.Seconds())))}
	}
	if c.clients != nil && client != "" {
		if err := take(c.clients.get(client, now), "client_create_rate", c.clientRt, fmt.Sprintf("pings from %s", client)); err != nil {
			return func() {}, err
		}
	}
	if c.key != nil {
		if err := take(c.key, "create_rate", c.keyRate, "pings with this ping key"); err != nil {
			return func() {}, err
		}
	}
	return cancel, nil
}

// clientRates holds a bucket per client address. Memory is bounded: past
// clientRatesMaxKeys, buckets that have refilled are forgotten (a full
// bucket is the same as none), and if none has, all are.
type clientRates struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

const clientRatesMaxKeys = 8192

func (c *clientRates) get(client string, now time.Time) *rate.Limiter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.m[client]; ok {
		return l
	}
	if len(c.m) >= clientRatesMaxKeys {
		for k, l := range c.m {
			if l.TokensAt(now) >= float64(c.burst) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= clientRatesMaxKeys {
			clear(c.m)
		}
	}
	l := rate.NewLimiter(c.limit, c.burst)
	c.m[client] = l
	return l
}
