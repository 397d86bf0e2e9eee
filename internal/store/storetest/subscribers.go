package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

func tokenHash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// testSubscribers covers status page subscribers: a request stores the
// subscriber, its token and its confirmation mail together; a second
// request reuses the subscriber; a confirm token works once and not after
// it expired; messages are queued once per id with their unsubscribe
// token; deleting removes the tokens too.
func testSubscribers(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour)
	conf := notify.OutboxMessage{ID: "status/public/confirm/1", Channel: "mail", Event: notify.Event{Event: "status.confirm", To: "ana@example.com", Time: at}, CreatedAt: at}
	sub, err := s.AddSubscriber(ctx, store.Subscriber{PageID: "public", Kind: store.SubscriberEmail, Address: "ana@example.com", CreatedAt: at},
		store.SubscriberToken{Hash: tokenHash("c1"), Purpose: store.TokenConfirm, Expires: at.Add(time.Hour)}, &conf)
	must(t, err, "AddSubscriber")
	if sub.ID == 0 || !sub.ConfirmedAt.IsZero() || sub.Address != "ana@example.com" {
		t.Fatalf("AddSubscriber = %+v", sub)
	}
	msgs, err := s.OutboxMessages(ctx, "", store.Page{})
	must(t, err, "OutboxMessages")
	if len(msgs) != 1 || msgs[0].ID != conf.ID || msgs[0].Event.To != "ana@example.com" {
		t.Fatalf("outbox after a request = %+v", msgs)
	}
	again, err := s.AddSubscriber(ctx, store.Subscriber{PageID: "public", Kind: store.SubscriberEmail, Address: "ana@example.com", CreatedAt: at.Add(time.Minute)},
		store.SubscriberToken{Hash: tokenHash("c2"), Purpose: store.TokenConfirm, Expires: at.Add(time.Minute)}, nil)
	must(t, err, "AddSubscriber again")
	if again.ID != sub.ID {
		t.Errorf("a second request made subscriber %d, want %d", again.ID, sub.ID)
	}
	if _, err := s.ConfirmSubscriber(ctx, tokenHash("c2"), at.Add(2*time.Minute)); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("an expired confirm token: %v, want ENOTFOUND", err)
	}
	if _, err := s.ConfirmSubscriber(ctx, tokenHash("nope"), at); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("an unknown confirm token: %v, want ENOTFOUND", err)
	}
	got, err := s.ConfirmSubscriber(ctx, tokenHash("c1"), at.Add(time.Minute))
	must(t, err, "ConfirmSubscriber")
	if !got.ConfirmedAt.Equal(at.Add(time.Minute)) {
		t.Errorf("confirmed at %v", got.ConfirmedAt)
	}
	if _, err := s.ConfirmSubscriber(ctx, tokenHash("c1"), at.Add(time.Minute)); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("a used confirm token: %v, want ENOTFOUND", err)
	}
	if _, err := s.SubscriberByToken(ctx, tokenHash("c1")); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("a confirm token unsubscribes: %v", err)
	}
	_, err = s.AddSubscriber(ctx, store.Subscriber{PageID: "public", Kind: store.SubscriberWebhook, Address: "https://hooks.example.com/x", CreatedAt: at},
		store.SubscriberToken{Hash: tokenHash("c3"), Purpose: store.TokenConfirm}, nil)
	must(t, err, "AddSubscriber webhook")

	list, err := s.Subscribers(ctx, "public", at.Add(time.Hour), store.Page{})
	must(t, err, "Subscribers")
	if len(list) != 1 || list[0].ID != sub.ID {
		t.Fatalf("confirmed subscribers = %+v", list)
	}
	if list, err = s.Subscribers(ctx, "public", at, store.Page{}); err != nil || len(list) != 0 {
		t.Errorf("subscribers confirmed before they confirmed = %+v, %v", list, err)
	}
	if list, err = s.Subscribers(ctx, "public", time.Time{}, store.Page{Limit: 1}); err != nil || len(list) != 1 || list[0].Kind != store.SubscriberWebhook {
		t.Errorf("first page of all subscribers = %+v, %v", list, err)
	}
	counts, err := s.SubscriberCounts(ctx)
	must(t, err, "SubscriberCounts")
	if counts["public"] != (store.SubscriberCount{Pending: 1, Confirmed: 1}) || len(counts) != 1 {
		t.Errorf("counts = %+v", counts)
	}

	m := store.SubscriberMessage{SubscriberID: sub.ID, Token: store.SubscriberToken{Hash: tokenHash("u1"), Purpose: store.TokenUnsubscribe},
		Message: notify.OutboxMessage{ID: "status/public/7/1", Channel: "mail", Event: notify.Event{Event: "status.update", To: sub.Address, Time: at}, CreatedAt: at}}
	n, err := s.QueueSubscriberMessages(ctx, []store.SubscriberMessage{m})
	must(t, err, "QueueSubscriberMessages")
	m.Token.Hash = tokenHash("u2")
	n2, err := s.QueueSubscriberMessages(ctx, []store.SubscriberMessage{m})
	must(t, err, "QueueSubscriberMessages again")
	if n != 1 || n2 != 0 {
		t.Errorf("queued %d then %d, want 1 then 0", n, n2)
	}
	if _, err := s.SubscriberByToken(ctx, tokenHash("u2")); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("the token of a message not queued unsubscribes: %v", err)
	}
	bySub, err := s.SubscriberByToken(ctx, tokenHash("u1"))
	must(t, err, "SubscriberByToken")
	if bySub.ID != sub.ID {
		t.Errorf("SubscriberByToken = %+v", bySub)
	}
	must(t, s.DeleteSubscriber(ctx, "public", sub.ID), "DeleteSubscriber")
	if err := s.DeleteSubscriber(ctx, "public", sub.ID); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("deleting twice: %v, want ENOTFOUND", err)
	}
	if _, err := s.SubscriberByToken(ctx, tokenHash("u1")); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("a deleted subscriber's token: %v, want ENOTFOUND", err)
	}
	// Pruning: the webhook's confirm token never expires; a pending
	// address whose token expired goes, and an expired unsubscribe token
	// stops working.
	_, err = s.AddSubscriber(ctx, store.Subscriber{PageID: "public", Kind: store.SubscriberEmail, Address: "bo@example.com", CreatedAt: at},
		store.SubscriberToken{Hash: tokenHash("c4"), Purpose: store.TokenConfirm, Expires: at.Add(time.Hour)}, nil)
	must(t, err, "AddSubscriber bo")
	if n, err := s.PruneSubscribers(ctx, at.Add(time.Minute)); err != nil || n != 0 {
		t.Errorf("prune before expiry = %d, %v", n, err)
	}
	if n, err := s.PruneSubscribers(ctx, at.Add(2*time.Hour)); err != nil || n != 1 {
		t.Errorf("prune after expiry = %d, %v; want 1", n, err)
	}
	counts, err = s.SubscriberCounts(ctx)
	must(t, err, "SubscriberCounts")
	if counts["public"] != (store.SubscriberCount{Pending: 1}) {
		t.Errorf("counts after pruning = %+v", counts)
	}
	if _, err := s.AddSubscriber(ctx, store.Subscriber{PageID: "public", Kind: "pigeon", Address: "x"}, store.SubscriberToken{Hash: tokenHash("c9")}, nil); errs.Code(err) != errs.EINVALID {
		t.Errorf("an unknown kind: %v, want EINVALID", err)
	}
}
