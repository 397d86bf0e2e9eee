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
	// Two attempts of one message in one batch both count, in order: the
	// retry, then the failure that ends it.
	m := later[0]
	must(t, s.RecordAttempts(ctx, []notify.AttemptRecord{
		{Attempt: notify.Attempt{MessageID: m.ID, Channel: m.Channel, Time: retryAt, Outcome: notify.OutcomeRetry, Error: "502"}, Next: retryAt.Add(time.Hour)},
		{Attempt: notify.Attempt{MessageID: m.ID, Channel: m.Channel, Time: retryAt, Outcome: notify.OutcomeFailed, Error: "410"}},
	}), "RecordAttempts twice for one message")
	as, err := s.Attempts(ctx, m.Event.MonitorID, store.Page{Limit: 10})
	must(t, err, "Attempts of the twice-attempted message's monitor")
	if len(as) != 3 || as[0].Outcome != notify.OutcomeFailed || as[1].Outcome != notify.OutcomeRetry {
		t.Errorf("attempts of %s = %+v; want failed, retry and the first retry", m.ID, as)
	}
	if d, err := s.OutboxDepth(ctx); err != nil || d != 149 {
		t.Errorf("OutboxDepth after the failure = %d, %v; want 149", d, err)
	}
}

// testOutboxClaimAroundBusyChannels: a claim that leaves out busy
// channels hands out the other channels' due messages, oldest due first
// across them, without the busy channel's, the leased ones or those not
// yet due; nothing at all when only busy channels have messages due. A
// claim that is never recorded (the process died between claim and
// record) is handed out again once its lease ends, to one claimer, and
// each message is recorded once.
func testOutboxClaimAroundBusyChannels(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	var msgs []notify.OutboxMessage
	for i := range 60 {
		msgs = append(msgs, message(fmt.Sprintf("busy%02d", i), "busy", "m", now.Add(-time.Hour)))
	}
	for i, ch := range []string{"a", "b", "a", "c", "b"} {
		msgs = append(msgs, message(fmt.Sprintf("o%d", i), ch, "m", now.Add(-time.Duration(10-i)*time.Minute)))
	}
	msgs = append(msgs, message("later", "a", "m", now.Add(time.Hour)))
	must(t, s.SaveBatch(ctx, store.Batch{Outbox: msgs}), "SaveBatch")

	// Another replica holds o1.
	held, err := s.ClaimDueExcept(ctx, "other", now, time.Minute, 1, []string{"busy", "a"})
	must(t, err, "ClaimDueExcept by the other replica")
	if len(held) != 1 || held[0].ID != "o1" {
		t.Fatalf("the other replica claimed %v, want o1", ids(held))
	}
	got, err := s.ClaimDueExcept(ctx, "r1", now, time.Minute, 100, []string{"busy"})
	must(t, err, "ClaimDueExcept(skip busy)")
	if want := []string{"o0", "o2", "o3", "o4"}; !slices.Equal(ids(got), want) {
		t.Errorf("ClaimDueExcept(skip busy) = %v, want %v (oldest due first, o1 leased, later not due)", ids(got), want)
	}
	none, err := s.ClaimDueExcept(ctx, "r1", now, time.Minute, 100, []string{"busy", "a", "b", "c"})
	must(t, err, "ClaimDueExcept(skip every channel with work)")
	if len(none) != 0 {
		t.Errorf("ClaimDueExcept with every channel busy = %v, want none", ids(none))
	}

	// r1 dies without recording; after the lease two claimers race.
	after := now.Add(2 * time.Minute)
	first, err := s.ClaimDueExcept(ctx, "r2", after, time.Minute, 100, []string{"busy"})
	must(t, err, "ClaimDueExcept after the lease")
	second, err := s.ClaimDueExcept(ctx, "r3", after, time.Minute, 100, []string{"busy"})
	must(t, err, "ClaimDueExcept by a second claimer")
	if want := []string{"o0", "o1", "o2", "o3", "o4"}; !slices.Equal(ids(first), want) || len(second) != 0 {
		t.Fatalf("after the leases ended: r2 claimed %v, r3 %v; want r2 %v and r3 none", ids(first), ids(second), want)
	}
	var recs []notify.AttemptRecord
	for _, m := range first {
		recs = append(recs, notify.AttemptRecord{Attempt: notify.Attempt{MessageID: m.ID, Channel: m.Channel, Time: after, Outcome: notify.OutcomeSent}})
	}
	must(t, s.RecordAttempts(ctx, recs), "RecordAttempts")
	as, err := s.Attempts(ctx, "", store.Page{Limit: 100})
	must(t, err, "Attempts")
	if len(as) != len(first) {
		t.Errorf("%d attempts stored, want %d: one per message", len(as), len(first))
	}
	again, err := s.ClaimDueExcept(ctx, "r2", after.Add(time.Hour), time.Minute, 100, []string{"busy"})
	must(t, err, "ClaimDueExcept after recording")
	if want := []string{"later"}; !slices.Equal(ids(again), want) {
		t.Errorf("claimable after recording = %v, want %v", ids(again), want)
	}
}

func ids(ms []notify.OutboxMessage) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}
