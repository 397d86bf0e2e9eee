package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/tocsin/tocsin/internal/heartbeat"
)

type pingRecorder struct {
	mu    sync.Mutex
	pings []heartbeat.Ping
}

func (r *pingRecorder) Receive(_ context.Context, p heartbeat.Ping) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pings = append(r.pings, p)
	return nil
}

// startWithSMTP runs an App with server.smtp_listen on a port of its own
// and returns that port's address.
func startWithSMTP(t *testing.T, rcv heartbeat.Receiver) (addr string, a *App, path string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, "server:\n  smtp_listen: 127.0.0.1:0\n  smtp_domain: ping.test\n  smtp_failure_keywords: [failed]\n"+storageYAML(t, "sqlite"))
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	smtpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err = New(ctx, Options{ConfigPath: path, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Listener: httpLn, SMTPListener: smtpLn, WatchInterval: -1, HeartbeatReceiver: rcv})
	if err != nil {
		cancel()
		t.Fatalf("New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
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

func TestEmailPingsReachTheReceiver(t *testing.T) {
	rec := &pingRecorder{}
	addr, a, path := startWithSMTP(t, rec)
	to := "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278@ping.test"
	if err := sendMail(addr, to, "Subject: export FAILED\r\n\r\nsee log\r\n"); err != nil {
		t.Fatalf("mail refused: %v", err)
	}

	// Keyword lists apply on reload; the listener's settings do not.
	cfg := a.config()
	storage := "storage:\n  driver: sqlite\n  dsn: " + cfg.Storage.DSN + "\n"
	writeConfig(t, path, "server:\n  smtp_listen: 127.0.0.1:0\n  smtp_domain: ping.test\n  smtp_start_keywords: [failed]\n"+storage)
	if err := a.Reload(context.Background()); err != nil {
		t.Fatalf("reload with new keywords: %v", err)
	}
	if err := sendMail(addr, to, "Subject: export FAILED\r\n\r\nsee log\r\n"); err != nil {
		t.Fatalf("mail refused: %v", err)
	}
	writeConfig(t, path, "server:\n  smtp_listen: 127.0.0.1:2526\n  smtp_domain: ping.test\n"+storage)
	if err := a.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Errorf("reload changing smtp_listen: %v, want it rejected", err)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.pings) != 2 || rec.pings[0].UUID != "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278" || rec.pings[0].Kind != heartbeat.KindFail || rec.pings[1].Kind != heartbeat.KindStart {
		t.Errorf("pings %+v, want a failure, then a start after the reload", rec.pings)
	}
}

func TestEmailPingsDeferredWithoutReceiver(t *testing.T) {
	addr, _, _ := startWithSMTP(t, nil)
	err := sendMail(addr, "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278@ping.test", "Subject: x\r\n\r\ny\r\n")
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 451 {
		t.Errorf("mail with no receiver wired: %v, want 451 (try again later)", err)
	}
}
