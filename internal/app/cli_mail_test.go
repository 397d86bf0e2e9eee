package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestCLICheckMail runs the mail kinds through `tocsin check` against
// in-process servers, and makes sure no password reaches the output.
func TestCLICheckMail(t *testing.T) {
	const secret = "correct-horse-battery"
	ms := testkit.StartMail(t, testkit.MailOptions{Password: secret})
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good-secret"), filepath.Join(dir, "bad-secret")
	for file, value := range map[string]string{good: secret + "\n", bad: "wrong-staple-value\n"} {
		if err := os.WriteFile(file, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "tocsin.yaml")
	config := func(secretFile string) string {
		return `monitors:
  - id: loop
    type: mailloop
    timeout: 5s
    mailloop:
      from: tocsin@test
      to: probe@test
      smtp: {address: "` + ms.SMTPAddr + `", tls: none, username: probe, password_file: ` + secretFile + `}
      imap: {address: "` + ms.IMAPAddr + `", tls: none, username: probe, password_file: ` + secretFile + `}
  - id: mx
    type: smtp
    smtp: {address: "` + ms.SMTPAddr + `", tls: none, username: probe, password_file: ` + secretFile + `, mail_from: tocsin@test, rcpt_to: [probe@test]}
  - id: box
    type: imap
    imap: {address: "` + ms.IMAPAddr + `", tls: none, username: probe, password_file: ` + secretFile + `}
  - id: drop
    type: pop3
    pop3: {address: "` + ms.POP3Addr + `", tls: none, username: probe, password_file: ` + secretFile + `}
`
	}
	writeConfig(t, path, config(good))
	code, stdout, stderr := runCLI(t, "", "check", "--config", path, "--json", "loop")
	if code != 0 {
		t.Fatalf("check loop: exit %d\n%s%s", code, stdout, stderr)
	}
	var out checkOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("check --json output is not JSON: %v\n%s", err, stdout)
	}
	got := map[string]float64{}
	for _, m := range out.Metrics {
		got[m.Name] = m.Value
	}
	if got["sent"] != 1 || got["received"] != 1 || !strings.Contains(out.Reason, "arrived in INBOX") {
		t.Errorf("check loop: %+v", out)
	}
	if n := ms.Count(t, "INBOX"); n != 0 {
		t.Errorf("the check left %d probe mails in the mailbox", n)
	}
	for _, id := range []string{"mx", "box", "drop"} {
		if code, stdout, stderr := runCLI(t, "", "check", "--config", path, id); code != 0 {
			t.Errorf("check %s: exit %d\n%s%s", id, code, stdout, stderr)
		}
	}

	writeConfig(t, path, config(bad))
	for _, id := range []string{"loop", "mx", "box", "drop"} {
		for _, args := range [][]string{{"check", "--config", path, id}, {"check", "--config", path, "--json", id}} {
			code, stdout, stderr := runCLI(t, "", args...)
			if code != 2 {
				t.Errorf("%v with a wrong password: exit %d, want 2\n%s%s", args, code, stdout, stderr)
			}
			if strings.Contains(stdout+stderr, "wrong-staple-value") || strings.Contains(stdout+stderr, secret) {
				t.Errorf("%v prints a password:\n%s%s", args, stdout, stderr)
			}
		}
	}
}

// TestMailLoopInTheServer runs a mail loop monitor in a running app: the
// store keeps its bookkeeping, and its metrics reach /metrics.
func TestMailLoopInTheServer(t *testing.T) {
	ms := testkit.StartMail(t, testkit.MailOptions{})
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, "sqlite")+`
monitors:
  - id: loop
    type: mailloop
    interval: 2s
    timeout: 1500ms
    mailloop:
      from: tocsin@test
      to: probe@test
      smtp: {address: "`+ms.SMTPAddr+`", tls: none}
      imap: {address: "`+ms.IMAPAddr+`", tls: none, username: probe, password: secret}
`)
	r := start(t, path)
	waitState(t, r.app, "loop", monitor.StatusUp)
	hist, err := r.app.Store().MailProbes(context.Background(), "loop", time.Time{})
	if err != nil || len(hist) == 0 || hist[0].State != "received" {
		t.Fatalf("bookkeeping in the store: %+v, %v", hist, err)
	}
	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `tocsin_monitor_metric{metric="delivery_latency",monitor="loop",unit="s"}`) {
		t.Errorf("/metrics lacks the mail loop's delivery latency:\n%s", body)
	}
}

// TestMailPasswordsStayOutOfLogs runs failing mail monitors in a server and
// reads everything it logged.
func TestMailPasswordsStayOutOfLogs(t *testing.T) {
	ms := testkit.StartMail(t, testkit.MailOptions{})
	t.Setenv("TOCSIN_TEST_MAIL_PASSWORD", "leaky-password-value")
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, "sqlite")+`
monitors:
  - id: loop
    type: mailloop
    interval: 1s
    timeout: 900ms
    mailloop:
      from: tocsin@test
      to: probe@test
      smtp: {address: "`+ms.SMTPAddr+`", tls: none}
      imap: {address: "`+ms.IMAPAddr+`", tls: none, username: probe, password: "${TOCSIN_TEST_MAIL_PASSWORD}"}
  - id: mx
    type: smtp
    interval: 1s
    timeout: 900ms
    smtp: {address: "`+ms.SMTPAddr+`", tls: none, username: probe, password: "${TOCSIN_TEST_MAIL_PASSWORD}"}
`)
	var logs lockedBuffer
	a := runApp(t, Options{ConfigPath: path, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), WatchInterval: -1}).app
	waitState(t, a, "loop", monitor.StatusDown)
	waitState(t, a, "mx", monitor.StatusDown)
	out := logs.String()
	if !strings.Contains(out, "monitor state changed") || !strings.Contains(out, "AUTH: 535") {
		t.Errorf("the logs lack the state changes and their reasons:\n%s", out)
	}
	if strings.Contains(out, "leaky-password-value") {
		t.Errorf("the logs hold a password:\n%s", out)
	}
}
