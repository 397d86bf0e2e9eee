package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// testOutboxBatchedAttempts records a claim of many messages in one
// RecordAttempts: every message moves as its outcome says, every attempt
// is stored once, a message that does not exist is left out, and a bad
// outcome refuses the whole batch. ClaimDueExcept leaves out the channels
// it is told to.
func testOutboxBatchedAttempts(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	var msgs []notify.OutboxMessage
	for i := range 300 {
		ch := "fast"
		if i%3 == 0 {
			ch = "slow"
		}
		msgs = append(msgs, message(fmt.Sprintf("b%03d", i), ch, fmt.Sprintf("m%03d", i), now.Add(-time.Minute)))
	}
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: msgs}), "SaveBatch")

	claimed, err := s.ClaimDueExcept(ctx, "r1", now, time.Minute, 1000, []string{"slow"})
	must(t, err, "ClaimDueExcept")
	if len(claimed) != 200 || slices.ContainsFunc(claimed, func(m notify.OutboxMessage) bool { return m.Channel != "fast" }) {
		t.Fatalf("ClaimDueExcept(skip slow) = %d messages, want the 200 of fast only", len(claimed))
	}

	retryAt := now.Add(time.Hour)
	var recs []notify.AttemptRecord
	for i, m := range claimed {
		r := notify.AttemptRecord{Attempt: notify.Attempt{MessageID: m.ID, Channel: m.Channel, Time: now, Duration: time.Millisecond, Outcome: notify.OutcomeSent}}
		switch i % 4 {
		case 1:
			r.Outcome, r.Error, r.Next = notify.OutcomeRetry, "503", retryAt
		case 2:
			r.Outcome, r.Error = notify.OutcomeFailed, "400"
		}
		recs = append(recs, r)
	}
	bad := append(slices.Clone(recs), notify.AttemptRecord{Attempt: notify.Attempt{MessageID: claimed[0].ID, Channel: "fast", Outcome: "maybe"}})
	wantCode(t, s.RecordAttempts(ctx, bad), errs.EINVALID, "RecordAttempts with an unknown outcome")
	if as, err := s.Attempts(ctx, "", store.Page{Limit: 10}); err != nil || len(as) != 0 {
		t.Fatalf("a refused batch stored %d attempts (%v), want none", len(as), err)
	}

	recs = append(recs, notify.AttemptRecord{Attempt: notify.Attempt{MessageID: "nobody", Channel: "fast", Outcome: notify.OutcomeSent}})
	must(t, s.RecordAttempts(ctx, recs), "RecordAttempts")
	must(t, s.RecordAttempts(ctx, nil), "RecordAttempts(nil)")

	seen := map[string]int{}
	for p := (store.Page{Limit: 1000}); ; {
		as, err := s.Attempts(ctx, "", p)
		must(t, err, "Attempts")
		for _, a := range as {
			seen[a.MessageID]++
			if a.MonitorID == "" || a.Event != "monitor.down" {
				t.Errorf("attempt %+v lost its monitor or event", a)
			}
			p.Before = a.ID
		}
		if len(as) < p.Limit {
			break
		}
	}
	if len(seen) != 200 || seen["nobody"] != 0 {
		t.Errorf("attempts stored for %d messages (nobody: %d), want the 200 claimed", len(seen), seen["nobody"])
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s has %d attempts, want 1", id, n)
		}
	}
	// Pending: the 100 of slow and the 50 retries; nothing is leased any more.
	if d, err := s.OutboxDepth(ctx); err != nil || d != 150 {
		t.Errorf("OutboxDepth = %d, %v; want 150", d, err)
	}
	again, err := s.ClaimDueExcept(ctx, "r2", now, time.Minute, 1000, nil)
	must(t, err, "ClaimDueExcept after recording")
	if len(again) != 100 {
		t.Errorf("claimed %d after recording, want the 100 of slow (the retries are due in an hour)", len(again))
	}
	later, err := s.ClaimDueExcept(ctx, "r2", retryAt, time.Minute, 1000, []string{"slow"})
	must(t, err, "ClaimDueExcept at the retry time")
	if len(later) != 50 {
		t.Errorf("claimed %d at the retry time, want the 50 retries", len(later))
	}
	for _, m := range later {
		if m.Attempts != 1 || m.LastError != "503" {
			t.Errorf("retried message %s: attempts %d, last error %q; want 1, 503", m.ID, m.Attempts, m.LastError)
		}
	}
}
