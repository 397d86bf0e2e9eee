// Package mailloop is the end-to-end mail check: each run submits a tagged
// probe mail over SMTP and looks for it over IMAP or POP3, keeping the mails
// in flight in a Ledger so a restart forgets none. It also runs send-only
// (for an email heartbeat elsewhere) and receive-only (mail from another
// system must keep arriving).
package mailloop

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
	"github.com/tocsin/tocsin/internal/text"
)

var errNotFound = errs.Errorf(errs.ENOTFOUND, "no such probe mail")

// Default pacing of a run's look for its own mail.
const (
	DefaultPoll = 2 * time.Second
	// reserve is kept back from the run's deadline for the last look,
	// the deletions and the bookkeeping.
	reserve = 2 * time.Second
	// mailboxBudget bounds what one mailbox session reads in a run: it
	// looks every couple of seconds, each look reading up to maxScan
	// headers per folder.
	mailboxBudget = 16 << 20
)

// Prober runs one mail loop monitor.
type Prober struct {
	id     string
	mode   string
	from   string
	to     string
	helo   string
	smtp   mailx.Server
	viaTag string // how reasons name the SMTP server

	boxServer mailx.Server
	pop3      bool
	mailbox   string
	junk      []string
	boxTag    string

	maxDelivery time.Duration
	wait        time.Duration
	warn, crit  time.Duration
	cleanup     time.Duration

	recvFrom, recvSubject *regexp.Regexp
	window                time.Duration
	recvDelete            bool

	ledger Ledger
	redact mailx.Redactor

	// dial, now and poll are replaced by tests.
	dial mailx.Dialer
	now  func() time.Time
	poll time.Duration
}

// New provisions the mail loop of monitor monitorID from its block. The
// ledger keeps the mails in flight; nil means a MemoryLedger (one-off runs).
func New(monitorID string, c *Check, ledger Ledger) (*Prober, error) {
	if c == nil {
		return nil, errors.New("mailloop check has no mailloop block")
	}
	cc := *c
	if cc.Mode == "" {
		cc.Mode = RoundTrip
	}
	if cc.MaxDelivery == 0 {
		cc.MaxDelivery = config.Duration(DefaultMaxDelivery)
	}
	if cc.CleanupAfter == 0 {
		cc.CleanupAfter = config.Duration(DefaultCleanup)
	}
	if cc.Receive != nil && cc.Receive.Window == 0 {
		r := *cc.Receive
		r.Window = config.Duration(DefaultWindow)
		cc.Receive = &r
	}
	if err := config.JoinFieldErrors("mailloop", cc.Validate(nil)); err != nil {
		return nil, err
	}
	if ledger == nil {
		ledger = &MemoryLedger{}
	}
	p := &Prober{
		id: monitorID, mode: cc.Mode, from: cc.From, to: cc.To,
		maxDelivery: cc.MaxDelivery.D(), wait: cc.Wait.D(),
		warn: cc.LatencyWarning.D(), crit: cc.LatencyCritical.D(), cleanup: cc.CleanupAfter.D(),
		ledger: ledger, now: time.Now, poll: DefaultPoll,
	}
	if s := cc.SMTP; s != nil {
		srv, err := mailx.NewServer(s.Address, s.TLS, &s.TLSConfig, s.Username, s.Password)
		if err != nil {
			return nil, fmt.Errorf("mailloop smtp: %w", err)
		}
		p.smtp, p.helo, p.viaTag = srv, s.Helo, s.Address
		p.redact = append(p.redact, mailx.NewRedactor(s.Username, s.Password)...)
	}
	switch {
	case cc.IMAP != nil:
		s := cc.IMAP
		srv, err := mailx.NewServer(s.Address, s.TLS, &s.TLSConfig, s.Username, s.Password)
		if err != nil {
			return nil, fmt.Errorf("mailloop imap: %w", err)
		}
		srv.Budget = mailboxBudget
		p.boxServer, p.mailbox, p.junk = srv, s.Mailbox, s.JunkFolders
		if p.mailbox == "" {
			p.mailbox = mailx.DefaultMailbox
		}
		p.boxTag = "imap " + s.Address
		p.redact = append(p.redact, mailx.NewRedactor(s.Username, s.Password)...)
	case cc.POP3 != nil:
		s := cc.POP3
		srv, err := mailx.NewServer(s.Address, s.TLS, &s.TLSConfig, s.Username, s.Password)
		if err != nil {
			return nil, fmt.Errorf("mailloop pop3: %w", err)
		}
		srv.Budget = mailboxBudget
		p.boxServer, p.pop3, p.mailbox = srv, true, "INBOX"
		p.boxTag = "pop3 " + s.Address
		p.redact = append(p.redact, mailx.NewRedactor(s.Username, s.Password)...)
	}
	if r := cc.Receive; r != nil && p.mode == ReceiveMode {
		if r.FromRegex != "" {
			p.recvFrom = regexp.MustCompile(r.FromRegex) // validated above
		}
		if r.SubjectRegex != "" {
			p.recvSubject = regexp.MustCompile(r.SubjectRegex)
		}
		p.window, p.recvDelete = r.Window.D(), r.Delete
	}
	return p, nil
}

// Probe runs the check once.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	start := p.now()
	var res probe.Result
	switch p.mode {
	case Send:
		res = p.sendOnly(ctx, start)
	case ReceiveMode:
		res = p.receiveOnly(ctx, start)
	default:
		res = p.roundTrip(ctx, start)
	}
	res.Time = start.UTC()
	res.Duration = p.now().Sub(start)
	res.Reason = p.redact.Clean(res.Reason)
	return res
}

// newToken makes a probe mail's token: the send time, so that cleanup can
// judge a mail's age without the bookkeeping, and 64 random bits.
func newToken(at time.Time) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatInt(at.Unix(), 10) + "-" + hex.EncodeToString(b[:])
}

var reToken = regexp.MustCompile(`^[0-9]{1,12}-[0-9a-f]{16}$`)

func validToken(s string) bool { return reToken.MatchString(s) }

// tokenTime is the send time written in a token.
func tokenTime(tok string) time.Time {
	sec, _, _ := strings.Cut(tok, "-")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// compose builds a probe mail with go-mail.
func (p *Prober) compose(token string, at time.Time) ([]byte, error) {
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.From(p.from); err != nil {
		return nil, fmt.Errorf("from address: %w", err)
	}
	if err := m.To(p.to); err != nil {
		return nil, fmt.Errorf("to address: %w", err)
	}
	m.Subject("Tocsin mail loop " + p.id + " " + token)
	m.SetGenHeader(gomail.Header(HeaderName), p.id+" "+token)
	m.SetDateWithValue(at)
	m.SetMessageID()
	m.SetBodyString(gomail.TypeTextPlain, "This is a probe mail of the Tocsin monitor "+p.id+".\r\n"+
		"It was sent at "+at.UTC().Format(time.RFC3339)+" to check that mail is delivered end to end.\r\n"+
		"Tocsin deletes it when it finds it; it is safe to delete by hand.\r\n")
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("composing the probe mail: %w", err)
	}
	return buf.Bytes(), nil
}

// send submits one probe mail. go-mail composes it; go-smtp carries it,
// because the smtp probe needs that client's dialogue anyway (banner,
// extensions, per-phase errors, bounded reads) and one SMTP code path keeps
// the two checks reporting alike.
func (p *Prober) send(ctx context.Context, token string, at time.Time) error {
	body, err := p.compose(token, at)
	if err != nil {
		return err
	}
	s, err := mailx.DialSMTP(ctx, p.dial, p.smtp, p.helo, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Client.Mail(p.from, nil); err != nil {
		return &mailx.PhaseError{Phase: "MAIL FROM", Err: err}
	}
	if err := s.Client.Rcpt(p.to, nil); err != nil {
		return &mailx.PhaseError{Phase: "RCPT TO", Err: err}
	}
	w, err := s.Client.Data()
	if err != nil {
		return &mailx.PhaseError{Phase: "DATA", Err: err}
	}
	if _, err := w.Write(body); err != nil {
		return &mailx.PhaseError{Phase: "DATA", Err: err}
	}
	if err := w.Close(); err != nil {
		return &mailx.PhaseError{Phase: "DATA", Err: err}
	}
	return nil
}

func (p *Prober) open(ctx context.Context) (session, error) {
	if p.pop3 {
		return p.openPOP3(ctx)
	}
	return p.openIMAP(ctx)
}

// clock formats a time of day for reasons.
func clock(t time.Time) string { return t.UTC().Format("15:04:05") }

func short(t time.Time) string { return t.UTC().Format("15:04") }

func (p *Prober) errText(err error) string {
	var pe *mailx.PhaseError
	if errors.As(err, &pe) {
		return pe.Phase + ": " + p.redact.Clean(mailx.SMTPReason(pe.Err))
	}
	return p.redact.Clean(mailx.SMTPReason(err))
}

func (p *Prober) sendOnly(ctx context.Context, start time.Time) probe.Result {
	tok := newToken(start)
	err := p.send(ctx, tok, start)
	res := probe.Result{Metrics: []probe.Metric{{Name: "sent", Value: 0, Min: "0"}}}
	if err != nil {
		res.Status = probe.FailureStatus(err)
		res.Reason = fmt.Sprintf("sending the probe mail via %s failed: %s", p.viaTag, p.errText(err))
		return res
	}
	res.Metrics[0].Value = 1
	res.Status = probe.OK
	res.Reason = fmt.Sprintf("mail sent %s via %s to %s", clock(start), p.viaTag, p.to)
	return res
}

// lookDeadline is when a run stops looking for its own mail: wait after
// the start when set; at the latest reserve before the run's own deadline
// (the monitor's timeout); and max_delivery after the send began, when the
// mail is lost. In that last case lost is true: the run makes its last
// look at that very time and reports the mail lost then, so a run lasts at
// most max_delivery plus that one look, the deletions and the bookkeeping.
// Otherwise a mail still on its way stays pending for the next run.
func (p *Prober) lookDeadline(ctx context.Context, start time.Time) (end time.Time, lost bool) {
	end = start.Add(30 * time.Second)
	if d, ok := ctx.Deadline(); ok {
		end = d.Add(-reserve)
	}
	if p.wait > 0 && start.Add(p.wait).Before(end) {
		end = start.Add(p.wait)
	}
	if at := start.Add(p.maxDelivery); !at.After(end) {
		return at, true
	}
	return end, false
}

func (p *Prober) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (p *Prober) roundTrip(ctx context.Context, start time.Time) probe.Result {
	var res probe.Result
	history, err := p.ledger.MailProbes(ctx, p.id, start.Add(-p.cleanup-p.maxDelivery))
	if err != nil {
		res.Status = probe.Unknown
		res.Reason = "mail loop bookkeeping unavailable: " + probe.Clip(err.Error(), 200)
		return res
	}
	known := make(map[string]int, len(history))
	for i, m := range history {
		known[m.Token] = i
	}

	// 1. Send this run's mail.
	tok := newToken(start)
	sendErr := p.send(ctx, tok, start)
	sent := -1
	if sendErr == nil {
		m := Message{MonitorID: p.id, Token: tok, SentAt: start.UTC(), Via: p.viaTag, State: StatePending}
		if err := p.ledger.AddMailProbe(ctx, m); err != nil {
			res.Status = probe.Unknown
			res.Reason = fmt.Sprintf("mail sent %s via %s, but the bookkeeping failed: %s", clock(start), p.viaTag, probe.Clip(err.Error(), 200))
			return res
		}
		history = append(history, m)
		sent = len(history) - 1
		known[tok] = sent
	}

	// 2. Look for it (and any earlier one) until it is there or time is up.
	var received []int
	var scanErr, removeErr error
	var sess session
	end, lostAtEnd := p.lookDeadline(ctx, start)
	for {
		if sess == nil {
			sess, scanErr = p.open(ctx)
			if scanErr != nil {
				sess = nil
				break
			}
		}
		fs, err := sess.probes(ctx)
		if err != nil {
			scanErr = err
			break
		}
		seen := p.now()
		var drop []found
		for _, f := range fs {
			i, ok := known[f.token]
			if !ok {
				// Ours but unknown to the bookkeeping (sent by a one-off
				// check, or before the database was reset): left alone
				// unless it is past the cut-off.
				if t := tokenTime(f.token); !t.IsZero() && seen.Sub(t) > p.cleanup {
					drop = append(drop, f)
				}
				continue
			}
			m := &history[i]
			drop = append(drop, f) // found before and not yet deleted, or new
			if m.State != StatePending && m.State != StateLost {
				continue
			}
			m.ReceivedAt = seen.UTC()
			// The Received: date has one-second precision and another
			// host's clock; it is used unless it is clearly off.
			if d := f.delivered; !d.IsZero() && !d.Before(m.SentAt.Add(-time.Minute)) && !d.After(seen.Add(time.Minute)) {
				m.ReceivedAt = d
			}
			if m.ReceivedAt.Before(m.SentAt) {
				m.ReceivedAt = m.SentAt
			}
			m.Folder = f.folder
			if m.State == StateLost || m.Latency() >= p.maxDelivery {
				m.State = StateLate
			} else {
				m.State = StateReceived
			}
			if err := p.ledger.UpdateMailProbe(ctx, *m); err != nil {
				res.Status = probe.Unknown
				res.Reason = "mail loop bookkeeping failed: " + probe.Clip(err.Error(), 200)
				sess.done()
				return res
			}
			received = append(received, i)
		}
		if len(drop) > 0 {
			if err := sess.remove(ctx, drop); err != nil && removeErr == nil {
				removeErr = err
			}
		}
		if !sess.reusable() {
			if err := sess.done(); err != nil && removeErr == nil {
				removeErr = err
			}
			sess = nil
		}
		if sent < 0 || history[sent].State != StatePending {
			break
		}
		// Look every poll while a whole one fits; at max_delivery, look
		// once more at the deadline itself, so a mail still missing then
		// is lost at once.
		pause := p.poll
		if left := end.Sub(p.now()); left <= pause {
			if !lostAtEnd || left <= 0 {
				break
			}
			pause = left
		}
		if !p.sleep(ctx, pause) {
			break
		}
	}
	if sess != nil {
		if err := sess.done(); err != nil && removeErr == nil {
			removeErr = err
		}
	}

	// 3. Mails past max_delivery are lost.
	now := p.now()
	var lost []int
	for i := range history {
		m := &history[i]
		if m.State == StatePending && now.Sub(m.SentAt) >= p.maxDelivery {
			m.State = StateLost
			if err := p.ledger.UpdateMailProbe(ctx, *m); err != nil {
				res.Status = probe.Unknown
				res.Reason = "mail loop bookkeeping failed: " + probe.Clip(err.Error(), 200)
				return res
			}
			lost = append(lost, i)
		}
	}
	_, _ = p.ledger.PruneMailProbes(ctx, p.id, now.Add(-p.cleanup-p.maxDelivery))

	return p.grade(history, sent, received, lost, sendErr, scanErr, removeErr, start, now)
}

// streak returns the mails lost since the newest one that arrived (on time
// or late), oldest first.
func streak(history []Message) []Message {
	var out []Message
	for i := len(history) - 1; i >= 0; i-- {
		switch history[i].State {
		case StateReceived, StateLate:
			return reverse(out)
		case StateLost:
			out = append(out, history[i])
		}
	}
	return reverse(out)
}

func reverse(ms []Message) []Message {
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms
}

func (p *Prober) isJunk(folder string) bool { return folder != "" && folder != p.mailbox }

func (p *Prober) grade(history []Message, sent int, received, lost []int, sendErr, scanErr, removeErr error, start, now time.Time) probe.Result {
	var res probe.Result
	pending := 0
	var oldestPending *Message
	for i := range history {
		if history[i].State == StatePending {
			pending++
			if oldestPending == nil {
				oldestPending = &history[i]
			}
		}
	}
	run := streak(history)
	sentN := 0.0
	if sent >= 0 {
		sentN = 1
	}
	res.Metrics = []probe.Metric{
		{Name: "sent", Value: sentN, Min: "0"},
		{Name: "received", Value: float64(len(received)), Min: "0"},
		{Name: "pending", Value: float64(pending), Min: "0"},
		{Name: "lost", Value: float64(len(run)), Min: "0", Crit: "0"},
	}
	// The newest mail that arrived in this run speaks for the delivery.
	var got *Message
	for _, i := range received {
		if got == nil || history[i].SentAt.After(got.SentAt) {
			got = &history[i]
		}
	}
	if got != nil {
		lat := probe.Metric{Name: "delivery_latency", Value: got.Latency().Seconds(), Unit: "s", Min: "0"}
		if p.warn > 0 {
			lat.Warn = strconv.FormatFloat(p.warn.Seconds(), 'f', -1, 64)
		}
		if p.crit > 0 {
			lat.Crit = strconv.FormatFloat(p.crit.Seconds(), 'f', -1, 64)
		}
		res.Metrics = append(res.Metrics, lat)
	}
	also := ""
	if len(run) > 0 {
		also = fmt.Sprintf("; %s lost since %s", text.Plural(len(run), "probe mail"), short(run[0].SentAt))
	}
	cleanupNote := ""
	if removeErr != nil {
		cleanupNote = "; deleting probe mails failed: " + p.errText(removeErr)
	}

	switch {
	case sendErr != nil:
		res.Status = probe.FailureStatus(sendErr)
		res.Reason = fmt.Sprintf("sending the probe mail via %s failed: %s%s", p.viaTag, p.errText(sendErr), also)
		if scanErr == nil && got != nil {
			res.Reason += fmt.Sprintf(" (an earlier mail, sent %s, arrived in %s after %s)", clock(got.SentAt), got.Folder, probe.FormatDuration(got.Latency()))
		}
		return res
	case len(lost) > 0:
		m := history[lost[len(lost)-1]]
		res.Status = probe.Critical
		res.Reason = fmt.Sprintf("mail sent %s via %s not found in %s after %s (max_delivery %s)",
			clock(m.SentAt), m.Via, p.mailbox, roundAge(now.Sub(m.SentAt)), p.maxDelivery)
		if earlier := len(run) - 1; earlier > 0 {
			res.Reason += fmt.Sprintf("; %s also lost since %s", text.Plural(earlier, "earlier probe mail"), short(run[0].SentAt))
		}
		if scanErr != nil {
			res.Reason += "; looking in the mailbox failed: " + p.errText(scanErr)
		}
		return res
	case scanErr != nil:
		res.Status = probe.FailureStatus(scanErr)
		res.Reason = fmt.Sprintf("mail sent %s via %s, but looking for it in %s failed: %s%s", clock(start), p.viaTag, p.boxTag, p.errText(scanErr), also)
		return res
	case got != nil:
		lat := got.Latency()
		where := "arrived in " + got.Folder
		res.Status = probe.OK
		suffix := ""
		switch {
		case lat >= p.maxDelivery:
			res.Status = probe.Critical
			suffix = fmt.Sprintf(", longer than max_delivery %s", p.maxDelivery)
		case p.crit > 0 && lat > p.crit:
			res.Status = probe.Critical
			suffix = fmt.Sprintf(", critical above %s", p.crit)
		case p.warn > 0 && lat > p.warn:
			res.Status = probe.Warning
			suffix = fmt.Sprintf(", warning above %s", p.warn)
		}
		if p.isJunk(got.Folder) {
			where = "landed in the junk folder " + got.Folder
			res.Status = max(res.Status, probe.Warning)
		}
		res.Reason = fmt.Sprintf("mail sent %s via %s %s after %s%s", clock(got.SentAt), got.Via, where, probe.FormatDuration(lat), suffix)
		if got.State == StateLate && lat < p.maxDelivery {
			res.Reason += " (late: it had been counted as lost)"
		}
		if pending > 0 && sent >= 0 && history[sent].State == StatePending {
			res.Reason += fmt.Sprintf("; the mail sent %s is still pending", clock(history[sent].SentAt))
		}
		res.Reason += cleanupNote
		return res
	case len(run) > 0:
		res.Status = probe.Critical
		res.Reason = fmt.Sprintf("no probe mail has arrived in %s since %s: %s lost (newest sent %s via %s)", p.mailbox, short(run[0].SentAt),
			text.Plural(len(run), "probe mail"), clock(run[len(run)-1].SentAt), run[len(run)-1].Via)
		return res
	case oldestPending != nil:
		age := now.Sub(oldestPending.SentAt)
		res.Status = probe.OK
		suffix := ""
		switch {
		case p.crit > 0 && age > p.crit:
			res.Status = probe.Critical
			suffix = fmt.Sprintf(", critical above %s", p.crit)
		case p.warn > 0 && age > p.warn:
			res.Status = probe.Warning
			suffix = fmt.Sprintf(", warning above %s", p.warn)
		}
		res.Reason = fmt.Sprintf("mail sent %s via %s not in %s yet after %s%s (pending; max_delivery %s)",
			clock(oldestPending.SentAt), oldestPending.Via, p.mailbox, roundAge(age), suffix, p.maxDelivery)
		if pending > 1 {
			res.Reason += fmt.Sprintf("; %d mails pending", pending)
		}
		res.Reason += cleanupNote
		return res
	default:
		res.Status = probe.Unknown
		res.Reason = "no probe mail in flight"
		return res
	}
}

// roundAge rounds a wait for reasons: whole seconds under a minute, whole
// minutes above ("10m").
func roundAge(d time.Duration) string {
	switch {
	case d >= time.Minute:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	default:
		return d.Round(time.Second).String()
	}
}

func (p *Prober) receiveOnly(ctx context.Context, start time.Time) probe.Result {
	var res probe.Result
	since := start.Add(-p.window)
	sess, err := p.open(ctx)
	if err != nil {
		res.Status = probe.FailureStatus(err)
		res.Reason = fmt.Sprintf("looking in %s failed: %s", p.boxTag, p.errText(err))
		return res
	}
	fs, err := sess.recent(ctx, since)
	if err != nil {
		sess.done()
		res.Status = probe.FailureStatus(err)
		res.Reason = fmt.Sprintf("looking in %s failed: %s", p.boxTag, p.errText(err))
		return res
	}
	var match []found
	var newest *found
	for i := range fs {
		f := fs[i]
		if p.recvFrom != nil && !p.recvFrom.MatchString(f.from) {
			continue
		}
		if p.recvSubject != nil && !p.recvSubject.MatchString(f.subject) {
			continue
		}
		if newest == nil || f.delivered.After(newest.delivered) {
			newest = &fs[i]
		}
		if !f.delivered.Before(since) {
			match = append(match, f)
		}
	}
	note := ""
	if p.recvDelete && len(match) > 0 {
		if err := sess.remove(ctx, match); err != nil {
			note = "; deleting them failed: " + p.errText(err)
		}
	}
	if err := sess.done(); err != nil && note == "" {
		note = "; deleting them failed: " + p.errText(err)
	}
	res.Metrics = []probe.Metric{{Name: "received", Value: float64(len(match)), Min: "0", Crit: "1:"}}
	if newest != nil {
		res.Metrics = append(res.Metrics, probe.Metric{Name: "newest_age", Value: max(start.Sub(newest.delivered), 0).Seconds(), Unit: "s", Min: "0",
			Crit: strconv.FormatFloat(p.window.Seconds(), 'f', -1, 64)})
	}
	what := p.describeFilter()
	if len(match) == 0 {
		res.Status = probe.Critical
		res.Reason = fmt.Sprintf("no message %s arrived in %s since %s (window %s)", what, p.mailbox, short(since), p.window)
		if newest != nil {
			res.Reason += fmt.Sprintf("; the newest one arrived %s", newest.delivered.UTC().Format("2006-01-02 15:04"))
		}
		return res
	}
	res.Status = probe.OK
	res.Reason = fmt.Sprintf("%s %s in %s within %s; newest arrived %s (%s ago): %q", text.Plural(len(match), "message"), what, p.mailbox, p.window,
		clock(newest.delivered), roundAge(max(start.Sub(newest.delivered), 0)), probe.Clip(newest.subject, 80)) + note
	return res
}

func (p *Prober) describeFilter() string {
	var parts []string
	if p.recvFrom != nil {
		parts = append(parts, "from /"+p.recvFrom.String()+"/")
	}
	if p.recvSubject != nil {
		parts = append(parts, "with subject /"+p.recvSubject.String()+"/")
	}
	return strings.Join(parts, " ")
}

var _ net.Conn = (*mailx.Conn)(nil)

var _ probe.Prober = (*Prober)(nil)
