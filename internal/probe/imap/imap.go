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
	mailx.Check
	c Check
}

// New provisions an imap prober from its block.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("imap check has no imap block")
	}
	cc := *c
	if cc.TLS == "" {
		cc.TLS = mailx.TLSImplicit
	}
	if cc.Mailbox == "" {
		cc.Mailbox = mailx.DefaultMailbox
	}
	if err := config.JoinFieldErrors("imap", cc.Validate(nil)); err != nil {
		return nil, err
	}
	chk, err := mailx.NewCheck("imap", cc.Address, cc.TLS, &cc.TLSConfig, cc.Username, cc.Password, cc.CertMinDays, cc.CertWarnDays)
	if err != nil {
		return nil, fmt.Errorf("imap check: %w", err)
	}
	return &Prober{Check: chk, c: cc}, nil
}

// Probe runs the check once.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	r := p.Begin()
	start, tr, res, done := r.Start, r.Trace, &r.Res, r.Done
	s, err := mailx.DialIMAP(ctx, p.Dial, p.Srv, tr)
	if err != nil {
		return r.DialFailed(err, func(err error) string { return describe(err, p.Now().Sub(start)) })
	}
	defer s.Close()
	var notes []string
	certStatus, certReason := mailx.CertGrade(s.Cert.Leaf(), res, p.Now(), p.MinDays, p.WarnDays)
	if certReason != "" {
		notes = append(notes, "TLS, "+certReason)
	}
	if p.Srv.Username == "" {
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
		return done(probe.FailureStatus(err), "select "+p.c.Mailbox+": "+describe(s.Explain(err), p.Now().Sub(start)))
	}
	var newest, oldest time.Time
	if n := sel.NumMessages; n > 0 {
		msgs, err := s.Client.Fetch(goimap.SeqSetNum(1, n), &goimap.FetchOptions{InternalDate: true}).Collect()
		if err != nil {
			return done(probe.FailureStatus(err), "fetch dates in "+p.c.Mailbox+": "+describe(s.Explain(err), p.Now().Sub(start)))
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
	st, summary := mailx.MailboxGrade(p.c.Expect, p.c.Mailbox, int(sel.NumMessages), newest, oldest, p.Now(), res)
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
