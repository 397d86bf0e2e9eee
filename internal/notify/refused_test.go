package notify_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// TestDispatcherRecordsAttemptWithUnstorableError: a channel whose error
// carries bytes PostgreSQL does not take as text (a far side answering in
// Latin-1, a NUL) still gets its attempt recorded, with the text made
// valid, so the message is given up as it should be instead of being sent
// again at every lease without ever counting an attempt.
func TestDispatcherRecordsAttemptWithUnstorableError(t *testing.T) {
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: sqlstore.DriverPostgres, DSN: storetest.PostgresDSN(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ch := &scripted{script: []outcome{{false, errors.New("422: r\xe9ponse \x00invalide")}}}
	d := notify.NewDispatcher(notify.DispatcherOptions{Store: db, Notifiers: map[string]notify.Notifier{"ops": ch}, PollInterval: 50 * time.Millisecond})
	if err := db.SaveBatch(t.Context(), store.Batch{Outbox: []notify.OutboxMessage{message("n1", "ops", time.Now())}}); err != nil {
		t.Fatal(err)
	}
	run(t, d)
	var as []notify.Attempt
	waitFor(t, func() bool {
		as, err = db.Attempts(t.Context(), "", store.Page{})
		return err == nil && len(as) > 0
	})
	if len(as) != 1 || as[0].Outcome != notify.OutcomeFailed || !strings.HasPrefix(as[0].Error, "422: r\uFFFDponse invalide") {
		t.Errorf("attempts = %+v, want one failed attempt with the error made valid text", as)
	}
	ms, err := db.OutboxMessages(t.Context(), "", store.Page{})
	if err != nil || len(ms) != 1 || ms[0].State != notify.StateFailed {
		t.Errorf("messages = %+v, %v; want n1 given up", ms, err)
	}
	if n := len(ch.callList()); n != 1 {
		t.Errorf("the notifier was called %d times, want 1", n)
	}
}
