package tlsx

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/certtest"
)

// server runs dialogue on every accepted connection and then, if it returns
// true, a TLS handshake with conf.
func server(t *testing.T, conf *tls.Config, dialogue func(c net.Conn, r *bufio.Reader) bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				if dialogue != nil && !dialogue(c, bufio.NewReader(c)) {
					return
				}
				tc := tls.Server(c, conf)
				if tc.Handshake() == nil {
					_, _ = tc.Read(make([]byte, 1)) // until the client closes
				}
			}()
		}
	}()
	return l.Addr().String()
}

// say writes the lines in one write, so that they reach the client
// together: a line injected after a reply is in the same read as the
// reply, which is what the client checks for.
func say(c net.Conn, lines ...string) {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%s\r\n", l)
	}
	_, _ = io.WriteString(c, b.String())
}

func expectLine(r *bufio.Reader, want string) bool {
	line, err := r.ReadString('\n')
	return err == nil && strings.EqualFold(strings.TrimSpace(line), want)
}

func smtpDialogue(c net.Conn, r *bufio.Reader) bool {
	say(c, "220-mail.test ESMTP", "220 ready")
	if !expectLine(r, "EHLO tocsin.localhost") {
		return false
	}
	say(c, "250-mail.test", "250-PIPELINING", "250-STARTTLS", "250 8BITMIME")
	if !expectLine(r, "STARTTLS") {
		return false
	}
	say(c, "220 go ahead")
	return true
}

func imapDialogue(c net.Conn, r *bufio.Reader) bool {
	say(c, "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready")
	if !expectLine(r, "a001 STARTTLS") {
		return false
	}
	say(c, "* CAPABILITY IMAP4rev1 STARTTLS", "a001 OK Begin TLS negotiation now")
	return true
}

func pop3Dialogue(c net.Conn, r *bufio.Reader) bool {
	say(c, "+OK POP3 ready")
	if !expectLine(r, "STLS") {
		return false
	}
	say(c, "+OK begin TLS")
	return true
}

func check(t *testing.T, c *Check, timeout time.Duration) probe.Result {
	t.Helper()
	p, err := New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	return p.Probe(ctx)
}

func TestTLSAndStartTLS(t *testing.T) {
	ca := certtest.NewAuthority(t)
	caFile := ca.CAFile(t)
	good := ca.ServerConfig(t, time.Now().Add(90*24*time.Hour), "localhost", "127.0.0.1")
	for _, tt := range []struct {
		starttls string
		dialogue func(net.Conn, *bufio.Reader) bool
	}{
		{"", nil},
		{"smtp", smtpDialogue},
		{"imap", imapDialogue},
		{"pop3", pop3Dialogue},
	} {
		t.Run("starttls="+tt.starttls, func(t *testing.T) {
			addr := server(t, good, tt.dialogue)
			r := check(t, &Check{Address: addr, StartTLS: tt.starttls, Client: config.TLSClient{CAFile: caFile}}, 5*time.Second)
			if r.Status != probe.OK || !strings.HasPrefix(r.Reason, "TLS 1.3, certificate expires in 89 days") {
				t.Fatalf("got %v %q", r.Status, r.Reason)
			}
			if r.CertExpiry.IsZero() || r.Timing.TLS <= 0 || r.Timing.Connect <= 0 {
				t.Errorf("expiry %v timing %+v", r.CertExpiry, r.Timing)
			}
		})
	}
}

func TestCertificateProblems(t *testing.T) {
	ca := certtest.NewAuthority(t)
	caFile := ca.CAFile(t)
	soon := time.Now().Add(3*24*time.Hour + time.Hour)
	shortLived := server(t, ca.ServerConfig(t, soon, "127.0.0.1"), nil)
	warnLived := server(t, ca.ServerConfig(t, time.Now().Add(10*24*time.Hour+time.Hour), "127.0.0.1"), nil)
	expired := server(t, ca.ServerConfig(t, time.Now().Add(-24*time.Hour-time.Hour), "127.0.0.1"), nil)
	wrongName := server(t, ca.ServerConfig(t, time.Now().Add(90*24*time.Hour), "a.example"), nil)
	other := certtest.NewAuthority(t)
	unknownCA := server(t, other.ServerConfig(t, time.Now().Add(90*24*time.Hour), "127.0.0.1"), nil)
	client := config.TLSClient{CAFile: caFile}

	tests := []struct {
		name   string
		check  Check
		status probe.Status
		reason string
	}{
		{"short lived", Check{Address: shortLived, Client: client}, probe.Critical,
			fmt.Sprintf("tls %s: certificate expires in 3 days (%s), minimum 7", shortLived, soon.UTC().Format(time.DateOnly))},
		{"short lived, lower limit", Check{Address: shortLived, Client: client, CertMinDays: 2, CertWarnDays: 5}, probe.Warning,
			fmt.Sprintf("tls %s: certificate expires in 3 days (%s), warning below 5", shortLived, soon.UTC().Format(time.DateOnly))},
		{"default warning", Check{Address: warnLived, Client: client}, probe.Warning, "warning below 21"},
		{"expired", Check{Address: expired, Client: client}, probe.Critical, "certificate expired 1 day ago"},
		{"expired, verification off", Check{Address: expired, Client: config.TLSClient{InsecureSkipVerify: true}}, probe.Critical, "certificate expired 1 day ago"},
		{"wrong name", Check{Address: wrongName, Client: config.TLSClient{CAFile: caFile, ServerName: "b.example"}}, probe.Critical,
			fmt.Sprintf("tls %s: certificate is valid for a.example, not b.example", wrongName)},
		{"unknown authority", Check{Address: unknownCA, Client: client}, probe.Critical,
			fmt.Sprintf("tls %s: x509: certificate signed by unknown authority", unknownCA)},
		{"unknown authority, verification off", Check{Address: unknownCA, Client: config.TLSClient{InsecureSkipVerify: true}}, probe.OK, "TLS 1.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := check(t, &tt.check, 5*time.Second)
			if r.Status != tt.status || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("got %v %q, want %v %q", r.Status, r.Reason, tt.status, tt.reason)
			}
			if r.CertExpiry.IsZero() {
				t.Error("CertExpiry not recorded")
			}
		})
	}
}

func TestMisbehavingStartTLSServers(t *testing.T) {
	ca := certtest.NewAuthority(t)
	conf := ca.ServerConfig(t, time.Now().Add(90*24*time.Hour), "127.0.0.1")
	hang := func(c net.Conn, r *bufio.Reader) bool {
		say(c, "220-still going")
		_, _ = r.ReadString('\n') // never finishes the greeting
		return false
	}
	endless := func(c net.Conn, r *bufio.Reader) bool {
		for {
			if _, err := fmt.Fprint(c, "220-more\r\n"); err != nil {
				return false
			}
		}
	}
	longLine := func(c net.Conn, r *bufio.Reader) bool {
		_, _ = c.Write([]byte("220 " + strings.Repeat("a", 10000)))
		_, _ = r.ReadString('\n')
		return false
	}
	noStartTLS := func(c net.Conn, r *bufio.Reader) bool {
		say(c, "220 ready")
		if expectLine(r, "EHLO tocsin.localhost") {
			say(c, "250-mail.test", "250 8BITMIME")
		}
		_, _ = r.ReadString('\n')
		return false
	}
	injected := func(c net.Conn, r *bufio.Reader) bool {
		say(c, "+OK ready")
		if expectLine(r, "STLS") {
			say(c, "+OK go", "+OK injected")
		}
		return true
	}
	refusedIMAP := func(c net.Conn, r *bufio.Reader) bool {
		say(c, "* OK ready")
		if expectLine(r, "a001 STARTTLS") {
			say(c, "a001 BAD not supported")
		}
		return false
	}
	tests := []struct {
		name     string
		starttls string
		dialogue func(net.Conn, *bufio.Reader) bool
		reason   string
	}{
		{"hangs mid-dialogue", "smtp", hang, "timed out after"},
		{"endless lines", "smtp", endless, "SMTP reply longer than 100 lines"},
		{"line too long", "smtp", longLine, "longer than 4096 bytes"},
		{"no STARTTLS offered", "smtp", noStartTLS, "SMTP server does not offer STARTTLS"},
		{"data after STLS", "pop3", injected, "unexpected data after agreeing to STARTTLS"},
		{"IMAP refuses", "imap", refusedIMAP, "STARTTLS refused: BAD not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := server(t, conf, tt.dialogue)
			// Only the hanging server needs the deadline; the others must
			// fail on what they send, long before a generous one.
			timeout := 10 * time.Second
			if strings.HasPrefix(tt.reason, "timed out") {
				timeout = 300 * time.Millisecond
			}
			start := time.Now()
			r := check(t, &Check{Address: addr, StartTLS: tt.starttls, Client: config.TLSClient{InsecureSkipVerify: true}}, timeout)
			if r.Status != probe.Critical || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("got %v %q, want CRITICAL containing %q", r.Status, r.Reason, tt.reason)
			}
			if took := time.Since(start); took >= timeout+3*time.Second {
				t.Errorf("took %v, want it to end by the deadline", took)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []*Check{nil, {Address: "x"}, {Address: "x:1", StartTLS: "ftp"}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted a bad config", c)
		}
	}
}
