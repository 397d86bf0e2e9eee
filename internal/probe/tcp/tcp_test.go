package tcp

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/certtest"
)

// serve accepts connections on l and hands each to handle until the test ends.
func serve(t *testing.T, l net.Listener, handle func(net.Conn)) string {
	t.Helper()
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
				handle(c)
			}()
		}
	}()
	return l.Addr().String()
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// banner greets like an SSH server and answers PING with +PONG.
func banner(c net.Conn) {
	if _, err := c.Write([]byte("SSH-2.0-Test\r\n")); err != nil {
		return
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err == nil && strings.TrimSpace(line) == "PING" {
		_, _ = c.Write([]byte("+PONG\r\n"))
	}
}

func probeOnce(t *testing.T, c *Check, timeout time.Duration) probe.Result {
	t.Helper()
	p, err := New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	return p.Probe(ctx)
}

func TestTCP(t *testing.T) {
	addr := serve(t, listen(t), banner)
	silent := serve(t, listen(t), func(c net.Conn) { _, _ = c.Read(make([]byte, 1)) })
	closing := serve(t, listen(t), func(c net.Conn) { _, _ = c.Write([]byte("BYE\r\n")) })
	flood := serve(t, listen(t), func(c net.Conn) {
		junk := []byte(strings.Repeat("z", 4096))
		for {
			if _, err := c.Write(junk); err != nil {
				return
			}
		}
	})
	refused := listen(t)
	refusedAddr := refused.Addr().String()
	refused.Close()

	tests := []struct {
		name    string
		check   Check
		timeout time.Duration
		status  probe.Status
		reason  string // prefix for OK, else suffix after "tcp ADDR: "
	}{
		{"connect", Check{Address: addr}, 5 * time.Second, probe.OK, "connected in "},
		{"banner", Check{Address: addr, Expect: "SSH-2.0"}, 5 * time.Second, probe.OK, `got "SSH-2.0" in `},
		{"send and expect", Check{Address: addr, Send: "PING\r\n", Expect: "+PONG"}, 5 * time.Second, probe.OK, `got "+PONG" in `},
		{"closed early", Check{Address: closing, Expect: "220"}, 5 * time.Second, probe.Critical, `connection closed before "220" was received (got 5 bytes: "BYE  ")`},
		{"silent", Check{Address: silent, Expect: "220"}, 150 * time.Millisecond, probe.Critical, `waiting for "220" (got nothing)`},
		{"flood", Check{Address: flood, Expect: "220"}, 5 * time.Second, probe.Critical, `"220" not found in the first 65536 bytes`},
		{"refused", Check{Address: refusedAddr}, 5 * time.Second, probe.Critical, "connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := probeOnce(t, &tt.check, tt.timeout)
			if r.Status != tt.status {
				t.Fatalf("status %v (%q), want %v", r.Status, r.Reason, tt.status)
			}
			if tt.status == probe.OK && !strings.HasPrefix(r.Reason, tt.reason) ||
				tt.status != probe.OK && (!strings.HasPrefix(r.Reason, "tcp "+tt.check.Address+": ") || !strings.Contains(r.Reason, tt.reason)) {
				t.Errorf("reason %q, want %q", r.Reason, tt.reason)
			}
			if tt.name == "flood" {
				if n := r.Metrics[0].Value; n != MaxRead {
					t.Errorf("read %v bytes, want exactly %d", n, MaxRead)
				}
			}
			if tt.status == probe.OK && r.Timing.Connect <= 0 {
				t.Errorf("connect time not measured: %+v", r.Timing)
			}
		})
	}
}

func TestTCPWithTLS(t *testing.T) {
	ca := certtest.NewAuthority(t)
	l, err := tls.Listen("tcp", "127.0.0.1:0", ca.ServerConfig(t, time.Now().Add(30*24*time.Hour), "127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, l, banner)

	r := probeOnce(t, &Check{Address: addr, TLS: true, Expect: "SSH"}, 5*time.Second)
	if r.Status != probe.Critical || !strings.HasSuffix(r.Reason, "tls: x509: certificate signed by unknown authority") {
		t.Errorf("unknown CA: %v %q", r.Status, r.Reason)
	}
	r = probeOnce(t, &Check{Address: addr, TLS: true, TLSConfig: config.TLSClient{CAFile: ca.CAFile(t)}, Send: "PING\r\n", Expect: "+PONG"}, 5*time.Second)
	if r.Status != probe.OK || r.CertExpiry.IsZero() || r.Timing.TLS <= 0 || r.Timing.FirstByte <= 0 {
		t.Errorf("with CA: %v %q expiry %v timing %+v", r.Status, r.Reason, r.CertExpiry, r.Timing)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []*Check{nil, {Address: "localhost"}, {Address: "x:1", TLSConfig: config.TLSClient{InsecureSkipVerify: true}}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted a bad config", c)
		}
	}
}
