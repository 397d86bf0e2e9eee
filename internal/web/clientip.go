package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address a request came from, for rate limits and the
// source of a ping: the connecting address, or, when that is one of
// Options.TrustedProxies, the nearest address in X-Forwarded-For that is
// not a trusted proxy. Proxies append to the header, so the walk goes from
// the right; everything left of the first untrusted address could have
// been written by the client and is ignored. Without trusted proxies the
// header is never read, so no client can dodge a limit by setting it.
func (s *Server) clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(s.opts.TrustedProxies) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !s.trustedProxy(peer) {
		return host
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				// A hop no proxy would write: trust the chain no further.
				return host
			}
			host = a.Unmap().String()
			if !s.trustedProxy(a) {
				return host
			}
		}
	}
	return host
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
