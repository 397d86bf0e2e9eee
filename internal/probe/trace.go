package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http/httptrace"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// Trace records the phases of one probe run into a Timing. It hooks into
// net/http/httptrace, which the net package also honours when dialing, so
// the same recorder measures HTTP requests and plain TCP dials. A Trace is
// for one run; its methods are safe for concurrent use because a dial may
// race connection attempts (IPv6 and IPv4) in parallel.
type Trace struct {
	mu        sync.Mutex
	now       func() time.Time
	dnsStart  time.Time
	connStart time.Time
	tlsStart  time.Time
	waitStart time.Time
	timing    Timing
}

// NewTrace returns an empty recorder that reads the wall clock.
func NewTrace() *Trace { return &Trace{now: time.Now} }

// Timing returns what was recorded so far. Phases that happen more than once
// (a redirect's second request) are summed.
func (t *Trace) Timing() Timing {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.timing
}

// Context returns ctx carrying the recorder's hooks.
func (t *Trace) Context(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, t.ClientTrace())
}

// ClientTrace returns hooks that feed the recorder.
func (t *Trace) ClientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) { t.mark(&t.dnsStart) },
		DNSDone:  func(httptrace.DNSDoneInfo) { t.add(&t.dnsStart, &t.timing.DNS) },
		ConnectStart: func(string, string) {
			t.mu.Lock()
			if t.connStart.IsZero() { // the first of parallel attempts
				t.connStart = t.now()
			}
			t.mu.Unlock()
		},
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				t.add(&t.connStart, &t.timing.Connect)
			}
		},
		TLSHandshakeStart:    t.TLSStart,
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.TLSDone() },
		WroteRequest:         func(httptrace.WroteRequestInfo) { t.WaitStart() },
		GotFirstResponseByte: t.FirstByte,
	}
}

// TLSStart marks the start of a TLS handshake done outside net/http.
func (t *Trace) TLSStart() { t.mark(&t.tlsStart) }

// TLSDone ends the phase started by TLSStart.
func (t *Trace) TLSDone() { t.add(&t.tlsStart, &t.timing.TLS) }

// WaitStart marks the moment a request was sent; FirstByte ends the wait.
func (t *Trace) WaitStart() { t.mark(&t.waitStart) }

// FirstByte records the time from WaitStart to now as the first-byte phase.
func (t *Trace) FirstByte() { t.add(&t.waitStart, &t.timing.FirstByte) }

func (t *Trace) mark(at *time.Time) {
	t.mu.Lock()
	*at = t.now()
	t.mu.Unlock()
}

func (t *Trace) add(start *time.Time, phase *time.Duration) {
	t.mu.Lock()
	if !start.IsZero() {
		*phase += t.now().Sub(*start)
		*start = time.Time{}
	}
	t.mu.Unlock()
}

// Dial opens a TCP connection to address (host:port), recording the DNS and
// connect phases in t. The context bounds the whole dial.
func Dial(ctx context.Context, address string, t *Trace) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(t.Context(ctx), "tcp", address)
}

// IsTimeout reports whether err means the deadline passed.
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ErrorReason turns a network or TLS error into a short reason a person can
// read: "timed out", "connect: connection refused", "lookup db.internal: no
// such host", "x509: certificate signed by unknown authority",
// "certificate is valid for a.example, not b.example".
func ErrorReason(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, context.Canceled) {
		return "cancelled"
	}
	if IsTimeout(err) {
		return "timed out"
	}
	var hostErr x509.HostnameError
	if errors.As(err, &hostErr) {
		return strings.TrimPrefix(hostErr.Error(), "x509: ")
	}
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == x509.Expired && invalid.Cert != nil {
		return "certificate expired on " + invalid.Cert.NotAfter.UTC().Format(time.DateOnly)
	}
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) && verr.Err != nil {
		return Clip(verr.Err.Error(), 200)
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return "x509: certificate signed by unknown authority"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return Clip("lookup "+dnsErr.Name+": "+dnsErr.Err, 200)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return Clip(ErrorReason(opErr.Err), 200)
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) && urlErr.Err != nil {
		return ErrorReason(urlErr.Err)
	}
	var sysErr *os.SyscallError
	if errors.As(err, &sysErr) && sysErr.Err != nil {
		return Clip(sysErr.Syscall+": "+sysErr.Err.Error(), 200)
	}
	return Clip(err.Error(), 200)
}

// FailureStatus is the status for a run that ended with err: Unknown when
// the run was cancelled from outside (shutdown), Critical otherwise.
func FailureStatus(err error) Status {
	if errors.Is(err, context.Canceled) {
		return Unknown
	}
	return Critical
}
