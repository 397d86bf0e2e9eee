package httpx

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
)

// maxIdlePerHost is how many idle connections a shared transport keeps to
// one host. The scheduler runs at most per_host_concurrency probes against
// a host at once (16 by default), so this many covers the usual case
// without one idle connection per monitor.
const maxIdlePerHost = 32

// Transports hands out HTTP transports shared by every prober that connects
// the same way: the same TLS client settings and the same keep-alive
// choice. Ten thousand monitors of one site then share a few pooled
// connections instead of holding one idle connection (two goroutines and
// their buffers) each. A monitor that wants its handshake measured on
// every run sets fresh_connection and gets a transport without keep-alive.
// The app keeps one Transports for its lifetime; it is safe for
// concurrent use.
type Transports struct {
	mu sync.Mutex
	m  map[transportKey]*http.Transport
}

type transportKey struct {
	tls   config.TLSClient
	fresh bool
}

// NewTransports returns an empty set of shared transports.
func NewTransports() *Transports {
	return &Transports{m: map[transportKey]*http.Transport{}}
}

// transport returns the shared transport for c's connection settings,
// loading the CA file and client certificate the first time those
// settings are seen.
func (ts *Transports) transport(c *Check) (*http.Transport, error) {
	key := transportKey{tls: c.TLS, fresh: c.FreshConnection}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t, ok := ts.m[key]; ok {
		return t, nil
	}
	tlsConf, err := tlsx.ClientConfig(&c.TLS, "")
	if err != nil {
		return nil, err
	}
	t := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:        tlsConf,
		ForceAttemptHTTP2:      true,
		DisableKeepAlives:      c.FreshConnection,
		MaxIdleConns:           0, // no limit across hosts; bounded per host
		MaxIdleConnsPerHost:    maxIdlePerHost,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	ts.m[key] = t
	return t, nil
}

// CloseIdleConnections closes the idle connections of every transport.
func (ts *Transports) CloseIdleConnections() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range ts.m {
		t.CloseIdleConnections()
	}
}
