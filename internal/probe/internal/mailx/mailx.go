// Package mailx holds what the mail probes (smtp, imap, pop3, mailloop)
// share: one way to open a connection in each security mode, a connection
// that honours the run's deadline whatever the protocol library asks for and
// stops a server that sends without end, and scrubbing of secrets from
// anything that becomes a reason.
package mailx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
)

// DefaultBudget is how many bytes one run may read from a mail server. A
// dialogue up to DATA is a few kilobytes and a mailbox scan reads headers
// only, so a server that sends more is misbehaving.
const DefaultBudget = 4 << 20

// ErrBudget is returned by reads once a connection has read its budget.
var ErrBudget = errors.New("server sent more data than a probe reads")

// Server is one mail server endpoint as a probe uses it.
type Server struct {
	Address  string // host:port
	TLS      string // TLSNone, MailTLSStartTLS or MailTLSImplicit
	Conf     *tls.Config
	Username string
	Password string
	// Budget is how many bytes one connection may read; 0 means
	// DefaultBudget. A mail loop watching a mailbox for a whole run reads
	// more than a dialogue does.
	Budget int64
}

func (s Server) budget() int64 {
	if s.Budget > 0 {
		return s.Budget
	}
	return DefaultBudget
}

// NewServer provisions a Server from the connection fields of a block,
// loading the CA file and client certificate once.
func NewServer(address, mode string, tc *config.TLSClient, user, pass string) (Server, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return Server{}, fmt.Errorf("address %q: %w", address, err)
	}
	conf, err := tlsx.ClientConfig(tc, host)
	if err != nil {
		return Server{}, err
	}
	if mode == "" {
		mode = TLSStartTLS
	}
	return Server{Address: address, TLS: mode, Conf: conf, Username: user, Password: pass}, nil
}

// Dialer opens a TCP connection; tests replace it with in-memory pipes.
type Dialer func(ctx context.Context, address string) (net.Conn, error)

// Conn is a connection bound to one run: every deadline a protocol library
// sets is cut to the run's deadline (and to now once the run is cancelled),
// and reads stop after a byte budget. It is what keeps a hanging or
// endlessly talking server from holding a probe.
type Conn struct {
	net.Conn
	deadline time.Time // zero: none

	mu        sync.Mutex
	cancelled bool
	left      int64
	stop      func() bool
	tee       io.Writer
}

func (c *Conn) setTee(w io.Writer) {
	c.mu.Lock()
	c.tee = w
	c.mu.Unlock()
}

// Bind wraps c for a run under ctx with a read budget of budget bytes. Call
// Close (or Release) when done.
func Bind(ctx context.Context, c net.Conn, budget int64) *Conn {
	bc := &Conn{Conn: c, left: budget}
	if d, ok := ctx.Deadline(); ok {
		bc.deadline = d
	}
	_ = bc.SetDeadline(time.Time{})
	bc.stop = context.AfterFunc(ctx, func() {
		bc.mu.Lock()
		bc.cancelled = true
		bc.mu.Unlock()
		_ = c.SetDeadline(time.Unix(1, 0))
	})
	return bc
}

func (c *Conn) clamp(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancelled {
		return time.Unix(1, 0)
	}
	if !c.deadline.IsZero() && (t.IsZero() || t.After(c.deadline)) {
		return c.deadline
	}
	return t
}

// SetDeadline sets the earlier of t and the run's deadline.
func (c *Conn) SetDeadline(t time.Time) error { return c.Conn.SetDeadline(c.clamp(t)) }

// SetReadDeadline sets the earlier of t and the run's deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.Conn.SetReadDeadline(c.clamp(t)) }

// SetWriteDeadline sets the earlier of t and the run's deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(t)) }

// Read reads within the budget.
func (c *Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	left := c.left
	c.mu.Unlock()
	if left <= 0 {
		return 0, ErrBudget
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.left -= int64(n)
	tee := c.tee
	c.mu.Unlock()
	if tee != nil && n > 0 {
		_, _ = tee.Write(p[:n])
	}
	return n, err
}

// Exhausted reports whether the read budget is used up.
func (c *Conn) Exhausted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.left <= 0
}

// explain replaces the error a library reports after a connection went bad
// (often only text) with the cause: the budget ran out, or a deadline.
func explain(conn net.Conn, err error) error {
	if err == nil {
		return nil
	}
	if bc, ok := conn.(*Conn); ok && bc.Exhausted() {
		return ErrBudget
	}
	if !probe.IsTimeout(err) && strings.Contains(err.Error(), "i/o timeout") {
		return os.ErrDeadlineExceeded
	}
	return err
}

// Close releases the run binding and closes the connection.
func (c *Conn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// Open dials s.Address and, for implicit TLS, completes the handshake. The
// returned connection is bound to ctx. tr records the phases.
func Open(ctx context.Context, dial Dialer, s Server, tr *probe.Trace, budget int64) (net.Conn, error) {
	if tr == nil {
		tr = probe.NewTrace()
	}
	if dial == nil {
		dial = func(ctx context.Context, address string) (net.Conn, error) { return probe.Dial(ctx, address, tr) }
	}
	raw, err := dial(ctx, s.Address)
	if err != nil {
		return nil, &PhaseError{Phase: "connect", Err: err}
	}
	c := Bind(ctx, raw, budget)
	if s.TLS != TLSImplicit {
		return c, nil
	}
	tc, err := Handshake(ctx, c, s.Conf, tr)
	if err != nil {
		c.Close()
		return nil, &PhaseError{Phase: "TLS handshake", Err: err}
	}
	return tc, nil
}

// Handshake runs a TLS client handshake over c.
func Handshake(ctx context.Context, c net.Conn, conf *tls.Config, tr *probe.Trace) (*tls.Conn, error) {
	tc := tls.Client(c, conf)
	if tr != nil {
		tr.TLSStart()
	}
	err := tc.HandshakeContext(ctx)
	if tr != nil {
		tr.TLSDone()
	}
	if err != nil {
		return nil, err
	}
	return tc, nil
}

// Redactor removes secrets from text that may reach a reason, a log or the
// UI: the password itself and the encodings the SASL mechanisms put on the
// wire.
type Redactor []string

// NewRedactor returns a redactor for the given secrets; empty ones are
// ignored.
func NewRedactor(user, pass string) Redactor {
	if pass == "" {
		return nil
	}
	r := Redactor{pass,
		base64.StdEncoding.EncodeToString([]byte(pass)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass)),
		base64.StdEncoding.EncodeToString([]byte(user + "\x00" + user + "\x00" + pass)),
	}
	return r
}

// Clean replaces every secret in s with "***".
func (r Redactor) Clean(s string) string {
	for _, v := range r {
		// Shorter values are not worth hiding and would garble the text.
		if len(v) >= 4 && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "***")
		}
	}
	return s
}

// Reason turns err into a short reason, saying "timed out after …" for
// timeouts, scrubbed of secrets.
func (r Redactor) Reason(err error, elapsed time.Duration) string {
	s := probe.ErrorReason(err)
	if s == "timed out" {
		s += " after " + probe.FormatDuration(elapsed)
	}
	if errors.Is(err, ErrBudget) {
		s = ErrBudget.Error()
	}
	return r.Clean(s)
}

// CertGrade grades the certificate a TLS session saw, when there is one,
// adding its metric and expiry to res; it returns the status and a reason
// ("" without a certificate).
func CertGrade(leaf *x509.Certificate, res *probe.Result, now time.Time, minDays, warnDays int) (probe.Status, string) {
	if leaf == nil {
		return probe.OK, ""
	}
	res.CertExpiry = leaf.NotAfter.UTC()
	res.Metrics = append(res.Metrics, tlsx.CertDaysMetric(leaf, now, minDays, warnDays))
	return probe.CheckCertExpiry(leaf.NotAfter, now, minDays, warnDays)
}

// ExpiredCert returns the leaf certificate a failed handshake saw when the
// failure was its expiry, so the reason can say when it expired.
func ExpiredCert(err error, now time.Time) (*x509.Certificate, bool) {
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) && len(verr.UnverifiedCertificates) > 0 {
		leaf := verr.UnverifiedCertificates[0]
		if !now.Before(leaf.NotAfter) {
			return leaf, true
		}
	}
	return nil, false
}

// TLSNote names STARTTLS in a mail monitor's target; implicit TLS and plain
// text show in the port.
func TLSNote(mode string) string {
	if mode == TLSStartTLS {
		return " (STARTTLS)"
	}
	return ""
}
