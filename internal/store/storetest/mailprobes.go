package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testMailProbes covers the mail loop bookkeeping: record, update, list
// (recent and still pending), prune, and the error codes.
func testMailProbes(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	at := clk.Now().Add(-3 * time.Hour)
	mk := func(mon, tok string, sent time.Time, state string) store.MailProbe {
		return store.MailProbe{MonitorID: mon, Token: tok, SentAt: sent, Via: "smtp.example.org:587", State: state}
	}
	old := mk("loop", "1-old", at, "pending")                 // pending and old: always listed
	lost := mk("loop", "2-lost", at.Add(time.Minute), "lost") // old: only when since allows
	fresh := mk("loop", "3-fresh", at.Add(2*time.Hour), "pending")
	other := mk("other", "1-old", at, "pending") // same token, other monitor
	for _, m := range []store.MailProbe{fresh, old, lost, other} {
		must(t, s.AddMailProbe(ctx, m), "AddMailProbe "+m.Token)
	}
	wantCode(t, s.AddMailProbe(ctx, old), errs.ECONFLICT, "AddMailProbe twice")

	got, err := s.MailProbes(ctx, "loop", at.Add(time.Hour))
	must(t, err, "MailProbes")
	if diff := cmp.Diff([]store.MailProbe{old, fresh}, got); diff != "" {
		t.Errorf("MailProbes since +1h (-want +got):\n%s", diff)
	}
	got, err = s.MailProbes(ctx, "loop", time.Time{})
	must(t, err, "MailProbes")
	if diff := cmp.Diff([]store.MailProbe{old, lost, fresh}, got); diff != "" {
		t.Errorf("MailProbes of all time (-want +got):\n%s", diff)
	}

	recv := fresh
	recv.State, recv.ReceivedAt, recv.Folder = "received", fresh.SentAt.Add(4200*time.Millisecond), "Junk"
	must(t, s.UpdateMailProbe(ctx, recv), "UpdateMailProbe")
	got, err = s.MailProbes(ctx, "loop", at.Add(time.Hour))
	must(t, err, "MailProbes")
	if diff := cmp.Diff([]store.MailProbe{old, recv}, got); diff != "" {
		t.Errorf("MailProbes after the update (-want +got):\n%s", diff)
	}
	// The delivery latency keeps its milliseconds through the database.
	if lat := got[1].ReceivedAt.Sub(got[1].SentAt); lat != 4200*time.Millisecond {
		t.Errorf("latency %s, want 4.2s", lat)
	}
	wantCode(t, s.UpdateMailProbe(ctx, mk("loop", "9-none", at, "lost")), errs.ENOTFOUND, "UpdateMailProbe of an unknown mail")

	n, err := s.PruneMailProbes(ctx, "loop", at.Add(time.Hour))
	must(t, err, "PruneMailProbes")
	if n != 2 {
		t.Errorf("PruneMailProbes removed %d, want 2", n)
	}
	got, err = s.MailProbes(ctx, "other", time.Time{})
	must(t, err, "MailProbes")
	if len(got) != 1 {
		t.Errorf("the other monitor's mails were touched: %+v", got)
	}
	n, err = s.PruneMailProbes(ctx, "", clk.Now())
	must(t, err, "PruneMailProbes all")
	if n != 2 {
		t.Errorf("PruneMailProbes of every monitor removed %d, want 2", n)
	}
}
