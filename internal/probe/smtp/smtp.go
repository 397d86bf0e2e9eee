// Package smtp checks an SMTP server's dialogue up to, but never including,
// DATA: greeting, EHLO and its extensions, STARTTLS and the certificate,
// AUTH when credentials are given, and optionally whether the envelope
// (MAIL FROM, RCPT TO) is accepted, after which the transaction is reset.
package smtp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// Prober runs the smtp check of one monitor.
type Prober struct {
	mailx.Check
	c Check
}

// New provisions an smtp prober from its block.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("smtp check has no smtp block")
	}
	cc := *c
	if cc.TLS == "" {
		cc.TLS = mailx.TLSStartTLS
	}
	if err := config.JoinFieldErrors("smtp", cc.Validate(nil)); err != nil {
		return nil, err
	}
	chk, err := mailx.NewCheck("smtp", cc.Address, cc.TLS, &cc.TLSConfig, cc.Username, cc.Password, cc.CertMinDays, cc.CertWarnDays)
	if err != nil {
		return nil, fmt.Errorf("smtp check: %w", err)
	}
	return &Prober{Check: chk, c: cc}, nil
}

// Probe runs the dialogue once.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	r := p.Begin()
	start, tr, res, done := r.Start, r.Trace, &r.Res, r.Done
	s, err := mailx.DialSMTP(ctx, p.Dial, p.Srv, p.c.Helo, tr)
	if err != nil {
		return r.DialFailed(err, func(err error) string { return p.describe(err, start) })
	}
	defer s.Close()

	var notes []string
	banner := probe.Clip(s.Banner, 120)
	if want := p.c.Expect.BannerContains; want != "" && !strings.Contains(s.Banner, want) {
		return done(probe.Critical, fmt.Sprintf("greeting %q does not contain %q", banner, want))
	}
	keywords := make([]string, 0, len(s.Extensions))
	for _, x := range s.Extensions {
		kw, _, _ := strings.Cut(x, " ")
		keywords = append(keywords, kw)
	}
	for _, want := range p.c.Expect.Extensions {
		if !slices.ContainsFunc(keywords, func(k string) bool { return strings.EqualFold(k, want) }) {
			return done(probe.Critical, fmt.Sprintf("the server does not offer %s (it offers %s)", strings.ToUpper(want), listOrNone(keywords)))
		}
	}
	res.Metrics = append(res.Metrics, probe.Metric{Name: "extensions", Value: float64(len(keywords)), Min: "0"})

	certStatus, certReason := mailx.CertGrade(s.Cert.Leaf(), res, p.Now(), p.MinDays, p.WarnDays)
	if s.TLS {
		notes = append(notes, "TLS, "+certReason)
	}
	if p.Srv.Username != "" {
		notes = append(notes, "AUTH accepted")
	}

	if p.c.MailFrom != "" {
		code := 250
		if err := s.Client.Mail(p.c.MailFrom, nil); err != nil {
			if code = mailx.ReplyCode(err); code == 0 {
				return done(probe.FailureStatus(err), "MAIL FROM: "+p.describe(err, start))
			}
		}
		if !mailx.CodeMatches(code, p.c.Expect.MailCodes, "250") {
			return done(probe.Critical, fmt.Sprintf("MAIL FROM:<%s> answered %s, expected %s", p.c.MailFrom, p.replyText(err, code), codes(p.c.Expect.MailCodes, "250")))
		}
		for _, to := range p.c.RcptTo {
			code, err := 250, s.Client.Rcpt(to, nil)
			if err != nil {
				if code = mailx.ReplyCode(err); code == 0 {
					return done(probe.FailureStatus(err), "RCPT TO: "+p.describe(err, start))
				}
			}
			if !mailx.CodeMatches(code, p.c.Expect.RcptCodes, "250-251") {
				return done(probe.Critical, fmt.Sprintf("RCPT TO:<%s> answered %s, expected %s", to, p.replyText(err, code), codes(p.c.Expect.RcptCodes, "250-251")))
			}
			notes = append(notes, fmt.Sprintf("RCPT TO:<%s> %d", to, code))
		}
		// Nothing is ever sent: the envelope is dropped.
		_ = s.Client.Reset()
	}
	reason := fmt.Sprintf("%q; extensions: %s", banner, listOrNone(keywords))
	if len(notes) > 0 {
		reason += "; " + strings.Join(notes, "; ")
	}
	if certStatus != probe.OK {
		return done(certStatus, certReason+"; "+reason)
	}
	return done(probe.OK, reason)
}

func (p *Prober) describe(err error, start time.Time) string {
	var pe *mailx.PhaseError
	if errors.As(err, &pe) {
		r := mailx.SMTPReason(pe.Err)
		if r == "timed out" {
			r = "timed out after " + probe.FormatDuration(p.Now().Sub(start))
		}
		return pe.Phase + ": " + r
	}
	return p.Redact.Reason(err, p.Now().Sub(start))
}

func (p *Prober) replyText(err error, code int) string {
	if err == nil {
		return strconv.Itoa(code)
	}
	return mailx.SMTPReason(err)
}

func codes(specs []string, def string) string {
	if len(specs) == 0 {
		return def
	}
	return strings.Join(specs, " or ")
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

var _ probe.Prober = (*Prober)(nil)
