// Package tlsx checks the TLS side of any TCP service: the handshake, the
// certificate chain, the host name and the days left until the certificate
// expires, optionally after a STARTTLS dialogue (SMTP, IMAP, POP3). It also
// holds the TLS helpers the other network probes share.
package tlsx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Default certificate lifetime limits of the tls check, in days.
const (
	DefaultCertMinDays  = 7
	DefaultCertWarnDays = 21
)

// Prober runs the tls check of one monitor.
type Prober struct {
	address  string
	startTLS string
	conf     *tls.Config
	minDays  int
	warnDays int
	now      func() time.Time
}

// New provisions a tls prober: it checks the address, loads the CA file and
// client certificate and fills in defaults, so Probe does no parsing.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("tls check has no tls block")
	}
	if err := config.JoinFieldErrors("tls", c.Validate(nil)); err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(c.Address)
	if err != nil {
		return nil, fmt.Errorf("tls check address %q: %w", c.Address, err)
	}
	conf, err := ClientConfig(&c.Client, host)
	if err != nil {
		return nil, fmt.Errorf("tls check %s: %w", c.Address, err)
	}
	p := &Prober{
		address:  c.Address,
		startTLS: strings.ToLower(c.StartTLS),
		conf:     conf,
		minDays:  c.CertMinDays,
		warnDays: c.CertWarnDays,
		now:      time.Now,
	}
	if p.minDays == 0 {
		p.minDays = DefaultCertMinDays
	}
	if p.warnDays == 0 {
		p.warnDays = max(DefaultCertWarnDays, p.minDays)
	}
	return p, nil
}

// Probe connects, runs the STARTTLS dialogue when configured, completes the
// handshake and grades the certificate.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	run := probe.Begin(p.now, "tls "+p.address+": ", probe.NewTrace())
	start, tr, res, fail := run.Start, run.Trace, &run.Res, run.Fail

	conn, err := probe.Dial(ctx, p.address, tr)
	if err != nil {
		return fail(probe.FailureStatus(err), describe(err, p.now().Sub(start)))
	}
	defer conn.Close()
	stop := BindDeadline(ctx, conn)
	defer stop()

	if p.startTLS != "" {
		if err := StartTLS(conn, p.startTLS); err != nil {
			if probe.IsTimeout(err) || ctx.Err() != nil {
				return fail(probe.FailureStatus(ctx.Err()), fmt.Sprintf("timed out after %s in the %s STARTTLS dialogue",
					probe.FormatDuration(p.now().Sub(start)), p.startTLS))
			}
			return fail(probe.Critical, "starttls: "+probe.Clip(err.Error(), 200))
		}
	}

	tc := tls.Client(conn, p.conf)
	tr.TLSStart()
	err = tc.HandshakeContext(ctx)
	tr.TLSDone()
	if err != nil {
		var verr *tls.CertificateVerificationError
		if errors.As(err, &verr) && len(verr.UnverifiedCertificates) > 0 {
			leaf := verr.UnverifiedCertificates[0]
			res.CertExpiry = leaf.NotAfter.UTC()
			if !p.now().Before(leaf.NotAfter) {
				_, reason := probe.CheckCertExpiry(leaf.NotAfter, p.now(), p.minDays, p.warnDays)
				return fail(probe.Critical, reason)
			}
		}
		return fail(probe.FailureStatus(err), describe(err, p.now().Sub(start)))
	}
	state := tc.ConnectionState()
	if len(state.PeerCertificates) == 0 {
		return fail(probe.Critical, "server sent no certificate")
	}
	leaf := state.PeerCertificates[0]
	res.CertExpiry = leaf.NotAfter.UTC()
	res.Metrics = []probe.Metric{CertDaysMetric(leaf, p.now(), p.minDays, p.warnDays)}
	status, reason := probe.CheckCertExpiry(leaf.NotAfter, p.now(), p.minDays, p.warnDays)
	if status != probe.OK {
		return fail(status, reason)
	}
	return run.Finish(probe.OK, tls.VersionName(state.Version)+", "+reason)
}

// CertDaysMetric is the perfdata for the days a certificate has left, with
// the limits as thresholds (0 limits are left out).
func CertDaysMetric(leaf *x509.Certificate, now time.Time, minDays, warnDays int) probe.Metric {
	m := probe.Metric{Name: "cert_days", Value: float64(probe.CertDays(leaf.NotAfter, now))}
	if warnDays > 0 {
		m.Warn = fmt.Sprintf("%d:", warnDays)
	}
	if minDays > 0 {
		m.Crit = fmt.Sprintf("%d:", minDays)
	}
	return m
}

// describe is ErrorReason with the elapsed time added to timeouts.
func describe(err error, elapsed time.Duration) string {
	r := probe.ErrorReason(err)
	if r == "timed out" {
		r += " after " + probe.FormatDuration(elapsed)
	}
	return r
}

// BindDeadline makes conn honour ctx: its deadline becomes the connection's
// deadline, and cancelling ctx unblocks any read or write at once. Call the
// returned function when done with ctx.
func BindDeadline(ctx context.Context, conn net.Conn) (stop func() bool) {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d) // a failure shows up on the next read or write
	}
	return context.AfterFunc(ctx, func() {
		_ = conn.SetDeadline(time.Unix(1, 0))
	})
}

var _ probe.Prober = (*Prober)(nil)
