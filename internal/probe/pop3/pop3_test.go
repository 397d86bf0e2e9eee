package pop3

import (
	"bufio"
	"context"
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

func TestMaildropChecks(t *testing.T) {
	ca := certtest.NewAuthority(t)
	ms := testkit.StartMail(t, testkit.MailOptions{TLS: ca.ServerConfig(t, time.Now().Add(30*24*time.Hour), "127.0.0.1"), Password: "pop-pass-123"})
	now := time.Now()
	ms.Drop.Add([]byte("Date: " + now.Add(-50*time.Hour).Format(time.RFC1123Z) + "\r\nSubject: old\r\n\r\n.leading dot\r\n"))
	ms.Drop.Add([]byte("Received: from a by b; " + now.Add(-10*time.Minute).Format(time.RFC1123Z) + "\r\nSubject: new\r\n\r\nx\r\n"))
	c := &Check{Address: ms.POP3Addr, TLS: mailx.TLSStartTLS, TLSConfig: config.TLSClient{CAFile: ca.CAFile(t)},
		Username: "probe", Password: "pop-pass-123"}
	r := run(t, c, nil)
	mailtest.Want(t, r, probe.OK, "the maildrop holds 2 messages, newest 10m old, oldest 2d old; TLS, certificate expires in 29 days")
	if ms.Drop.Len() != 2 {
		t.Errorf("the check changed the maildrop: %d messages", ms.Drop.Len())
	}
	c.Expect = mailx.MailboxExpect{MinMessages: 3}
	mailtest.Want(t, run(t, c, nil), probe.Critical, "expected at least 3")
	c.Expect = mailx.MailboxExpect{OldestMaxAge: config.Duration(24 * time.Hour)}
	mailtest.Want(t, run(t, c, nil), probe.Critical, "the oldest is older than 24h0m0s")
	c.Expect = mailx.MailboxExpect{}

	c.Password = "wrong-password-value"
	r = run(t, c, nil)
	mailtest.Want(t, r, probe.Critical, "login: PASS answered -ERR invalid login")
	if strings.Contains(r.Reason, "wrong-password-value") {
		t.Errorf("reason leaks the password: %q", r.Reason)
	}

	c.TLSConfig = config.TLSClient{}
	c.Password = "pop-pass-123"
	mailtest.Want(t, run(t, c, nil), probe.Critical, "x509: certificate signed by unknown authority")

	plain := testkit.StartMail(t, testkit.MailOptions{})
	mailtest.Want(t, run(t, &Check{Address: plain.POP3Addr, TLS: mailx.TLSStartTLS}, nil), probe.Critical, "STLS: STLS refused: -ERR no TLS")
	mailtest.Want(t, run(t, &Check{Address: plain.POP3Addr, TLS: mailx.TLSNone, Username: "probe", Password: "secret"}, nil),
		probe.OK, "the maildrop holds 0 messages")
}

func TestHostileServers(t *testing.T) {
	tests := []struct {
		name   string
		script func(c net.Conn, r *bufio.Reader)
		reason string
	}{
		{"silent", func(c net.Conn, r *bufio.Reader) { mailtest.Hang(r) }, "greeting: timed out after 10s"},
		{"endless line", func(c net.Conn, r *bufio.Reader) { mailtest.Endless(c, "+OK aaaaaaaaaaaaaaaaaaaaaa") }, "greeting: server sent a line longer than 4096 bytes"},
		{"early close", func(c net.Conn, r *bufio.Reader) {}, "greeting: server closed the connection"},
		{"not POP3", func(c net.Conn, r *bufio.Reader) { mailtest.Say(c, "220 smtp.test ESMTP") }, `greeting: unexpected answer "220 smtp.test ESMTP" to greeting`},
		{"endless listing", func(c net.Conn, r *bufio.Reader) {
			mailtest.Say(c, "+OK ready")
			for range 2 {
				if !mailtest.Expect(r, "") {
					return
				}
				mailtest.Say(c, "+OK")
			}
			if mailtest.Expect(r, "STAT") {
				mailtest.Say(c, "+OK 2 100")
			}
			if mailtest.Expect(r, "TOP") {
				mailtest.Say(c, "+OK")
				mailtest.Endless(c, "X-Junk: y\r\n")
			}
		}, "TOP 1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := testkit.NewPipeNet()
				mailtest.Hostile(t, n, "evil:110", tt.script)
				r := run(t, &Check{Address: "evil:110", TLS: mailx.TLSNone, Username: "u", Password: "pass-word"}, n.Dial)
				mailtest.Want(t, r, probe.Critical, tt.reason)
			})
		})
	}
}

func TestImplicitTLS(t *testing.T) {
	ca := certtest.NewAuthority(t)
	ms := testkit.StartMail(t, testkit.MailOptions{TLS: ca.ServerConfig(t, time.Now().Add(90*24*time.Hour), "127.0.0.1"), ImplicitTLS: true})
	c := &Check{Address: ms.POP3Addr, TLS: mailx.TLSImplicit, TLSConfig: config.TLSClient{CAFile: ca.CAFile(t)},
		Username: "probe", Password: "secret"}
	mailtest.Want(t, run(t, c, nil), probe.OK, "the maildrop holds 0 messages; TLS, certificate expires in 89 days")
}
