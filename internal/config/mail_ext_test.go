package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe/imap"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/probe/mailloop"
	"github.com/tocsin/tocsin/internal/probe/pop3"
	"github.com/tocsin/tocsin/internal/probe/smtp"
)

func TestMailDefaultsAndSecrets(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mailbox-secret"), []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOCSIN_TEST_SMTP", "from-the-env")
	path := filepath.Join(dir, "tocsin.yaml")
	body := `monitors:
  - id: loop
    interval: 5m
    mailloop:
      from: a@example.org
      to: b@example.org
      smtp: {address: "smtp.example.org:587", username: tocsin, password: "${TOCSIN_TEST_SMTP}"}
      imap: {address: "imap.example.org:993", username: probe, password_file: mailbox-secret}
  - id: loop-no-junk
    interval: 30s
    mailloop:
      from: a@example.org
      to: b@example.org
      smtp: {address: "mx.example.org:25"}
      pop3: {address: "pop.example.org:110", username: probe, password: x}
  - id: loop-imap-junk-off
    timeout: 20s
    mailloop:
      from: a@example.org
      to: b@example.org
      smtp: {address: "smtp.example.org:465"}
      imap: {address: "imap.example.org:143", username: probe, password: x, junk_folders: []}
  - id: mx
    smtp: {address: "mx.example.org:25"}
  - id: box
    imap: {address: "imap.example.org:143"}
  - id: drop
    pop3: {address: "pop.example.org:995", cert_min_days: 30}
`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	m := func(id string) *config.Monitor {
		mon, ok := cfg.Monitor(id)
		if !ok {
			t.Fatalf("no monitor %s", id)
		}
		return mon
	}
	loop := m("loop")
	if loop.Type != "mailloop" || loop.Timeout != config.Duration(time.Minute) || loop.Block.(*mailloop.Check).Mode != mailloop.RoundTrip ||
		loop.Block.(*mailloop.Check).MaxDelivery != config.Duration(10*time.Minute) || loop.Block.(*mailloop.Check).CleanupAfter != config.Duration(24*time.Hour) {
		t.Errorf("mailloop defaults: %+v timeout %s", loop.Block.(*mailloop.Check), loop.Timeout)
	}
	if s := loop.Block.(*mailloop.Check).SMTP; s.TLS != "starttls" || s.Password != "from-the-env" {
		t.Errorf("smtp: tls %q password %q", s.TLS, s.Password)
	}
	if i := loop.Block.(*mailloop.Check).IMAP; i.TLS != "tls" || i.Password != "from-a-file" || i.Mailbox != "INBOX" ||
		!cmp.Equal(i.JunkFolders, mailloop.DefaultJunkFolders) {
		t.Errorf("imap: %+v", i)
	}
	if l := m("loop-no-junk"); l.Timeout != config.Duration(30*time.Second) || l.Block.(*mailloop.Check).SMTP.TLS != "none" || l.Block.(*mailloop.Check).POP3.TLS != "starttls" {
		t.Errorf("timeout %s, smtp tls %q, pop3 tls %q", l.Timeout, l.Block.(*mailloop.Check).SMTP.TLS, l.Block.(*mailloop.Check).POP3.TLS)
	}
	if l := m("loop-imap-junk-off"); l.Timeout != config.Duration(20*time.Second) || len(l.Block.(*mailloop.Check).IMAP.JunkFolders) != 0 ||
		l.Block.(*mailloop.Check).SMTP.TLS != "tls" || l.Block.(*mailloop.Check).IMAP.TLS != "starttls" {
		t.Errorf("written timeout or junk_folders: [] not kept: %s %+v", l.Timeout, l.Block.(*mailloop.Check).IMAP)
	}
	if s := m("mx").Block.(*smtp.Check); s.TLS != "none" || s.CertMinDays != 7 || s.CertWarnDays != 21 {
		t.Errorf("smtp check defaults: %+v", s)
	}
	if i := m("box").Block.(*imap.Check); i.TLS != "starttls" || i.Mailbox != "INBOX" {
		t.Errorf("imap check defaults: %+v", i)
	}
	if p := m("drop").Block.(*pop3.Check); p.TLS != "tls" || p.CertMinDays != 30 || p.CertWarnDays != 30 {
		t.Errorf("pop3 check defaults: %+v", p)
	}
	// A changed password changes the fingerprint, so a reload rebuilds the
	// prober; the fingerprint itself is a hash and shows no password.
	if fp := loop.Fingerprint(); strings.Contains(fp, "from-the-env") || len(fp) != 32 {
		t.Errorf("fingerprint %q", fp)
	}
}
