package mailx

import (
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Check is what the smtp, imap and pop3 probes share: the server, the
// certificate limits, the redactor that keeps credentials out of reasons,
// the dialer and the clock. Each prober embeds one.
type Check struct {
	Kind     string // "smtp", "imap" or "pop3": the first word of every reason
	Srv      Server
	MinDays  int
	WarnDays int
	Redact   Redactor
	// Dial opens connections; nil dials TCP. Tests use in-memory pipes.
	Dial Dialer
	Now  func() time.Time
}

// NewCheck provisions the shared part of a mail check from the connection
// fields of its block. Certificate limits left at zero get the defaults
// of the tls probe.
func NewCheck(kind, address, tlsMode string, tc *config.TLSClient, user, pass string, minDays, warnDays int) (Check, error) {
	srv, err := NewServer(address, tlsMode, tc, user, pass)
	if err != nil {
		return Check{}, err
	}
	if minDays == 0 && warnDays == 0 {
		minDays, warnDays = config.DefaultTLSCertMinDays, config.DefaultTLSCertWarnDays
	}
	return Check{Kind: kind, Srv: srv, MinDays: minDays, WarnDays: warnDays, Redact: NewRedactor(user, pass), Now: time.Now}, nil
}

// Run is one run of a Check: the result being built and the trace of its
// connection.
type Run struct {
	*probe.Run
	c *Check
}

// Begin starts a run now, traced, with the kind and address as the prefix
// of its reasons.
func (c *Check) Begin() *Run {
	return &Run{Run: probe.Begin(c.Now, c.Kind+" "+c.Srv.Address+": ", probe.NewTrace()), c: c}
}

// Done ends the run with a status and a reason, which gets the kind and
// address in front and loses any credential.
func (r *Run) Done(st probe.Status, reason string) probe.Result {
	return r.Finish(st, r.c.Redact.Clean(r.Prefix+reason))
}

// DialFailed ends a run whose connection failed: a certificate that is
// expired or not yet valid is graded as such, anything else is described
// by describe.
func (r *Run) DialFailed(err error, describe func(error) string) probe.Result {
	now := r.c.Now()
	if leaf, ok := ExpiredCert(err, now); ok {
		r.Res.CertExpiry = leaf.NotAfter.UTC()
		_, reason := probe.CheckCertExpiry(leaf.NotAfter, now, r.c.MinDays, r.c.WarnDays)
		return r.Done(probe.Critical, "TLS handshake: "+reason)
	}
	return r.Done(probe.FailureStatus(err), describe(err))
}
