package httpx

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/certtest"
)

func newProber(t *testing.T, c *Check) *Prober {
	t.Helper()
	p, err := New(c, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func run(t *testing.T, p *Prober, timeout time.Duration) probe.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	return p.Probe(ctx)
}

func metric(r probe.Result, name string) (float64, bool) {
	for _, m := range r.Metrics {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

func strp(s string) *string { return &s }
func boolp(b bool) *bool    { return &b }

// target serves a small API whose paths behave differently.
func target(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Version", "1.2")
		fmt.Fprint(w, `{"status":"ok","db":{"latency_ms":3},"nodes":["a","b"]}`)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s host=%s token=%s body=%s", r.Method, r.URL.Path, r.Host, r.Header.Get("X-Token"), b)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestStatusAndReason(t *testing.T) {
	srv := target(t)
	p := newProber(t, &Check{URL: srv.URL + "/ok"})
	r := run(t, p, 5*time.Second)
	if r.Status != probe.OK || !strings.HasPrefix(r.Reason, "200 OK in ") {
		t.Fatalf("got %v %q, want OK \"200 OK in …\"", r.Status, r.Reason)
	}
	if code, _ := metric(r, "status_code"); code != 200 {
		t.Errorf("status_code metric = %v", code)
	}
	if n, _ := metric(r, "body_bytes"); n == 0 {
		t.Errorf("body_bytes metric = %v, want the body drained and counted", n)
	}
	if r.Timing.Connect <= 0 || r.Timing.FirstByte <= 0 {
		t.Errorf("timing %+v: want connect and first byte measured", r.Timing)
	}
	if r.Duration <= 0 || r.Time.IsZero() {
		t.Errorf("duration %v time %v", r.Duration, r.Time)
	}

	p = newProber(t, &Check{URL: srv.URL + "/down", Expect: Expect{Status: []string{"200"}}})
	r = run(t, p, 5*time.Second)
	if want := "GET " + srv.URL + "/down: 503, expected 200"; r.Status != probe.Critical || r.Reason != want {
		t.Fatalf("got %v %q, want CRITICAL %q", r.Status, r.Reason, want)
	}

	p = newProber(t, &Check{URL: srv.URL + "/down"})
	if r = run(t, p, 5*time.Second); !strings.HasSuffix(r.Reason, "503, expected 200-399") {
		t.Errorf("default status set: %q", r.Reason)
	}
	p = newProber(t, &Check{URL: srv.URL + "/down", Expect: Expect{Status: []string{"5xx"}}})
	if r = run(t, p, 5*time.Second); r.Status != probe.OK {
		t.Errorf("503 with 5xx accepted: %v %q", r.Status, r.Reason)
	}
}

func TestExpectations(t *testing.T) {
	srv := target(t)
	tests := []struct {
		name   string
		expect Expect
		want   string // "" for OK, else a reason suffix
	}{
		{"body contains", Expect{BodyContains: `"ok"`}, ""},
		{"body contains fails", Expect{BodyContains: "healthy"}, `200, body does not contain "healthy"`},
		{"regex", Expect{BodyRegex: `latency_ms":\d+`}, ""},
		{"regex fails", Expect{BodyRegex: `^<html`}, "200, body does not match /^<html/"},
		{"json", Expect{JSON: []JSONExpect{{Path: "$.status", Equals: strp("ok")}, {Path: "$.nodes[1]", Equals: strp("b")}, {Path: "$.db.latency_ms"}}}, ""},
		{"json fails", Expect{JSON: []JSONExpect{{Path: "$.db.latency_ms", Equals: strp("0")}}}, `200, $.db.latency_ms is "3", expected "0"`},
		{"json absent", Expect{JSON: []JSONExpect{{Path: "$.error", Exists: boolp(false)}}}, ""},
		{"header present", Expect{Headers: map[string]string{"x-version": ""}}, ""},
		{"header value", Expect{Headers: map[string]string{"X-Version": "1.2"}}, ""},
		{"header wrong", Expect{Headers: map[string]string{"X-Version": "2.0"}}, `200, header X-Version is "1.2", expected "2.0"`},
		{"header missing", Expect{Headers: map[string]string{"X-Missing": ""}}, "200, header X-Missing missing"},
		{"slow", Expect{MaxResponseTime: config.Duration(time.Nanosecond)}, "slower than 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProber(t, &Check{URL: srv.URL + "/ok", Expect: tt.expect})
			r := run(t, p, 5*time.Second)
			switch {
			case tt.want == "" && r.Status != probe.OK:
				t.Errorf("got %v %q, want OK", r.Status, r.Reason)
			case tt.want != "" && !strings.HasSuffix(r.Reason, tt.want):
				t.Errorf("reason %q, want suffix %q", r.Reason, tt.want)
			case tt.want != "" && !strings.HasPrefix(r.Reason, "GET "+srv.URL+"/ok: "):
				t.Errorf("reason %q does not name the request", r.Reason)
			}
		})
	}
	p := newProber(t, &Check{URL: srv.URL + "/ok", Expect: Expect{MaxResponseTime: config.Duration(time.Nanosecond)}})
	if r := run(t, p, 5*time.Second); r.Status != probe.Warning {
		t.Errorf("slow response: %v, want WARNING", r.Status)
	}
}

func TestRequestIsSentAsConfigured(t *testing.T) {
	srv := target(t)
	p := newProber(t, &Check{
		URL: srv.URL + "/echo", Method: "POST", Body: "ping",
		Headers: map[string]string{"X-Token": "s3cret", "Host": "api.example"},
		Expect:  Expect{BodyContains: "POST /echo host=api.example token=s3cret body=ping"},
	})
	if r := run(t, p, 5*time.Second); r.Status != probe.OK {
		t.Fatalf("got %v %q", r.Status, r.Reason)
	}
	// The same prober runs again with the same request body.
	if r := run(t, p, 5*time.Second); r.Status != probe.OK {
		t.Fatalf("second run: %v %q", r.Status, r.Reason)
	}
}

// TestHeadersAreNotShared runs probers with and without headers of their
// own against one server: each request carries the user agent and only
// its own prober's headers, whichever ran before.
func TestHeadersAreNotShared(t *testing.T) {
	seen := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
	}))
	t.Cleanup(srv.Close)
	plain := newProber(t, &Check{URL: srv.URL})
	custom := newProber(t, &Check{URL: srv.URL, Headers: map[string]string{"X-Token": "s3cret"}})
	for _, tc := range []struct {
		p     *Prober
		token string
	}{{plain, ""}, {custom, "s3cret"}, {plain, ""}, {newProber(t, &Check{URL: srv.URL}), ""}} {
		if r := run(t, tc.p, 5*time.Second); r.Status != probe.OK {
			t.Fatalf("got %v %q", r.Status, r.Reason)
		}
		h := <-seen
		if got := h.Get("User-Agent"); got != userAgent {
			t.Errorf("User-Agent = %q, want %q", got, userAgent)
		}
		if got := h.Get("X-Token"); got != tc.token {
			t.Errorf("X-Token = %q, want %q", got, tc.token)
		}
	}
}

func TestRedirects(t *testing.T) {
	srv := target(t)
	p := newProber(t, &Check{URL: srv.URL + "/redirect", Expect: Expect{BodyContains: `"ok"`}})
	if r := run(t, p, 5*time.Second); r.Status != probe.OK {
		t.Errorf("followed: %v %q", r.Status, r.Reason)
	}
	p = newProber(t, &Check{URL: srv.URL + "/redirect", FollowRedirects: boolp(false), Expect: Expect{Status: []string{"200"}}})
	if r := run(t, p, 5*time.Second); r.Status != probe.Critical || !strings.HasSuffix(r.Reason, "302, expected 200") {
		t.Errorf("not followed: %v %q", r.Status, r.Reason)
	}
	p = newProber(t, &Check{URL: srv.URL + "/loop"})
	if r := run(t, p, 5*time.Second); r.Status != probe.Critical || !strings.HasSuffix(r.Reason, "stopped after 10 redirects") {
		t.Errorf("loop: %v %q", r.Status, r.Reason)
	}
}

func writeCertPEM(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTLSVerification(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(srv.Close)

	p := newProber(t, &Check{URL: srv.URL})
	r := run(t, p, 5*time.Second)
	want := "GET " + srv.URL + ": x509: certificate signed by unknown authority"
	if r.Status != probe.Critical || r.Reason != want {
		t.Errorf("self-signed: %v %q, want %q", r.Status, r.Reason, want)
	}
	if r.CertExpiry.IsZero() {
		t.Error("cert expiry not recorded for a rejected certificate")
	}

	p = newProber(t, &Check{URL: srv.URL, TLS: config.TLSClient{CAFile: writeCertPEM(t, srv)}})
	if r := run(t, p, 5*time.Second); r.Status != probe.OK || r.CertExpiry.IsZero() || r.Timing.TLS <= 0 {
		t.Errorf("with ca_file: %v %q expiry %v timing %+v", r.Status, r.Reason, r.CertExpiry, r.Timing)
	}
	p = newProber(t, &Check{URL: srv.URL, TLS: config.TLSClient{InsecureSkipVerify: true}})
	if r := run(t, p, 5*time.Second); r.Status != probe.OK {
		t.Errorf("insecure_skip_verify: %v %q", r.Status, r.Reason)
	}
	p = newProber(t, &Check{URL: srv.URL, TLS: config.TLSClient{CAFile: writeCertPEM(t, srv), ServerName: "other.test"}})
	if r := run(t, p, 5*time.Second); r.Status != probe.Critical || !strings.Contains(r.Reason, "certificate is valid for") {
		t.Errorf("wrong name: %v %q", r.Status, r.Reason)
	}
}

func TestClientCertificate(t *testing.T) {
	ca := certtest.NewAuthority(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = ca.ServerConfig(t, time.Now().Add(90*24*time.Hour), "127.0.0.1")
	srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
	srv.TLS.ClientCAs = ca.Pool
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := ca.CAFile(t)

	p := newProber(t, &Check{URL: srv.URL, TLS: config.TLSClient{CAFile: caFile}})
	if r := run(t, p, 5*time.Second); r.Status != probe.Critical {
		t.Errorf("without client certificate: %v %q, want CRITICAL", r.Status, r.Reason)
	}
	certFile, keyFile := ca.ClientFiles(t)
	p = newProber(t, &Check{
		URL: srv.URL, TLS: config.TLSClient{CAFile: caFile, CertFile: certFile, KeyFile: keyFile},
		Expect: Expect{BodyContains: "hello client"},
	})
	if r := run(t, p, 5*time.Second); r.Status != probe.OK {
		t.Errorf("with client certificate: %v %q", r.Status, r.Reason)
	}
}

func TestCertificateExpiry(t *testing.T) {
	ca := certtest.NewAuthority(t)
	notAfter := time.Now().Add(3*24*time.Hour + time.Hour)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = ca.ServerConfig(t, notAfter, "127.0.0.1")
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile := ca.CAFile(t)
	date := notAfter.UTC().Format(time.DateOnly)

	p := newProber(t, &Check{URL: srv.URL, TLS: config.TLSClient{CAFile: caFile}, Expect: Expect{CertMinDays: 7}})
	r := run(t, p, 5*time.Second)
	want := fmt.Sprintf("GET %s: certificate expires in 3 days (%s), minimum 7", srv.URL, date)
	if r.Status != probe.Critical || r.Reason != want {
		t.Errorf("got %v %q, want %q", r.Status, r.Reason, want)
	}
	if !r.CertExpiry.Equal(notAfter.Truncate(time.Second)) {
		t.Errorf("CertExpiry = %v, want %v", r.CertExpiry, notAfter)
	}
	p = newProber(t, &Check{URL: srv.URL, TLS: config.TLSClient{CAFile: caFile}, Expect: Expect{CertMinDays: 2, CertWarnDays: 10}})
	if r := run(t, p, 5*time.Second); r.Status != probe.Warning || !strings.Contains(r.Reason, "warning below 10") {
		t.Errorf("got %v %q, want WARNING", r.Status, r.Reason)
	}
	p = newProber(t, &Check{URL: srv.URL, TLS: config.TLSClient{CAFile: caFile}})
	if r := run(t, p, 5*time.Second); r.Status != probe.OK {
		t.Errorf("no limits: %v %q", r.Status, r.Reason)
	}
}

func TestSlowFirstByteTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	p := newProber(t, &Check{URL: srv.URL})
	start := time.Now()
	r := run(t, p, 200*time.Millisecond)
	if r.Status != probe.Critical || !strings.Contains(r.Reason, ": timed out after ") {
		t.Errorf("got %v %q, want CRITICAL timed out", r.Status, r.Reason)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("probe took %v, want it to end at its timeout", took)
	}
}

// endless streams a body that never ends until the client goes away.
func endless(w http.ResponseWriter, r *http.Request) {
	chunk := []byte(strings.Repeat("x", 32<<10))
	for {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

func TestEndlessBodyIsBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(endless))
	t.Cleanup(srv.Close)
	for _, expect := range []Expect{{}, {BodyContains: "never there"}} {
		p := newProber(t, &Check{URL: srv.URL, Expect: expect})
		r := run(t, p, 5*time.Second)
		n, _ := metric(r, "body_bytes")
		if n <= 0 || n > MaxBodyRead+maxDrain {
			t.Errorf("read %v bytes, want at most %d", n, MaxBodyRead+maxDrain)
		}
		if expect.BodyContains == "" && r.Status != probe.OK {
			t.Errorf("no body checks: %v %q", r.Status, r.Reason)
		}
		if expect.BodyContains != "" && !strings.HasSuffix(r.Reason, fmt.Sprintf(`body does not contain "never there" (first %d bytes read)`, MaxBodyRead)) {
			t.Errorf("got %v %q", r.Status, r.Reason)
		}
	}
}

func TestTricklingBodyEndsAtTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	}))
	t.Cleanup(srv.Close)
	p := newProber(t, &Check{URL: srv.URL, Expect: Expect{BodyContains: "y"}})
	r := run(t, p, 200*time.Millisecond)
	if r.Status != probe.Critical || !strings.Contains(r.Reason, "200, timed out reading the body after") {
		t.Errorf("got %v %q", r.Status, r.Reason)
	}
}

// connCounter counts the connections a server accepts.
func connCounter(srv *httptest.Server) *atomic.Int32 {
	var n atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

func TestConnectionReuse(t *testing.T) {
	for _, fresh := range []bool{false, true} {
		t.Run(fmt.Sprintf("fresh=%v", fresh), func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, strings.Repeat("body ", 1000))
			}))
			conns := connCounter(srv)
			srv.Start()
			t.Cleanup(srv.Close)
			p := newProber(t, &Check{URL: srv.URL, FreshConnection: fresh})
			for i := range 3 {
				r := run(t, p, 5*time.Second)
				if r.Status != probe.OK {
					t.Fatalf("run %d: %v %q", i, r.Status, r.Reason)
				}
				if fresh && r.Timing.Connect <= 0 {
					t.Errorf("run %d: fresh connection without a connect time", i)
				}
				if !fresh && i > 0 && r.Timing.Connect != 0 {
					t.Errorf("run %d: reused connection has connect time %v", i, r.Timing.Connect)
				}
			}
			want := int32(1)
			if fresh {
				want = 3
			}
			if got := conns.Load(); got != want {
				t.Errorf("server saw %d connections, want %d", got, want)
			}
		})
	}
}

// TestSharedTransports checks that monitors of one site share pooled
// connections instead of holding one each, and that monitors with other
// connection settings do not share theirs.
func TestSharedTransports(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	}))
	conns := connCounter(srv)
	srv.Start()
	t.Cleanup(srv.Close)
	ts := NewTransports()
	t.Cleanup(ts.CloseIdleConnections)
	var probers []*Prober
	for i := range 20 {
		p, err := New(&Check{URL: fmt.Sprintf("%s/m%d", srv.URL, i)}, ts)
		if err != nil {
			t.Fatal(err)
		}
		probers = append(probers, p)
	}
	for round := range 2 {
		for i, p := range probers {
			if r := run(t, p, 5*time.Second); r.Status != probe.OK {
				t.Fatalf("round %d, prober %d: %v %q", round, i, r.Status, r.Reason)
			}
		}
	}
	if got := conns.Load(); got != 1 {
		t.Errorf("20 monitors run one after another opened %d connections, want 1 shared", got)
	}
	fresh, err := New(&Check{URL: srv.URL, FreshConnection: true}, ts)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.transport == probers[0].transport {
		t.Error("a fresh_connection monitor shares the keep-alive transport")
	}
	other, err := New(&Check{URL: srv.URL, TLS: config.TLSClient{InsecureSkipVerify: true}}, ts)
	if err != nil {
		t.Fatal(err)
	}
	if other.transport == probers[0].transport {
		t.Error("monitors with different TLS settings share a transport")
	}
}

func TestConnectionRefusedAndCancelled(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := newProber(t, &Check{URL: "http://" + addr + "/"})
	r := run(t, p, 5*time.Second)
	if want := "GET http://" + addr + "/: connect: connection refused"; r.Status != probe.Critical || r.Reason != want {
		t.Errorf("got %v %q, want %q", r.Status, r.Reason, want)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if r := p.Probe(ctx); r.Status != probe.Unknown {
		t.Errorf("cancelled: %v %q, want UNKNOWN", r.Status, r.Reason)
	}
}

// TestReasonHidesCredentials: a failing probe's reason names the target
// without its password, secret query parameters or secret header values,
// while the request still carries them.
func TestReasonHidesCredentials(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("X-Session-Token", "srv-s3cret")
		w.WriteHeader(200)
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://admin:pw-s3cret@", 1) + "/?token=tok-s3cret&page=1"
	p := newProber(t, &Check{URL: u, Headers: map[string]string{"Authorization": "Bearer hdr-s3cret"},
		Expect: Expect{Headers: map[string]string{"X-Session-Token": "want-s3cret"}}})
	r := run(t, p, 5*time.Second)
	if want := "GET " + strings.Replace(srv.URL, "http://", "http://admin:xxxxx@", 1) + "/?token=xxxxx&page=1: 200, header X-Session-Token is \"xxxxx\", expected \"xxxxx\""; r.Reason != want {
		t.Errorf("reason %q, want %q", r.Reason, want)
	}
	if got.URL.Query().Get("token") != "tok-s3cret" || got.Header.Get("Authorization") != "Bearer hdr-s3cret" {
		t.Errorf("the request lost its credentials: %v %v", got.URL, got.Header)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p = newProber(t, &Check{URL: "http://admin:pw-s3cret@" + addr + "/?api_key=k-s3cret"})
	r = run(t, p, 5*time.Second)
	if want := "GET http://admin:xxxxx@" + addr + "/?api_key=xxxxx: connect: connection refused"; r.Reason != want {
		t.Errorf("reason %q, want %q", r.Reason, want)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, c := range []*Check{
		nil,
		{URL: "example.org"},
		{URL: "http://x", Expect: Expect{BodyRegex: "("}},
		{URL: "http://x", TLS: config.TLSClient{CAFile: filepath.Join(t.TempDir(), "missing.pem")}},
	} {
		if _, err := New(c, nil); err == nil {
			t.Errorf("New(%+v) accepted a bad config", c)
		}
	}
}

func BenchmarkHTTPProbe(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok","checks":{"db":"ok","cache":"ok"}}`)
	}))
	b.Cleanup(srv.Close)
	p, err := New(&Check{URL: srv.URL, Expect: Expect{
		BodyContains: "ok", JSON: []JSONExpect{{Path: "$.checks.db", Equals: strp("ok")}},
	}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r := p.Probe(ctx); r.Status != probe.OK {
			b.Fatalf("%v %q", r.Status, r.Reason)
		}
	}
}
