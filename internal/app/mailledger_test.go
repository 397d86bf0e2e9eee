package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/mailloop"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestRestartWithPendingMailInTheStore sends a mail that the server holds,
// closes the database as a stopping process would, and finds the mail with
// a new prober on the reopened database once the server delivers it: the
// store, through mailLedger, keeps the mails in flight.
func TestRestartWithPendingMailInTheStore(t *testing.T) {
	ms := testkit.StartMail(t, testkit.MailOptions{})
	c := &mailloop.Check{
		Mode: mailloop.RoundTrip, From: "tocsin@test", To: "probe@test",
		SMTP:         &mailloop.SMTP{Address: ms.SMTPAddr, TLS: "none"},
		IMAP:         &mailloop.IMAP{Address: ms.IMAPAddr, TLS: "none", Username: "probe", Password: "secret"},
		MaxDelivery:  config.Duration(10 * time.Minute),
		CleanupAfter: config.Duration(24 * time.Hour),
		Wait:         config.Duration(time.Millisecond), // one look per run
	}
	path := filepath.Join(t.TempDir(), "tocsin.db")
	run := func() probe.Result {
		db, err := sqlstore.Open(context.Background(), sqlstore.Options{DSN: path})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		p, err := mailloop.New("loop", c, mailLedger{db})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return p.Probe(ctx)
	}
	ms.SetHold(true)
	if r := run(); r.Status != probe.OK || !strings.Contains(r.Reason, "pending") {
		t.Fatalf("first run: %s %q, want the mail pending", r.Status, r.Reason)
	}
	ms.SetHold(false)
	if err := ms.Release(); err != nil {
		t.Fatal(err)
	}
	r := run()
	if r.Status != probe.OK || !strings.Contains(r.Reason, "arrived in INBOX") {
		t.Fatalf("after the restart: %s %q", r.Status, r.Reason)
	}
	for _, m := range r.Metrics {
		if (m.Name == "received" && m.Value != 2) || (m.Name == "pending" && m.Value != 0) {
			t.Errorf("after the restart %s = %v; want both mails received, none pending", m.Name, m.Value)
		}
	}
}
