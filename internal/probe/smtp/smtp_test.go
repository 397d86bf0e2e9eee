package smtp

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

func newProber(t *testing.T, c *Check, dial func(ctx context.Context, addr string) (net.Conn, error)) *Prober {
	t.Helper()
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	p.Dial = dial
	return p
}

func run(p *Prober, timeout time.Duration) probe.Result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Probe(ctx)
}

func TestStartTLSAuthAndEnvelope(t *testing.T) {
	ca := certtest.NewAuthority(t)
	ms := testkit.StartMail(t, testkit.MailOptions{TLS: ca.ServerConfig(t, time.Now().Add(90*24*time.Hour), "127.0.0.1"), Password: "s3cret-pass"})
	c := &Check{Address: ms.SMTPAddr, TLS: mailx.TLSStartTLS, TLSConfig: config.TLSClient{CAFile: ca.CAFile(t)},
		Username: "probe", Password: "s3cret-pass", Helo: "checker.test", MailFrom: "tocsin@test", RcptTo: []string{"probe@test"},
		Expect: Expect{BannerContains: "mx.test", Extensions: []string{"pipelining", "AUTH"}}}
	r := run(newProber(t, c, nil), 10*time.Second)
	mailtest.Want(t, r, probe.OK, "TLS, certificate expires in 89 days")
	for _, s := range []string{`"mx.test ESMTP Service Ready"`, "extensions: PIPELINING", "AUTH", "AUTH accepted", "RCPT TO:<probe@test> 250"} {
		if !strings.Contains(r.Reason, s) {
			t.Errorf("reason %q lacks %q", r.Reason, s)
		}
	}
	if r.CertExpiry.IsZero() || len(r.Metrics) < 2 {
		t.Errorf("no certificate expiry or metrics: %+v", r)
	}
	if ms.Accepted() != 0 {
		t.Errorf("the check sent %d mails, want none", ms.Accepted())
	}

	c.RcptTo = []string{"nobody@test"}
	mailtest.Want(t, run(newProber(t, c, nil), 10*time.Second), probe.Critical, "RCPT TO:<nobody@test> answered 550 5.1.1 no such user, expected 250-251")
	c.RcptTo = []string{"probe@test"}
	c.Expect.Extensions = []string{"SMTPUTF8"}
	mailtest.Want(t, run(newProber(t, c, nil), 10*time.Second), probe.Critical, "the server does not offer SMTPUTF8 (it offers ")
	c.Expect.Extensions = nil
	c.Password = "wrong-password-value"
	r = run(newProber(t, c, nil), 10*time.Second)
	mailtest.Want(t, r, probe.Critical, "AUTH: 535 5.7.8 authentication failed")
	if strings.Contains(r.Reason, "wrong-password-value") {
		t.Errorf("reason leaks the password: %q", r.Reason)
	}
}

func TestCertificateProblems(t *testing.T) {
	ca := certtest.NewAuthority(t)
	expired := testkit.StartMail(t, testkit.MailOptions{TLS: ca.ServerConfig(t, time.Now().Add(-48*time.Hour), "127.0.0.1")})
	c := &Check{Address: expired.SMTPAddr, TLS: mailx.TLSStartTLS, TLSConfig: config.TLSClient{CAFile: ca.CAFile(t)}}
	r := run(newProber(t, c, nil), 10*time.Second)
	mailtest.Want(t, r, probe.Critical, "certificate expired 2 days ago")

	soon := testkit.StartMail(t, testkit.MailOptions{TLS: ca.ServerConfig(t, time.Now().Add(3*24*time.Hour+time.Hour), "127.0.0.1")})
	c.Address = soon.SMTPAddr
	mailtest.Want(t, run(newProber(t, c, nil), 10*time.Second), probe.Critical, "certificate expires in 3 days")

	// Without the CA the certificate is as good as self-signed.
	c.TLSConfig = config.TLSClient{}
	mailtest.Want(t, run(newProber(t, c, nil), 10*time.Second), probe.Critical, "x509: certificate signed by unknown authority")

	plain := testkit.StartMail(t, testkit.MailOptions{})
	c.Address = plain.SMTPAddr
	mailtest.Want(t, run(newProber(t, c, nil), 10*time.Second), probe.Critical, "STARTTLS: the server does not offer STARTTLS")
}

func TestHostileServers(t *testing.T) {
	greet := func(c net.Conn, r *bufio.Reader) bool {
		mailtest.Say(c, "220 evil.test ESMTP")
		return mailtest.Expect(r, "EHLO")
	}
	tests := []struct {
		name   string
		tls    string
		script func(c net.Conn, r *bufio.Reader)
		reason string
	}{
		{"silent", mailx.TLSNone, func(c net.Conn, r *bufio.Reader) { mailtest.Hang(r) }, "greeting: timed out after 10s"},
		{"hangs after EHLO", mailx.TLSNone, func(c net.Conn, r *bufio.Reader) {
			if greet(c, r) {
				mailtest.Hang(r)
			}
		}, "EHLO: timed out after 10s"},
		{"endless line", mailx.TLSNone, func(c net.Conn, r *bufio.Reader) { mailtest.Endless(c, "220 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") }, "greeting: "},
		{"huge banner", mailx.TLSNone, func(c net.Conn, r *bufio.Reader) { mailtest.Endless(c, "220-welcome to a very long banner\r\n") }, "greeting: server sent more data than a probe reads"},
		{"early close", mailx.TLSNone, func(c net.Conn, r *bufio.Reader) { mailtest.Say(c, "220-half a banner") }, "greeting: "},
		{"lies about STARTTLS", mailx.TLSStartTLS, func(c net.Conn, r *bufio.Reader) {
			if greet(c, r) {
				mailtest.Say(c, "250-evil.test", "250 STARTTLS")
				if mailtest.Expect(r, "STARTTLS") {
					mailtest.Say(c, "454 4.7.0 TLS not available due to temporary reason")
				}
			}
		}, "STARTTLS: 454 4.7.0 TLS not available"},
		{"garbage instead of TLS", mailx.TLSStartTLS, func(c net.Conn, r *bufio.Reader) {
			if greet(c, r) {
				mailtest.Say(c, "250-evil.test", "250 STARTTLS")
				if mailtest.Expect(r, "STARTTLS") {
					mailtest.Say(c, "220 go ahead")
					mailtest.Endless(c, "not a TLS record ")
				}
			}
		}, "TLS handshake: "},
		{"endless EHLO", mailx.TLSNone, func(c net.Conn, r *bufio.Reader) {
			if greet(c, r) {
				mailtest.Endless(c, "250-EXTENSION\r\n")
			}
		}, "EHLO: server sent more data than a probe reads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := testkit.NewPipeNet()
				mailtest.Hostile(t, n, "evil:25", tt.script)
				p := newProber(t, &Check{Address: "evil:25", TLS: tt.tls}, n.Dial)
				r := run(p, 10*time.Second)
				mailtest.Want(t, r, probe.Critical, tt.reason)
			})
		})
	}
}

func TestImplicitTLS(t *testing.T) {
	ca := certtest.NewAuthority(t)
	ms := testkit.StartMail(t, testkit.MailOptions{TLS: ca.ServerConfig(t, time.Now().Add(90*24*time.Hour), "127.0.0.1"), ImplicitTLS: true})
	c := &Check{Address: ms.SMTPAddr, TLS: mailx.TLSImplicit, TLSConfig: config.TLSClient{CAFile: ca.CAFile(t)},
		Username: "probe", Password: "secret", MailFrom: "a@test", RcptTo: []string{"b@test"}, Expect: Expect{RcptCodes: []string{"251"}}}
	mailtest.Want(t, run(newProber(t, c, nil), 10*time.Second), probe.Critical, "RCPT TO:<b@test> answered 250, expected 251")
	c.Expect.RcptCodes = nil
	mailtest.Want(t, run(newProber(t, c, nil), 10*time.Second), probe.OK, "TLS, certificate expires in 89 days")
}
