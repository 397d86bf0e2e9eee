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
	mailx.Check
	c Check
}

// New provisions a pop3 prober from its block.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("pop3 check has no pop3 block")
	}
	cc := *c
	if cc.TLS == "" {
		cc.TLS = mailx.TLSImplicit
	}
	if err := config.JoinFieldErrors("pop3", cc.Validate(nil)); err != nil {
		return nil, err
	}
	chk, err := mailx.NewCheck("pop3", cc.Address, cc.TLS, &cc.TLSConfig, cc.Username, cc.Password, cc.CertMinDays, cc.CertWarnDays)
	if err != nil {
		return nil, fmt.Errorf("pop3 check: %w", err)
	}
	return &Prober{Check: chk, c: cc}, nil
}

// Probe runs the check once.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	r := p.Begin()
	start, tr, res, done := r.Start, r.Trace, &r.Res, r.Done
	c, err := mailx.DialPOP3(ctx, p.Dial, p.Srv, tr)
	if err != nil {
		return r.DialFailed(err, func(err error) string { return p.describe(err, start) })
	}
	defer c.Close()
	var notes []string
	certStatus, certReason := mailx.CertGrade(c.Cert.Leaf(), res, p.Now(), p.MinDays, p.WarnDays)
	if certReason != "" {
		notes = append(notes, "TLS, "+certReason)
	}
	join := func(s string) string {
		if len(notes) > 0 {
			return s + "; " + strings.Join(notes, "; ")
		}
		return s
	}
	if p.Srv.Username == "" {
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
	st, summary := mailx.MailboxGrade(p.c.Expect, "the maildrop", n, newest, oldest, p.Now(), res)
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
		return pe.Phase + ": " + p.Redact.Reason(pe.Err, p.Now().Sub(start))
	}
	return p.Redact.Reason(err, p.Now().Sub(start))
}

var _ probe.Prober = (*Prober)(nil)
