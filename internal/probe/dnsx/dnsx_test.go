package dnsx

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/tocsin/tocsin/internal/probe"
)

// zone answers a few names the tests ask for.
func zone(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	q := req.Question[0]
	_, udp := w.LocalAddr().(*net.UDPAddr)
	rr := func(s string) {
		r, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		m.Answer = append(m.Answer, r)
	}
	switch {
	case q.Name == "silent.example.org.":
		return // never answer
	case q.Name == "example.org." && q.Qtype == dns.TypeA:
		rr("example.org. 60 IN A 10.0.0.1")
		rr("example.org. 60 IN A 10.0.0.3")
	case q.Name == "example.org." && q.Qtype == dns.TypeMX:
		rr("example.org. 60 IN MX 10 Mail.Example.org.")
	case q.Name == "example.org." && q.Qtype == dns.TypeTXT:
		rr(`example.org. 60 IN TXT "v=spf1 " "-all"`)
	case q.Name == "example.org." && q.Qtype == dns.TypeAAAA:
		rr("example.org. 60 IN AAAA 2001:db8::1")
	case q.Name == "www.example.org.":
		rr("www.example.org. 60 IN CNAME example.org.")
		rr("example.org. 60 IN A 10.0.0.1")
	case q.Name == "1.0.0.10.in-addr.arpa." && q.Qtype == dns.TypePTR:
		rr("1.0.0.10.in-addr.arpa. 60 IN PTR host.example.org.")
	case q.Name == "big.example.org.":
		if udp {
			m.Truncated = true
			break
		}
		for i := range 100 {
			rr(fmt.Sprintf("big.example.org. 60 IN A 10.1.0.%d", i))
		}
	default:
		m.Rcode = dns.RcodeNameError
	}
	_ = w.WriteMsg(m)
}

// startServer runs the zone on UDP and TCP on the same loopback port.
func startServer(t *testing.T) string {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			continue
		}
		for _, s := range []*dns.Server{{PacketConn: pc, Handler: dns.HandlerFunc(zone)}, {Listener: l, Handler: dns.HandlerFunc(zone)}} {
			started := make(chan struct{})
			s.NotifyStartedFunc = func() { close(started) }
			go func() { _ = s.ActivateAndServe() }()
			<-started
			t.Cleanup(func() { _ = s.Shutdown() })
		}
		return pc.LocalAddr().String()
	}
	t.Fatal("no free port for UDP and TCP")
	return ""
}

func TestDNS(t *testing.T) {
	server := startServer(t)
	tests := []struct {
		name    string
		check   Check
		timeout time.Duration
		status  probe.Status
		reason  string
	}{
		{"A", Check{Name: "example.org", Expect: []string{"10.0.0.1", "10.0.0.3"}}, 0, probe.OK, "got 10.0.0.1, 10.0.0.3 in "},
		{"A over TCP", Check{Name: "example.org", Protocol: "tcp", Expect: []string{"10.0.0.1"}}, 0, probe.OK, "got 10.0.0.1, 10.0.0.3 in "},
		{"A mismatch", Check{Name: "example.org", Expect: []string{"10.0.0.1", "10.0.0.2"}}, 0, probe.Critical,
			"dns example.org A @" + server + ": got 10.0.0.1, 10.0.0.3, expected 10.0.0.2"},
		{"MX by host, any case", Check{Name: "example.org", Type: "mx", Expect: []string{"mail.example.org."}}, 0, probe.OK, "got Mail.Example.org in "},
		{"MX with preference", Check{Name: "example.org", Type: "MX", Expect: []string{"10 mail.example.org"}}, 0, probe.OK, "got "},
		{"TXT joined", Check{Name: "example.org", Type: "TXT", Expect: []string{"v=spf1 -all"}}, 0, probe.OK, "got v=spf1 -all in "},
		{"TXT is exact", Check{Name: "example.org", Type: "TXT", Expect: []string{"V=SPF1 -ALL"}}, 0, probe.Critical, "expected V=SPF1 -ALL"},
		{"AAAA by value", Check{Name: "example.org", Type: "AAAA", Expect: []string{"2001:0db8:0:0::1"}}, 0, probe.OK, "got 2001:db8::1 in "},
		{"CNAME chain", Check{Name: "www.example.org", Expect: []string{"10.0.0.1", "example.org"}}, 0, probe.OK, "got 10.0.0.1 in "},
		{"PTR from address", Check{Name: "10.0.0.1", Type: "PTR", Expect: []string{"host.example.org"}}, 0, probe.OK, "got host.example.org in "},
		{"NXDOMAIN", Check{Name: "nope.example.org"}, 0, probe.Critical, "dns nope.example.org A @" + server + ": NXDOMAIN, expected NOERROR"},
		{"NXDOMAIN expected", Check{Name: "nope.example.org", Rcode: "nxdomain"}, 0, probe.OK, "NXDOMAIN in "},
		{"no answer", Check{Name: "example.org", Type: "SRV", Rcode: "NXDOMAIN"}, 0, probe.OK, "NXDOMAIN in "},
		{"truncated retried over TCP", Check{Name: "big.example.org", Expect: []string{"10.1.0.99"}}, 0, probe.OK, "got 10.1.0.0, "},
		{"silent server", Check{Name: "silent.example.org"}, 200 * time.Millisecond, probe.Critical, ": timed out after "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check.Server = server
			p, err := New(&tt.check)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			r := p.Probe(ctx)
			if r.Status != tt.status || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("got %v %q, want %v %q", r.Status, r.Reason, tt.status, tt.reason)
			}
			if tt.status == probe.OK && r.Timing.FirstByte <= 0 {
				t.Errorf("round trip not measured: %+v", r.Timing)
			}
		})
	}
}

func TestServerAddress(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(conf, []byte("search lan\nnameserver 192.0.2.53\nnameserver 192.0.2.54\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ server, protocol, want string }{
		{"", "udp", "192.0.2.53:53"},
		{"", "tcp-tls", "192.0.2.53:853"},
		{"1.1.1.1", "udp", "1.1.1.1:53"},
		{"dns.example:5353", "tcp", "dns.example:5353"},
		{"::1", "udp", "[::1]:53"},
		{"[::1]:54", "udp", "[::1]:54"},
	}
	for _, tt := range tests {
		got, err := serverAddress(tt.server, tt.protocol, conf)
		if err != nil || got != tt.want {
			t.Errorf("serverAddress(%q, %q) = %q, %v; want %q", tt.server, tt.protocol, got, err, tt.want)
		}
	}
	if _, err := serverAddress("", "udp", filepath.Join(dir, "missing")); err == nil {
		t.Error("missing resolv.conf accepted")
	}
	p, err := newProber(&Check{Name: "example.org"}, conf)
	if err != nil || p.server != "192.0.2.53:53" {
		t.Errorf("default server: %v %v", p, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []*Check{nil, {}, {Name: "example.org", Type: "BOGUS"}, {Name: "example.org", Protocol: "quic"}, {Name: "example.org", Rcode: "MAYBE"}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted a bad config", c)
		}
	}
}
