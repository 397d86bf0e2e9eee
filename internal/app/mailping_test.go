package app

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"

	smtp "github.com/emersion/go-smtp"

	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/store"
)

const mailUUID = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"

// mailConfig is a server with the email listener and one heartbeat, whose
// slug URL needs the ping key.
func mailConfig(storage, keywords string) string {
	return "server:\n  smtp_listen: 127.0.0.1:0\n  smtp_domain: ping.test\n" + keywords +
		"  pings:\n    key: mail-test-ping-key-0123\n" + storage +
		"heartbeats:\n  - id: export\n    uuid: " + mailUUID + "\n    slug: export\n    period: 1h\n    grace: 10m\n"
}

// startWithSMTP runs an App with server.smtp_listen on a port of its own
// and returns that port's address.
func startWithSMTP(t *testing.T) (addr string, a *App, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, mailConfig(storageYAML(t, "sqlite"), "  smtp_failure_keywords: [failed]\n"))
	smtpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a = runApp(t, Options{ConfigPath: path, SMTPListener: smtpLn, WatchInterval: -1}).app
	return smtpLn.Addr().String(), a, path
}

func sendMail(addr, to, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail("job@example.org", []string{to}, strings.NewReader(msg))
}

// TestEmailPingsAreStored sends mail to a heartbeat's addresses and reads
// the pings back from the database: a 250 means stored.
func TestEmailPingsAreStored(t *testing.T) {
	addr, a, path := startWithSMTP(t)
	if err := sendMail(addr, mailUUID+"@ping.test", "Subject: export FAILED\r\n\r\nsee log\r\n"); err != nil {
		t.Fatalf("mail refused: %v", err)
	}

	// Keyword lists apply on reload; the listener's settings do not.
	cfg := a.config()
	storage := "storage:\n  driver: sqlite\n  dsn: " + cfg.Storage.DSN + "\n"
	writeConfig(t, path, mailConfig(storage, "  smtp_start_keywords: [failed]\n"))
	if err := a.Reload(context.Background()); err != nil {
		t.Fatalf("reload with new keywords: %v", err)
	}
	if err := sendMail(addr, "export+mail-test-ping-key-0123@ping.test", "Subject: export FAILED\r\n\r\nsee log\r\n"); err != nil {
		t.Fatalf("mail to the slug address refused: %v", err)
	}
	writeConfig(t, path, strings.Replace(mailConfig(storage, ""), "127.0.0.1:0", "127.0.0.1:2526", 1))
	if err := a.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Errorf("reload changing smtp_listen: %v, want it rejected", err)
	}

	pings, err := a.Store().Pings(context.Background(), "export", store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pings) != 2 {
		t.Fatalf("stored %d pings, want 2: %+v", len(pings), pings)
	}
	// Newest first: the start after the reload, then the failure.
	if pings[1].Kind != string(heartbeat.KindFail) || pings[0].Kind != string(heartbeat.KindStart) ||
		pings[0].Transport != "email" || pings[0].Source != "job@example.org" || !strings.Contains(string(pings[1].Body), "see log") {
		t.Errorf("stored pings %+v, want a failure, then a start, by email from job@example.org", pings)
	}
}

// TestEmailPingUnknownRecipient: an address that names no heartbeat is
// refused at RCPT, and a wrong ping key is as unknown as a wrong slug.
func TestEmailPingUnknownRecipient(t *testing.T) {
	addr, _, _ := startWithSMTP(t)
	for _, to := range []string{"0bf66975-d4c7-4bf5-bcc8-b8d8a82ea278@ping.test", "export+wrong-key-000000000000@ping.test", "nobody+mail-test-ping-key-0123@ping.test"} {
		err := sendMail(addr, to, "Subject: x\r\n\r\ny\r\n")
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 550 {
			t.Errorf("mail to %s: %v, want 550", to, err)
		}
	}
}
