package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies: the header is ignored", nil, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"untrusted peer: the header is ignored", trusted, "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted peer names the client", trusted, "127.0.0.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a forged entry left of the real client is ignored", trusted, "127.0.0.1:5000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"a chain of trusted proxies", trusted, "127.0.0.1:5000", []string{"198.51.100.1, 10.1.1.1", "10.2.2.2"}, "198.51.100.1"},
		{"every hop trusted: the farthest", trusted, "127.0.0.1:5000", []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9"},
		{"trusted peer without the header", trusted, "127.0.0.1:5000", nil, "127.0.0.1"},
		{"garbage stops the walk", trusted, "127.0.0.1:5000", []string{"198.51.100.1, not-an-ip"}, "127.0.0.1"},
		{"IPv4-mapped IPv6 peer", trusted, "[::ffff:127.0.0.1]:5000", []string{"2001:db8::1"}, "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{opts: Options{TrustedProxies: tt.trusted}}
			r := httptest.NewRequest("GET", "/ping/x", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientIP(r); got != tt.want {
				t.Errorf("clientIP = %q, want %q", got, tt.want)
			}
		})
	}
}
