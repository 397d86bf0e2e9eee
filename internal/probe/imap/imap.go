// Package imap checks an IMAP server: connect, TLS or STARTTLS and the
// certificate, greeting, and with credentials login and a read-only SELECT
// of a mailbox, with optional bounds on its message count and on the ages of
// its newest and oldest message. Only two messages are ever fetched, so a
// mailbox of any size costs the same.
package imap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// Prober runs the imap check of one monitor.
type Prober struct {
	srv      mailx.Server
	c        config.IMAPCheck
	minDays  int
	warnDays int
	redact   mailx.Redactor

	dial mailx.Dialer
	now  func() time.Time
}

// New provisions an imap prober from its block.
func New(c *config.IMAPCheck) (*Prober, error) {
	if c == nil {
		return nil, errors.New("imap check has no imap block")
	}
	cc := *c
	if cc.TLS == "" {
		cc.TLS = config.MailTLSImplicit
	}
	if cc.Mailbox == "" {
		cc.Mailbox = config.DefaultIMAPMailbox
	}
	if err := config.JoinFieldErrors("imap", cc.Validate()); err != nil {
		return nil, err
	}
	srv, err := mailx.NewServer(cc.Address, cc.TLS, &cc.TLSConfig, cc.Username, cc.Password)
	if err != nil {
		return nil, fmt.Errorf("imap check: %w", err)
	}
	p := &Prober{srv: srv, c: cc, minDays: cc.CertMinDays, warnDays: cc.CertWarnDays,
		redact: mailx.NewRedactor(cc.Username, cc.Password), now: time.Now}
	if p.minDays == 0 && p.warnDays == 0 {
		p.minDays, p.warnDays = config.DefaultTLSCertMinDays, config.DefaultTLSCertWarnDays
	}
	return p, nil
}

// Probe runs the check once.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	start := p.now()
	tr := probe.NewTrace()
	res := probe.Result{Time: start.UTC()}
	done := func(st probe.Status, reason string) probe.Result {
		res.Status = st
		res.Reason = p.redact.Clean("imap " + p.srv.Address + ": " + reason)
		res.Timing = tr.Timing()
		res.Duration = p.now().Sub(start)
		return res
	}
	s, err := mailx.DialIMAP(ctx, p.dial, p.srv, tr)
	if err != nil {
		if leaf, ok := mailx.ExpiredCert(err, p.now()); ok {
			res.CertExpiry = leaf.NotAfter.UTC()
			_, reason := probe.CheckCertExpiry(leaf.NotAfter, p.now(), p.minDays, p.warnDays)
			return done(probe.Critical, "TLS handshake: "+reason)
		}
		return done(probe.FailureStatus(err), describe(err, p.now().Sub(start)))
	}
	defer s.Close()
	var notes []string
	certStatus, certReason := mailx.CertGrade(s.Cert.Leaf(), &res, p.now(), p.minDays, p.warnDays)
	if certReason != "" {
		notes = append(notes, "TLS, "+certReason)
	}
	if p.srv.Username == "" {
		caps := make([]string, 0, len(s.Client.Caps()))
		for c := range s.Client.Caps() {
			caps = append(caps, string(c))
		}
		reason := fmt.Sprintf("greeting OK, %d capabilities", len(caps))
		if len(notes) > 0 {
			reason += "; " + strings.Join(notes, "; ")
		}
		return done(certStatus, reason)
	}
	sel, err := s.Client.Select(p.c.Mailbox, &goimap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return done(probe.FailureStatus(err), "select "+p.c.Mailbox+": "+describe(s.Explain(err), p.now().Sub(start)))
	}
	var newest, oldest time.Time
	if n := sel.NumMessages; n > 0 {
		msgs, err := s.Client.Fetch(goimap.SeqSetNum(1, n), &goimap.FetchOptions{InternalDate: true}).Collect()
		if err != nil {
			return done(probe.FailureStatus(err), "fetch dates in "+p.c.Mailbox+": "+describe(s.Explain(err), p.now().Sub(start)))
		}
		for _, m := range msgs {
			d := m.InternalDate.UTC()
			if d.IsZero() {
				continue
			}
			if newest.IsZero() || d.After(newest) {
				newest = d
			}
			if oldest.IsZero() || d.Before(oldest) {
				oldest = d
			}
		}
	}
	st, summary := mailx.MailboxGrade(p.c.Expect, p.c.Mailbox, int(sel.NumMessages), newest, oldest, p.now(), &res)
	reason := summary
	if len(notes) > 0 {
		reason += "; " + strings.Join(notes, "; ")
	}
	return done(max(st, certStatus), reason)
}

func describe(err error, elapsed time.Duration) string {
	var pe *mailx.PhaseError
	if errors.As(err, &pe) {
		r := reason(pe.Err, elapsed)
		return pe.Phase + ": " + r
	}
	return reason(err, elapsed)
}

func reason(err error, elapsed time.Duration) string {
	var ie *goimap.Error
	if errors.As(err, &ie) {
		return mailx.SMTPReason(err)
	}
	return mailx.Redactor(nil).Reason(err, elapsed)
}

var _ probe.Prober = (*Prober)(nil)
