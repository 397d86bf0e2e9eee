// Package testkit holds in-process helpers for Tocsin's own tests: a webhook
// receiver that records what it gets and can be told to fail, and a target
// whose health a test flips.
package testkit

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Delivery is one request the webhook receiver got.
type Delivery struct {
	Header http.Header
	Body   []byte
	Event  map[string]any
	At     time.Time
}

// Webhook is a webhook receiver on a loopback port.
type Webhook struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []Delivery
	tried  []Delivery
	notify chan struct{}
}

// NewWebhook starts a receiver that answers 200 until told otherwise.
func NewWebhook(t testing.TB) *Webhook {
	w := &Webhook{notify: make(chan struct{}, 1)}
	w.status.Store(http.StatusOK)
	w.Server = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.Close)
	return w
}

func (w *Webhook) serve(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	code := int(w.status.Load())
	d := Delivery{Header: r.Header.Clone(), Body: body, At: time.Now()}
	_ = json.Unmarshal(body, &d.Event)
	w.mu.Lock()
	w.tried = append(w.tried, d)
	if code == http.StatusOK {
		w.got = append(w.got, d)
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
	rw.WriteHeader(code)
}

// SetStatus makes the receiver answer with code (200 records deliveries;
// anything else refuses them).
func (w *Webhook) SetStatus(code int) { w.status.Store(int32(code)) }

// Deliveries returns what was received so far.
func (w *Webhook) Deliveries() []Delivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Delivery(nil), w.got...)
}

// Attempts returns every request received, refused ones included.
func (w *Webhook) Attempts() []Delivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Delivery(nil), w.tried...)
}

// WaitFor waits until a delivery satisfies match, or fails the test after
// timeout. It returns the matching delivery.
func (w *Webhook) WaitFor(t testing.TB, timeout time.Duration, match func(Delivery) bool) Delivery {
	t.Helper()
	return w.wait(t, timeout, w.Deliveries, match)
}

// WaitForAttempt is WaitFor over every request, refused ones included.
func (w *Webhook) WaitForAttempt(t testing.TB, timeout time.Duration, match func(Delivery) bool) Delivery {
	t.Helper()
	return w.wait(t, timeout, w.Attempts, match)
}

func (w *Webhook) wait(t testing.TB, timeout time.Duration, list func() []Delivery, match func(Delivery) bool) Delivery {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		for _, d := range list() {
			if match(d) {
				return d
			}
		}
		select {
		case <-w.notify:
		case <-deadline.C:
			t.Fatalf("no matching webhook within %s; got %d deliveries", timeout, len(w.Deliveries()))
		}
	}
}

// EventIs matches deliveries of one event for one monitor.
func EventIs(event, monitorID string) func(Delivery) bool {
	return func(d Delivery) bool {
		return d.Event["event"] == event && d.Event["monitor_id"] == monitorID
	}
}

// Target is an HTTP target whose health a test flips.
type Target struct {
	*httptest.Server
	failing atomic.Bool
	hits    atomic.Int64
}

// NewTarget starts a target answering 200 "ok" (or 503 while failing).
func NewTarget(t testing.TB) *Target {
	tg := &Target{}
	tg.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tg.hits.Add(1)
		if tg.failing.Load() {
			http.Error(w, "broken", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(tg.Close)
	return tg
}

// SetFailing flips the target.
func (tg *Target) SetFailing(f bool) { tg.failing.Store(f) }

// Hits counts requests served.
func (tg *Target) Hits() int64 { return tg.hits.Load() }
