package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/webhook"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

func TestDispatcherDigestCoalescesOneChannel(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			mail, hook := &scripted{}, &scripted{}
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store:     st,
				Notifiers: map[string]notify.Notifier{"mail": mail, "hook": hook},
				Digests:   map[string]notify.Digest{"mail": {Window: 10 * time.Second, Max: 3}},
			})
			start := time.Now()
			for i := range 5 {
				at := start.Add(time.Duration(i) * time.Second)
				_ = st.add(t.Context(), message(fmt.Sprintf("m%d", i), "mail", at), message(fmt.Sprintf("h%d", i), "hook", at))
			}
			// A paged alert on the digest channel travels alone.
			page := message("page", "mail", start)
			page.Event.AlertID = 7
			page.Event.Event = notify.EventAlertOpened
			_ = st.add(t.Context(), page)
			run(t, d)
			time.Sleep(9 * time.Second)
			synctest.Wait()
			if got := len(mail.callList()); got != 1 || mail.callList()[0].e.ID != "page" {
				t.Fatalf("before the window ended the digest channel got %d sends, want only the page", got)
			}
			time.Sleep(5 * time.Second)
			synctest.Wait()

			if got := len(hook.callList()); got != 5 {
				t.Errorf("the channel without a digest got %d sends, want 5", got)
			}
			calls := mail.callList()
			if len(calls) != 2 {
				t.Fatalf("the digest channel got %d sends, want the page and one digest", len(calls))
			}
			e := calls[1].e
			if e.Event != notify.EventDigest || e.Digest == nil || e.Digest.Count != 5 || len(e.Digest.Events) != 3 || e.Digest.More != 2 {
				t.Fatalf("digest = %+v (%+v), want 5 events, 3 named, 2 more", e, e.Digest)
			}
			if e.Reason != "5 monitors changed: 5 down" {
				t.Errorf("digest reason = %q", e.Reason)
			}
			as := attemptsOf(t, st)
			sent := map[string]int{}
			for _, a := range as {
				if a.Outcome == notify.OutcomeSent {
					sent[a.MessageID]++
				}
			}
			for i := range 5 {
				if id := fmt.Sprintf("m%d", i); sent[id] != 1 {
					t.Errorf("message %s recorded sent %d times, want 1", id, sent[id])
				}
			}
		})
	})
}

// TestDispatcherDigestSurvivesRestart stops the dispatcher inside a
// digest's window: the gathered messages are sent, together, by the next
// run.
func TestDispatcherDigestSurvivesRestart(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			mail := &scripted{}
			opts := notify.DispatcherOptions{
				Store: st, Owner: "tocsin-1",
				Notifiers: map[string]notify.Notifier{"mail": mail},
				Digests:   map[string]notify.Digest{"mail": {Window: 30 * time.Second, Max: 50}},
			}
			start := time.Now()
			for i := range 4 {
				_ = st.add(t.Context(), message(fmt.Sprintf("m%d", i), "mail", start))
			}
			stop := run(t, notify.NewDispatcher(opts))
			time.Sleep(10 * time.Second)
			synctest.Wait()
			stop()
			if n := len(mail.callList()); n != 0 {
				t.Fatalf("%d sends before the window ended", n)
			}
			if depth, _ := st.OutboxDepth(t.Context()); depth != 4 {
				t.Fatalf("outbox depth after the stop = %d, want 4", depth)
			}
			run(t, notify.NewDispatcher(opts))
			time.Sleep(30 * time.Second)
			synctest.Wait()
			calls := mail.callList()
			if len(calls) != 1 || calls[0].e.Digest == nil || calls[0].e.Digest.Count != 4 {
				t.Fatalf("after the restart: %d sends, want one digest of 4", len(calls))
			}
			if depth, _ := st.OutboxDepth(t.Context()); depth != 0 {
				t.Errorf("outbox depth = %d, want 0", depth)
			}
		})
	})
}

// TestDispatcherSlowChannelDoesNotStarveOthers holds every send to one
// channel; the messages of another, stored after a flood for the first,
// are all delivered meanwhile.
func TestDispatcherSlowChannelDoesNotStarveOthers(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := newStore(t)
			slow := &scripted{gate: make(chan struct{})}
			fast := &scripted{}
			d := notify.NewDispatcher(notify.DispatcherOptions{
				Store:     st,
				Notifiers: map[string]notify.Notifier{"slow": slow, "fast": fast},
				Workers:   8, PerChannel: 4, BatchSize: 10,
			})
			start := time.Now()
			for i := range 300 {
				_ = st.add(t.Context(), message(fmt.Sprintf("s%d", i), "slow", start))
			}
			for i := range 50 {
				_ = st.add(t.Context(), message(fmt.Sprintf("f%d", i), "fast", start.Add(time.Millisecond)))
			}
			run(t, d)
			time.Sleep(time.Second)
			synctest.Wait()
			if got := len(fast.callList()); got != 50 {
				t.Errorf("the fast channel got %d of 50 while the slow one hung", got)
			}
			if p := slow.peak.Load(); p > 4 {
				t.Errorf("the slow channel had %d sends at once, want at most 4", p)
			}
			close(slow.gate)
			time.Sleep(time.Minute)
			synctest.Wait()
			if got := len(slow.callList()); got != 300 {
				t.Errorf("the slow channel got %d of 300 once it answered", got)
			}
		})
	})
}

// TestDispatcherFloodRecordsEveryAttemptOnce delivers thousands of
// webhook notifications over three channels to real receivers: each is
// received, and each is recorded sent by exactly one attempt.
func TestDispatcherFloodRecordsEveryAttemptOnce(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "flood.db")
			if driver == "postgres" {
				dsn = storetest.PostgresDSN(t)
			}
			db := openSQL(t, driver, dsn)
			var mu sync.Mutex
			got := map[string]int{}
			notifiers := map[string]notify.Notifier{}
			kind := webhook.Kind()
			for _, ch := range []string{"a", "b", "c"} {
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var e notify.Event
					body, _ := io.ReadAll(r.Body)
					if err := json.Unmarshal(body, &e); err != nil || e.ID != r.Header.Get("Idempotency-Key") {
						http.Error(w, "bad body", http.StatusBadRequest)
						return
					}
					mu.Lock()
					got[ch+"/"+e.ID]++
					mu.Unlock()
				}))
				t.Cleanup(srv.Close)
				n, err := kind.Build(&config.Channel{ID: ch, Type: "webhook", Webhook: &config.WebhookConfig{URL: srv.URL}}, &config.Config{})
				if err != nil {
					t.Fatal(err)
				}
				notifiers[ch] = n
			}
			const n = 3000
			now := time.Now().UTC()
			var msgs []notify.OutboxMessage
			for i := range n {
				msgs = append(msgs, message(fmt.Sprintf("n%04d", i), []string{"a", "b", "c"}[i%3], now))
			}
			if err := db.SaveBatch(t.Context(), store.Batch{Outbox: msgs}); err != nil {
				t.Fatal(err)
			}
			d := notify.NewDispatcher(notify.DispatcherOptions{Store: db, Notifiers: notifiers, PollInterval: 100 * time.Millisecond})
			run(t, d)
			deadline := time.Now().Add(2 * time.Minute)
			for {
				depth, err := db.OutboxDepth(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if depth == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d notifications still pending after 2 minutes", depth)
				}
				time.Sleep(50 * time.Millisecond)
			}
			mu.Lock()
			received := len(got)
			mu.Unlock()
			if received != n {
				t.Errorf("receivers got %d distinct notifications, want %d", received, n)
			}
			sent := map[string]int{}
			for p := (store.Page{Limit: 1000}); ; {
				as, err := db.Attempts(t.Context(), "", p)
				if err != nil {
					t.Fatal(err)
				}
				for _, a := range as {
					if a.Outcome != notify.OutcomeSent {
						t.Errorf("attempt at %s: %s %s", a.MessageID, a.Outcome, a.Error)
					}
					sent[a.Channel+"/"+a.MessageID]++
					p.Before = a.ID
				}
				if len(as) < p.Limit {
					break
				}
			}
			if len(sent) != n {
				t.Errorf("%d messages have attempts, want %d", len(sent), n)
			}
			for id, c := range sent {
				if c != 1 {
					t.Errorf("%s recorded %d times, want once", id, c)
				}
			}
		})
	}
}

// claimCounter counts the claims a dispatcher makes.
type claimCounter struct {
	testOutbox
	claims atomic.Int32
}

func (c *claimCounter) ClaimDueExcept(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, skip []string) ([]notify.OutboxMessage, error) {
	c.claims.Add(1)
	return c.testOutbox.ClaimDueExcept(ctx, owner, now, lease, limit, skip)
}

// TestDispatcherFloodOnOneChannelClaimsAhead: a flood of messages for one
// channel is claimed many sends' worth at a time, up to the free part of
// the hand: each claim is a transaction (on PostgreSQL a flush of its log),
// and a claim per few sends would set the pace of a storm.
func TestDispatcherFloodOnOneChannelClaimsAhead(t *testing.T) {
	stores(t, func(t *testing.T, newStore func(t *testing.T) testOutbox) {
		synctest.Test(t, func(t *testing.T) {
			st := &claimCounter{testOutbox: newStore(t)}
			hook := &scripted{}
			const n = 960
			start := time.Now()
			for i := range n {
				_ = st.add(t.Context(), message(fmt.Sprintf("h%03d", i), "hook", start))
			}
			stop := run(t, notify.NewDispatcher(notify.DispatcherOptions{
				Store: st, Notifiers: map[string]notify.Notifier{"hook": hook}, Workers: 64, PerChannel: 16,
			}))
			time.Sleep(time.Minute)
			synctest.Wait()
			stop()
			if got := len(hook.callList()); got != n {
				t.Fatalf("sent %d of %d", got, n)
			}
			if p := hook.peak.Load(); p > 16 {
				t.Errorf("%d sends at once to one channel, want at most 16", p)
			}
			// About one claim per 33 sends today; one per 8 (what the
			// channel may send at once, halved) would be 120.
			if c := int(st.claims.Load()); c > n/24 {
				t.Errorf("%d claims for %d messages on one channel, want at most %d", c, n, n/24)
			}
		})
	})
}
