package imap

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/certtest"
	"github.com/tocsin/tocsin/internal/probe/internal/mailtest"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
	"github.com/tocsin/tocsin/internal/testkit"
)

func run(t *testing.T, c *Check, dial func(context.Context, string) (net.Conn, error)) probe.Result {
	t.Helper()
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	p.Dial = dial
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Probe(ctx)
}

func TestMailboxChecks(t *testing.T) {
	ca := certtest.NewAuthority(t)
	ms := testkit.StartMail(t, testkit.MailOptions{TLS: ca.ServerConfig(t, time.Now().Add(60*24*time.Hour), "127.0.0.1"), Password: "imap-pass-123"})
	now := time.Now()
	for _, age := range []time.Duration{3 * time.Hour, time.Hour, 5 * time.Minute} {
		if err := ms.Deliver("INBOX", []byte("Subject: x\r\n\r\nx\r\n"), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	c := &Check{Address: ms.IMAPAddr, TLS: mailx.TLSStartTLS, TLSConfig: config.TLSClient{CAFile: ca.CAFile(t)},
		Username: "probe", Password: "imap-pass-123"}
	r := run(t, c, nil)
	mailtest.Want(t, r, probe.OK, "INBOX holds 3 messages, newest 5m old, oldest 3h old; TLS, certificate expires in 59 days")
	if r.CertExpiry.IsZero() {
		t.Error("no certificate expiry")
	}

	c.Expect = mailx.MailboxExpect{MaxMessages: 2}
	mailtest.Want(t, run(t, c, nil), probe.Critical, "expected at most 2 (is anyone reading it?)")
	c.Expect = mailx.MailboxExpect{NewestMaxAge: config.Duration(time.Minute)}
	mailtest.Want(t, run(t, c, nil), probe.Critical, "no message newer than 1m0s")
	c.Expect = mailx.MailboxExpect{OldestMaxAge: config.Duration(2 * time.Hour)}
	mailtest.Want(t, run(t, c, nil), probe.Critical, "the oldest is older than 2h0m0s")
	c.Expect = mailx.MailboxExpect{}

	c.Mailbox = "Archive"
	mailtest.Want(t, run(t, c, nil), probe.Critical, "select Archive: NO")
	c.Mailbox = ""

	c.Password = "wrong-password-value"
	r = run(t, c, nil)
	mailtest.Want(t, r, probe.Critical, "login: NO")
	if strings.Contains(r.Reason, "wrong-password-value") {
		t.Errorf("reason leaks the password: %q", r.Reason)
	}

	// Without credentials: greeting and TLS only.
	mailtest.Want(t, run(t, &Check{Address: ms.IMAPAddr, TLS: mailx.TLSStartTLS, TLSConfig: config.TLSClient{CAFile: ca.CAFile(t)}}, nil),
		probe.OK, "greeting OK")

	expired := testkit.StartMail(t, testkit.MailOptions{TLS: ca.ServerConfig(t, now.Add(-24*time.Hour), "127.0.0.1")})
	mailtest.Want(t, run(t, &Check{Address: expired.IMAPAddr, TLS: mailx.TLSStartTLS, TLSConfig: config.TLSClient{CAFile: ca.CAFile(t)}}, nil),
		probe.Critical, "certificate expired 1 day ago")
}

func TestThousandsOfMessages(t *testing.T) {
	ms := testkit.StartMail(t, testkit.MailOptions{})
	base := time.Now().Add(-30 * 24 * time.Hour)
	for i := range 3000 {
		if err := ms.Deliver("INBOX", []byte(fmt.Sprintf("Subject: %d\r\n\r\nx\r\n", i)), base.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, &Check{Address: ms.IMAPAddr, TLS: mailx.TLSNone, Username: "probe", Password: "secret",
		Expect: mailx.MailboxExpect{MaxMessages: 2500}}, nil)
	mailtest.Want(t, r, probe.Critical, "INBOX holds 3000 messages, newest 27d old, oldest 30d old, expected at most 2500")
}

func TestHostileServers(t *testing.T) {
	tests := []struct {
		name   string
		script func(c net.Conn, r *bufio.Reader)
		reason string
	}{
		{"silent", func(c net.Conn, r *bufio.Reader) { mailtest.Hang(r) }, "greeting: timed out after 10s"},
		{"endless greeting", func(c net.Conn, r *bufio.Reader) { mailtest.Endless(c, "* OK aaaaaaaaaaaaaaaaaaaaaaaaaa") }, "greeting: server sent more data than a probe reads"},
		{"early close", func(c net.Conn, r *bufio.Reader) { mailtest.Say(c, "* OK ready") }, "login: "},
		{"hangs after login", func(c net.Conn, r *bufio.Reader) {
			mailtest.Say(c, "* OK ready")
			mailtest.Hang(r)
		}, "login: timed out after 10s"},
		{"endless untagged data", func(c net.Conn, r *bufio.Reader) {
			mailtest.Say(c, "* OK ready")
			mailtest.Endless(c, "* 1 EXISTS\r\n")
		}, "server sent more data than a probe reads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := testkit.NewPipeNet()
				mailtest.Hostile(t, n, "evil:143", tt.script)
				r := run(t, &Check{Address: "evil:143", TLS: mailx.TLSNone, Username: "u", Password: "pass-word"}, n.Dial)
				mailtest.Want(t, r, probe.Critical, tt.reason)
			})
		})
	}
}

func TestImplicitTLS(t *testing.T) {
	ca := certtest.NewAuthority(t)
	ms := testkit.StartMail(t, testkit.MailOptions{TLS: ca.ServerConfig(t, time.Now().Add(10*24*time.Hour), "127.0.0.1"), ImplicitTLS: true})
	c := &Check{Address: ms.IMAPAddr, TLS: mailx.TLSImplicit, TLSConfig: config.TLSClient{CAFile: ca.CAFile(t)},
		Username: "probe", Password: "secret"}
	mailtest.Want(t, run(t, c, nil), probe.Warning, "certificate expires in 9 days")
	c.TLS = mailx.TLSStartTLS
	mailtest.Want(t, run(t, c, nil), probe.Critical, "")
}
