package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/webhook"
	"github.com/tocsin/tocsin/internal/testkit"
)

// outcome is what a scripted notifier answers to one call.
type outcome struct {
	retry bool
	err   error
}

// scripted is a channel whose answers a test writes in advance; after the
// script runs out it succeeds. It records when each call happened.
type scripted struct {
	mu     sync.Mutex
	script []outcome
	calls  []call
	// gate, when set, holds every call until it is closed or the call's
	// context ends.
	gate chan struct{}
	// active counts calls in progress; peak is the most at once.
	active, peak atomic.Int32
}

type call struct {
	at time.Time
	e  notify.Event
}

func (s *scripted) Notify(ctx context.Context, e notify.Event) (bool, error) {
	n := s.active.Add(1)
	defer s.active.Add(-1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	s.mu.Lock()
	s.calls = append(s.calls, call{at: time.Now(), e: e})
	var o outcome
	if len(s.script) > 0 {
		o, s.script = s.script[0], s.script[1:]
	}
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return true, ctx.Err()
		}
	}
	return o.retry, o.err
}

func (s *scripted) callList() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]call(nil), s.calls...)
}

// message returns a pending outbox message for channel, due at at.
func message(id, channel string, at time.Time) notify.OutboxMessage {
	return notify.OutboxMessage{
		ID:      id,
		Channel: channel,
		Event: notify.Event{
			ID: id, Event: notify.EventMonitorDown, MonitorID: "web", ServiceID: "shop",
			Status: "down", Reason: "GET https://x/: 503, expected 200", Time: at.UTC(),
		},
		State:       notify.StatePending,
		NextAttempt: at,
		CreatedAt:   at,
	}
}

// run starts d.Run and returns a function that stops it and waits.
func run(t *testing.T, d *notify.Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run returned %v, want nil", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func attemptsOf(t *testing.T, s testOutbox) []notify.Attempt {
	t.Helper()
	a, err := s.attempts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func outcomes(as []notify.Attempt) string {
	var o []string
	for _, a := range as {
		o = append(o, a.Outcome)
	}
	return strings.Join(o, ",")
}

func TestDispatcherWakeSendsWithoutWaiting(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			ch := &scripted{}
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": ch}, Owner: "a",
			})
			run(t, d)
			synctest.Wait() // the dispatcher found nothing and sleeps

			start := time.Now()
			if err := st.add(t.Context(), message("n1", "ops", start)); err != nil {
				t.Fatal(err)
			}
			d.Wake()
			synctest.Wait()

			calls := ch.callList()
			if len(calls) != 1 || calls[0].e.ID != "n1" {
				t.Fatalf("calls = %+v, want n1 once", calls)
			}
			if waited := calls[0].at.Sub(start); waited != 0 {
				t.Errorf("the send started %v after Wake, want at once", waited)
			}
			if got := outcomes(attemptsOf(t, st)); got != "sent" {
				t.Errorf("outcomes = %q, want sent", got)
			}
		})
	})
}

func TestDispatcherPollsForOtherReplicasWork(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			ch := &scripted{}
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": ch}, PollInterval: 5 * time.Second,
			})
			run(t, d)
			synctest.Wait()
			start := time.Now()
			_ = st.add(t.Context(), message("n1", "ops", start)) // no Wake: another replica wrote it
			time.Sleep(5*time.Second + time.Millisecond)
			synctest.Wait()
			calls := ch.callList()
			if len(calls) != 1 {
				t.Fatalf("got %d calls after one poll interval, want 1", len(calls))
			}
			if waited := calls[0].at.Sub(start); waited > 5*time.Second {
				t.Errorf("picked up after %v, want within the poll interval", waited)
			}
		})
	})
}

func TestDispatcherRetriesWithBackoffAndTheSameID(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			down := errors.New("503 Service Unavailable")
			ch := &scripted{script: []outcome{{true, down}, {true, down}, {true, down}}}
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": ch},
				BaseBackoff: 5 * time.Second, PollInterval: time.Hour,
			})
			start := time.Now()
			_ = st.add(t.Context(), message("n1", "ops", start))
			run(t, d)
			time.Sleep(time.Minute)
			synctest.Wait()

			calls := ch.callList()
			if len(calls) != 4 {
				t.Fatalf("got %d calls, want 3 failures and 1 success", len(calls))
			}
			// Attempt n waits between half and all of 5s·2^(n-1) after the
			// previous one.
			for i := 1; i < len(calls); i++ {
				full := 5 * time.Second << (i - 1)
				gap := calls[i].at.Sub(calls[i-1].at)
				if gap < full/2 || gap > full {
					t.Errorf("gap before attempt %d = %v, want within [%v, %v]", i+1, gap, full/2, full)
				}
				if calls[i].e.ID != "n1" {
					t.Errorf("attempt %d sent id %q, want n1", i+1, calls[i].e.ID)
				}
			}
			as := attemptsOf(t, st)
			if got := outcomes(as); got != "retry,retry,retry,sent" {
				t.Errorf("outcomes = %q", got)
			}
			for _, a := range as {
				if a.MessageID != "n1" || a.Channel != "ops" || a.MonitorID != "web" || a.Event != "monitor.down" {
					t.Errorf("attempt %+v does not describe the message", a)
				}
			}
			if as[0].Error != "503 Service Unavailable" || as[3].Error != "" {
				t.Errorf("attempt errors = %q … %q", as[0].Error, as[3].Error)
			}
		})
	})
}

func TestDispatcherGivesUp(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		tests := []struct {
			name     string
			script   []outcome
			channels map[string]notify.Notifier
			want     string
			wantErr  string
		}{
			{
				name:    "after MaxAttempts",
				script:  []outcome{{true, errors.New("timeout")}, {true, errors.New("timeout")}, {true, errors.New("timeout")}, {true, errors.New("timeout")}},
				want:    "retry,retry,failed",
				wantErr: "timeout",
			},
			{
				name:    "at once when the error is permanent",
				script:  []outcome{{false, errors.New("400 Bad Request")}},
				want:    "failed",
				wantErr: "400 Bad Request",
			},
			{
				name:     "when the channel left the configuration",
				channels: map[string]notify.Notifier{},
				want:     "failed",
				wantErr:  `channel "ops" is not in the configuration any more`,
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					st := newStore(t)
					ch := &scripted{script: tt.script}
					chans := tt.channels
					if chans == nil {
						chans = map[string]notify.Notifier{"ops": ch}
					}
					reg := prometheus.NewRegistry()
					d := notify.NewDispatcher(notify.DispatcherOptions{
						Store: st, Notifiers: chans, MaxAttempts: 3, Registerer: reg, PollInterval: 10 * time.Minute,
					})
					_ = st.add(t.Context(), message("n1", "ops", time.Now()))
					run(t, d)
					time.Sleep(2 * time.Hour) // long after the last backoff
					synctest.Wait()

					as := attemptsOf(t, st)
					if got := outcomes(as); got != tt.want {
						t.Fatalf("outcomes = %q, want %q", got, tt.want)
					}
					if last := as[len(as)-1]; last.Error != tt.wantErr {
						t.Errorf("last error = %q, want %q", last.Error, tt.wantErr)
					}
					m, _ := st.message(t.Context(), "n1")
					if m.State != notify.StateFailed {
						t.Errorf("message state = %q, want failed", m.State)
					}
					if got := metric(t, reg, "tocsin_notification_failures_total", "ops"); got != float64(len(as)) {
						t.Errorf("failures metric = %v, want %d", got, len(as))
					}
				})
			})
		}
	})
}

func TestDispatcherExpiredLeaseMakesMessageClaimableAgain(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			now := time.Now()
			_ = st.add(t.Context(), message("n1", "ops", now))
			// A replica claims the message and dies before recording anything.
			claimed, err := st.ClaimDue(t.Context(), "dead", now, 2*time.Minute, 10)
			if err != nil || len(claimed) != 1 {
				t.Fatalf("ClaimDue = %v, %v", claimed, err)
			}
			ch := &scripted{}
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": ch}, Owner: "alive",
				Lease: 2 * time.Minute, SendTimeout: 10 * time.Second,
			})
			run(t, d)
			time.Sleep(2*time.Minute - time.Second)
			synctest.Wait()
			if n := len(ch.callList()); n != 0 {
				t.Fatalf("sent %d times while another replica held the lease", n)
			}
			time.Sleep(10 * time.Second)
			synctest.Wait()
			calls := ch.callList()
			if len(calls) != 1 || calls[0].e.ID != "n1" {
				t.Fatalf("calls after the lease ended = %+v, want n1 once", calls)
			}
		})
	})
}

func TestDispatcherBoundsConcurrency(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			ch := &scripted{gate: make(chan struct{})}
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": ch}, Workers: 3,
			})
			for i := range 10 {
				_ = st.add(t.Context(), message(fmt.Sprintf("n%d", i), "ops", time.Now()))
			}
			run(t, d)
			synctest.Wait()
			if got := ch.active.Load(); got != 3 {
				t.Errorf("%d sends at once, want 3 (the worker count)", got)
			}
			close(ch.gate)
			synctest.Wait()
			if got := len(ch.callList()); got != 10 {
				t.Errorf("sent %d of 10", got)
			}
			if p := ch.peak.Load(); p > 3 {
				t.Errorf("peak concurrency %d, want at most 3", p)
			}
		})
	})
}

func TestDispatcherSendTimeout(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			ch := &scripted{gate: make(chan struct{})} // never opens
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": ch}, SendTimeout: 3 * time.Second,
				MaxAttempts: 1,
			})
			_ = st.add(t.Context(), message("n1", "ops", time.Now()))
			start := time.Now()
			run(t, d)
			time.Sleep(4 * time.Second)
			synctest.Wait()
			as := attemptsOf(t, st)
			if len(as) != 1 || as[0].Outcome != "failed" || !strings.Contains(as[0].Error, "deadline exceeded") {
				t.Fatalf("attempts = %+v, want one that timed out", as)
			}
			if as[0].Duration != 3*time.Second || !as[0].Time.Equal(start.UTC()) {
				t.Errorf("attempt at %v took %v, want at %v for 3s", as[0].Time, as[0].Duration, start)
			}
		})
	})
}

func TestDispatcherShutdownRecordsSendsInFlight(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			ch := &scripted{gate: make(chan struct{})}
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": ch}, ShutdownGrace: 5 * time.Second,
			})
			_ = st.add(t.Context(), message("n1", "ops", time.Now()))
			stop := run(t, d)
			synctest.Wait()
			stopped := make(chan struct{})
			go func() { stop(); close(stopped) }()
			synctest.Wait()
			select {
			case <-stopped:
				t.Fatal("Run returned before the send in flight finished")
			default:
			}
			close(ch.gate) // the receiver answers during the grace period
			<-stopped
			if got := outcomes(attemptsOf(t, st)); got != "sent" {
				t.Errorf("outcomes = %q, want the in-flight send recorded as sent", got)
			}
		})
	})
}

func TestDispatcherShutdownGraceEnds(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			ch := &scripted{gate: make(chan struct{})} // never answers
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": ch}, ShutdownGrace: 5 * time.Second,
			})
			_ = st.add(t.Context(), message("n1", "ops", time.Now()))
			stop := run(t, d)
			synctest.Wait()
			start := time.Now()
			stop()
			if waited := time.Since(start); waited != 5*time.Second {
				t.Errorf("shutdown took %v, want the 5s grace", waited)
			}
			if got := outcomes(attemptsOf(t, st)); got != "retry" {
				t.Errorf("outcomes = %q, want the cut-short send recorded for a retry", got)
			}
		})
	})
}

func TestDispatcherHealthAndStoreErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemOutbox()
		ch := &scripted{}
		d := notify.NewDispatcher(notify.DispatcherOptions{
			Store: st, Notifiers: map[string]notify.Notifier{"ops": ch}, PollInterval: 5 * time.Second,
		})
		if !d.Healthy() {
			t.Fatal("not healthy before Run")
		}
		run(t, d)
		synctest.Wait()
		st.setFailing(true)
		time.Sleep(16 * time.Second)
		synctest.Wait()
		if d.Healthy() {
			t.Error("healthy after three poll intervals without reaching the store")
		}
		_ = st.add(t.Context(), message("n1", "ops", time.Now()))
		st.setFailing(false)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if !d.Healthy() {
			t.Error("not healthy after the store came back")
		}
		if n := len(ch.callList()); n != 1 {
			t.Errorf("sent %d times after the store came back, want 1", n)
		}
	})
}

func TestDispatcherRecoversFromNotifierPanic(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": panicky{}},
			})
			_ = st.add(t.Context(), message("n1", "ops", time.Now()))
			run(t, d)
			synctest.Wait()
			as := attemptsOf(t, st)
			if len(as) != 1 || as[0].Outcome != "failed" || !strings.Contains(as[0].Error, "crashed") {
				t.Fatalf("attempts = %+v, want one failed attempt naming the crash", as)
			}
		})
	})
}

type panicky struct{}

func (panicky) Notify(context.Context, notify.Event) (bool, error) { panic("nil map") }

func TestDispatcherSetNotifiers(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			old, replacement := &scripted{}, &scripted{}
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": old},
			})
			run(t, d)
			d.SetNotifiers(map[string]notify.Notifier{"ops": replacement})
			_ = st.add(t.Context(), message("n1", "ops", time.Now()))
			d.Wake()
			synctest.Wait()
			if len(old.callList()) != 0 || len(replacement.callList()) != 1 {
				t.Errorf("old channel got %d calls, new got %d; want 0 and 1", len(old.callList()), len(replacement.callList()))
			}
		})
	})
}

func TestDispatcherMetrics(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			ch := &scripted{script: []outcome{{true, errors.New("busy")}}}
			reg := prometheus.NewRegistry()
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"ops": ch}, Registerer: reg,
				BaseBackoff: time.Minute, PollInterval: time.Second,
			})
			_ = st.add(t.Context(), message("n1", "ops", time.Now()), message("n2", "ops", time.Now().Add(time.Hour)))
			run(t, d)
			time.Sleep(2 * time.Second)
			synctest.Wait()
			if got := metric(t, reg, "tocsin_outbox_depth", ""); got != 2 {
				t.Errorf("depth = %v, want 2 (one waiting for a retry, one not due)", got)
			}
			time.Sleep(2 * time.Minute)
			synctest.Wait()
			if got := metric(t, reg, "tocsin_notifications_sent_total", "ops"); got != 1 {
				t.Errorf("sent = %v, want 1", got)
			}
			if got := metric(t, reg, "tocsin_notification_failures_total", "ops"); got != 1 {
				t.Errorf("failures = %v, want 1", got)
			}
			if got := metric(t, reg, "tocsin_outbox_depth", ""); got != 1 {
				t.Errorf("depth = %v, want 1", got)
			}
			// A second dispatcher on the same registry (a rebuilt app) does
			// not fail to register.
			notify.NewDispatcher(notify.DispatcherOptions{Store: st, Registerer: reg})
		})
	})
}

// metric reads one gauge or counter from reg; channel "" means no label.
func metric(t *testing.T, reg *prometheus.Registry, name, channel string) float64 {
	t.Helper()
	label := "channel"
	if channel == "" {
		label = ""
	}
	return testkit.Metric(t, reg, name, label, channel)
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{1, 0, 2500 * time.Millisecond},
		{1, 0.999999999, 5 * time.Second},
		{2, 0, 5 * time.Second},
		{3, 0.5, 15 * time.Second},
		{11, 1, time.Hour},
		{40, 0, 30 * time.Minute},
		{1000, 1, time.Hour},
		{0, 1, 5 * time.Second},
		{2, -3, 5 * time.Second},
	}
	for _, tt := range tests {
		got := notify.Backoff(5*time.Second, time.Hour, tt.attempt, tt.jitter)
		if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("Backoff(attempt %d, jitter %v) = %v, want %v", tt.attempt, tt.jitter, got, tt.want)
		}
	}
}

// The webhook channel end to end, over real loopback HTTP and real time:
// a 503 is retried with the same id and Idempotency-Key until a 200.
func TestDispatcherWebhookRetriesWithSameIdempotencyKey(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		var (
			mu   sync.Mutex
			keys []string
			ids  []string
		)
		answers := []int{http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusOK}
		delivered := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if !webhook.Verify("k", body, r.Header.Get("X-Tocsin-Signature")) {
				t.Errorf("bad signature on %s", body)
			}
			mu.Lock()
			defer mu.Unlock()
			keys = append(keys, r.Header.Get("Idempotency-Key"))
			var e struct{ ID string }
			_ = json.Unmarshal(body, &e)
			ids = append(ids, e.ID)
			code := answers[min(len(keys)-1, len(answers)-1)]
			w.WriteHeader(code)
			if len(keys) == len(answers) {
				close(delivered)
			}
		}))
		t.Cleanup(srv.Close)

		st := newStore(t)
		hook := webhook.New(&config.WebhookConfig{URL: srv.URL, Secret: "k"}, srv.Client())
		d := notify.NewDispatcher(notify.DispatcherOptions{
			Store: st, Notifiers: map[string]notify.Notifier{"hook": hook},
			BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, PollInterval: 10 * time.Millisecond,
		})
		_ = st.add(t.Context(), message("n-503", "hook", time.Now()))
		run(t, d)
		d.Wake()
		select {
		case <-delivered:
		case <-time.After(10 * time.Second):
			t.Fatal("the webhook was not delivered")
		}
		waitFor(t, func() bool { return len(attemptsOf(t, st)) == 3 })
		mu.Lock()
		defer mu.Unlock()
		for i := range keys {
			if keys[i] != "n-503" || ids[i] != "n-503" {
				t.Errorf("request %d: Idempotency-Key %q, id %q; want n-503 for both", i+1, keys[i], ids[i])
			}
		}
		if got := outcomes(attemptsOf(t, st)); got != "retry,retry,sent" {
			t.Errorf("outcomes = %q", got)
		}
	})
}

func TestDispatcherWebhook400IsNotRetried(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		var hits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits.Add(1)
			http.Error(w, "unknown field", http.StatusBadRequest)
		}))
		t.Cleanup(srv.Close)

		st := newStore(t)
		d := notify.NewDispatcher(notify.DispatcherOptions{
			Store: st, Notifiers: map[string]notify.Notifier{"hook": webhook.New(&config.WebhookConfig{URL: srv.URL}, nil)},
			BaseBackoff: time.Millisecond, PollInterval: 10 * time.Millisecond,
		})
		_ = st.add(t.Context(), message("n-400", "hook", time.Now()))
		run(t, d)
		d.Wake()
		waitFor(t, func() bool { return len(attemptsOf(t, st)) == 1 })
		as := attemptsOf(t, st)
		if as[0].Outcome != "failed" || !strings.Contains(as[0].Error, "400 Bad Request: unknown field") {
			t.Errorf("attempt = %+v, want failed with the receiver's answer", as[0])
		}
		if h := hits.Load(); h != 1 {
			t.Errorf("the receiver was hit %d times, want 1", h)
		}
	})
}

// waitFor polls cond on real time, for the tests that use real servers.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDispatcherWithoutStore(t *testing.T) {
	if err := notify.NewDispatcher(notify.DispatcherOptions{}).Run(t.Context()); err == nil {
		t.Error("Run without a store returned nil, want an error")
	}
}

// countingOutbox counts the claims and the looks for the next due
// message that reach the store.
type countingOutbox struct {
	testOutbox
	claims, nextDue atomic.Int32
}

func (c *countingOutbox) ClaimDueExcept(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, skip []string) ([]notify.OutboxMessage, error) {
	c.claims.Add(1)
	return c.testOutbox.ClaimDueExcept(ctx, owner, now, lease, limit, skip)
}

func (c *countingOutbox) NextDue(ctx context.Context) (time.Time, bool, error) {
	c.nextDue.Add(1)
	return c.testOutbox.NextDue(ctx)
}

// TestDispatcherBusyChannelDuringAStorm: while one channel has all the
// sends it may run and a backlog behind them, waking the dispatcher (the
// engine does after every write) does not read the outbox again each
// time, and a message of another channel still leaves within a second.
func TestDispatcherBusyChannelDuringAStorm(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := &countingOutbox{testOutbox: newStore(t)}
			busy, other := &scripted{gate: make(chan struct{})}, &scripted{}
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"busy": busy, "other": other},
				Workers: 4, PerChannel: 2,
			})
			for i := range 50 {
				_ = st.add(t.Context(), message(fmt.Sprintf("b%02d", i), "busy", time.Now()))
			}
			run(t, d)
			synctest.Wait()
			if got := busy.active.Load(); got != 2 {
				t.Fatalf("%d sends to the busy channel, want 2", got)
			}
			claims, looks := st.claims.Load(), st.nextDue.Load()
			for range 20 {
				d.Wake()
				time.Sleep(10 * time.Millisecond)
				synctest.Wait()
			}
			if n := st.claims.Load() - claims; n > 1 {
				t.Errorf("%d claims during 20 wakes in 200ms with the only channel busy, want at most 1", n)
			}
			if n := st.nextDue.Load() - looks; n > 0 {
				t.Errorf("%d looks for the next due message with sends in hand, want none", n)
			}
			sent := time.Now()
			_ = st.add(t.Context(), message("o1", "other", sent))
			d.Wake()
			time.Sleep(time.Second)
			synctest.Wait()
			calls := other.callList()
			if len(calls) != 1 {
				t.Fatalf("the other channel got %d calls a second after its message, want 1", len(calls))
			}
			if waited := calls[0].at.Sub(sent); waited > time.Second {
				t.Errorf("the other channel's message left after %v, want within a second", waited)
			}
			close(busy.gate)
			synctest.Wait()
			time.Sleep(2 * time.Second)
			synctest.Wait()
			if got := len(busy.callList()); got != 50 {
				t.Errorf("the busy channel got %d calls, want 50", got)
			}
			if got := outcomes(attemptsOf(t, st)); strings.Count(got, "sent") != 51 {
				t.Errorf("outcomes = %q, want 51 sent", got)
			}
		})
	})
}
