// Package pop3 checks a POP3 server: connect, TLS or STLS and the
// certificate, greeting, and with credentials login and STAT, with optional
// bounds on the message count and on the ages of the newest and oldest
// message (read from their headers with TOP; nothing is deleted).
package pop3

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// Prober runs the pop3 check of one monitor.
type Prober struct {
	srv      mailx.Server
	c        config.POP3Check
	minDays  int
	warnDays int
	redact   mailx.Redactor

	dial mailx.Dialer
	now  func() time.Time
}

// New provisions a pop3 prober from its block.
func New(c *config.POP3Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("pop3 check has no pop3 block")
	}
	cc := *c
	if cc.TLS == "" {
		cc.TLS = config.MailTLSImplicit
	}
	if err := config.JoinFieldErrors("pop3", cc.Validate()); err != nil {
		return nil, err
	}
	srv, err := mailx.NewServer(cc.Address, cc.TLS, &cc.TLSConfig, cc.Username, cc.Password)
	if err != nil {
		return nil, fmt.Errorf("pop3 check: %w", err)
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
		res.Reason = p.redact.Clean("pop3 " + p.srv.Address + ": " + reason)
		res.Timing = tr.Timing()
		res.Duration = p.now().Sub(start)
		return res
	}
	c, err := mailx.DialPOP3(ctx, p.dial, p.srv, tr)
	if err != nil {
		if leaf, ok := mailx.ExpiredCert(err, p.now()); ok {
			res.CertExpiry = leaf.NotAfter.UTC()
			_, reason := probe.CheckCertExpiry(leaf.NotAfter, p.now(), p.minDays, p.warnDays)
			return done(probe.Critical, "TLS handshake: "+reason)
		}
		return done(probe.FailureStatus(err), p.describe(err, start))
	}
	defer c.Close()
	var notes []string
	certStatus, certReason := mailx.CertGrade(c.Cert.Leaf(), &res, p.now(), p.minDays, p.warnDays)
	if certReason != "" {
		notes = append(notes, "TLS, "+certReason)
	}
	join := func(s string) string {
		if len(notes) > 0 {
			return s + "; " + strings.Join(notes, "; ")
		}
		return s
	}
	if p.srv.Username == "" {
		_ = c.Quit()
		return done(certStatus, join("greeting OK"))
	}
	n, _, err := c.Stat()
	if err != nil {
		return done(probe.FailureStatus(err), "STAT: "+p.describe(err, start))
	}
	var newest, oldest time.Time
	if n > 0 {
		for _, i := range []int{1, n} {
			lines, err := c.Top(i, 400)
			if err != nil {
				return done(probe.FailureStatus(err), fmt.Sprintf("TOP %d: %s", i, p.describe(err, start)))
			}
			d := headerDate(lines)
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
	_ = c.Quit()
	st, summary := mailx.MailboxGrade(p.c.Expect, "the maildrop", n, newest, oldest, p.now(), &res)
	return done(max(st, certStatus), join(summary))
}

// headerDate is when a message arrived: the topmost Received: date, else
// its Date: header.
func headerDate(lines []string) time.Time {
	h, _ := textproto.NewReader(bufio.NewReader(strings.NewReader(strings.Join(lines, "\r\n") + "\r\n\r\n"))).ReadMIMEHeader()
	// Only the topmost Received: header, the one the receiving server added.
	if v := h.Get("Received"); v != "" {
		if i := strings.LastIndexByte(v, ';'); i >= 0 {
			if t, err := mail.ParseDate(strings.TrimSpace(v[i+1:])); err == nil {
				return t.UTC()
			}
		}
	}
	if t, err := mail.ParseDate(h.Get("Date")); err == nil {
		return t.UTC()
	}
	return time.Time{}
}

func (p *Prober) describe(err error, start time.Time) string {
	var pe *mailx.PhaseError
	if errors.As(err, &pe) {
		return pe.Phase + ": " + p.redact.Reason(pe.Err, p.now().Sub(start))
	}
	return p.redact.Reason(err, p.now().Sub(start))
}

var _ probe.Prober = (*Prober)(nil)
