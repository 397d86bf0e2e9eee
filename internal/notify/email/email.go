// Package email delivers notifications as plain-text mail through an SMTP
// submission server, with STARTTLS (required, not opportunistic), implicit
// TLS or no TLS, and authentication when a username is set. The Message-ID
// is derived from the notification id, so a retried mail is recognisably the
// same message.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

// Default ports and timeout when the channel does not set them.
const (
	DefaultPort        = 587
	DefaultImplicitTLS = 465
	DefaultTimeout     = 30 * time.Second
)

// maxSubjectReason bounds the reason quoted in the subject line.
const maxSubjectReason = 160

// Notifier sends each event as one mail to a fixed list of recipients. It is
// safe for concurrent use: every Notify opens its own connection.
type Notifier struct {
	cfg  config.EmailConfig
	to   []string
	helo string
	// loc is the recipients' timezone; nil shows times in UTC only.
	loc *time.Location
}

// New returns a notifier for the email channel c that writes to the given
// addresses (the channel's `to` plus the people and teams it names,
// resolved by the caller).
func New(c *config.EmailConfig, to []string) *Notifier {
	n := &Notifier{to: append([]string(nil), to...)}
	if c != nil {
		n.cfg = *c
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		n.helo = h
	}
	return n
}

// WithLocation makes the mails show times in loc with UTC beside them, for
// a channel whose recipients share one timezone (see
// config.EmailConfig.Location); nil or UTC shows UTC only. It returns n.
func (n *Notifier) WithLocation(loc *time.Location) *Notifier {
	n.loc = loc
	return n
}

// Notify sends e. A permanent refusal by the server (a 5xx reply, such as
// a rejected address or failed authentication) or a bad address is not
// retried; a temporary one (4xx) and network or TLS failures are.
func (n *Notifier) Notify(ctx context.Context, e notify.Event) (retry bool, err error) {
	where := "email via " + net.JoinHostPort(n.cfg.Host, strconv.Itoa(n.port()))
	if n.cfg.Host == "" {
		return false, errors.New("email: no SMTP host is configured")
	}
	if len(n.to) == 0 && e.To == "" {
		return false, fmt.Errorf("%s: the channel has no recipients", where)
	}
	msg, err := n.message(e)
	if err != nil {
		return false, fmt.Errorf("%s: %w", where, err)
	}
	client, err := n.client()
	if err != nil {
		// Only bad option values end up here; a retry cannot fix them.
		return false, fmt.Errorf("%s: %w", where, err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return true, fmt.Errorf("%s: %w", where, ctxErr)
		}
		return !Permanent(err), fmt.Errorf("%s: %w", where, err)
	}
	return false, nil
}

// Permanent reports whether a send error is a permanent refusal: a 5xx SMTP
// reply anywhere in err's chain. Everything else (4xx replies, network and
// TLS failures) is worth another try.
func Permanent(err error) bool {
	var se *mail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code != 0 {
			return code >= 500
		}
		if se.Reason == mail.ErrGetSender || se.Reason == mail.ErrGetRcpts || se.Reason == mail.ErrNoUnencoded {
			return true
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500
	}
	return false
}

// Subject returns the subject line for e, such as
// "[Tocsin] DOWN: Website (web) — GET https://x/: 503, expected 200".
func Subject(e notify.Event) string {
	if e.Public != nil {
		return statusSubject(e)
	}
	if e.AlertID != 0 {
		return alertSubject(e)
	}
	if e.Digest != nil {
		return "[Tocsin] " + e.Reason
	}
	var b strings.Builder
	b.WriteString("[Tocsin] ")
	b.WriteString(label(e))
	b.WriteString(": ")
	if e.MonitorName != "" && e.MonitorName != e.MonitorID {
		b.WriteString(e.MonitorName)
		b.WriteString(" (")
		b.WriteString(e.MonitorID)
		b.WriteString(")")
	} else {
		b.WriteString(e.MonitorID)
	}
	if r := firstLine(e.Reason); r != "" {
		if len([]rune(r)) > maxSubjectReason {
			r = string([]rune(r)[:maxSubjectReason-1]) + "…"
		}
		b.WriteString(" — ")
		b.WriteString(r)
	}
	return b.String()
}

// Body returns the plain-text body for e, with times in loc and UTC beside
// them (nil: UTC only).
func Body(e notify.Event, loc *time.Location) string {
	if e.Public != nil {
		return statusBody(e)
	}
	if e.AlertID != 0 {
		return alertBody(e, loc)
	}
	if e.Digest != nil {
		return digestBody(e, loc)
	}
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-9s %s\n", k+":", v)
		}
	}
	// more continues the value of the line above, aligned under it.
	more := func(v string) { fmt.Fprintf(&b, "%-9s %s\n", "", v) }
	if e.Event == notify.EventMonitorUp {
		fmt.Fprintf(&b, "%s has recovered and is %s.\n\n", displayName(e), strings.ToUpper(e.Status))
	} else {
		fmt.Fprintf(&b, "%s is %s.\n\n", displayName(e), strings.ToUpper(e.Status))
	}
	line("Monitor", nameAndID(e.MonitorName, e.MonitorID))
	line("Service", nameAndID(e.ServiceName, e.ServiceID))
	for l := range strings.SplitSeq(strings.TrimSpace(e.ServiceDescription), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			more(l)
		}
	}
	for i, o := range e.Owners {
		if i == 0 {
			line("Owners", owner(o))
		} else {
			more(owner(o))
		}
	}
	status := e.Status
	if e.PreviousStatus != "" && e.PreviousStatus != e.Status {
		status = e.PreviousStatus + " → " + e.Status
	}
	if e.Event == notify.EventMonitorFlapping {
		if e.Flapping {
			status += " (flapping started)"
		} else {
			status += " (flapping stopped)"
		}
	}
	line("Status", status)
	line("Event", e.Event)
	line("Time", FormatTime(e.Time, loc))
	line("Link", e.URL)
	if r := strings.TrimSpace(e.Reason); r != "" {
		b.WriteString("\nReason:\n")
		for l := range strings.SplitSeq(r, "\n") {
			b.WriteString("  ")
			b.WriteString(strings.TrimRight(l, "\r"))
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "\n-- \nSent by Tocsin. Notification id %s.\n", e.ID)
	return b.String()
}

// MessageID returns the Message-ID (without angle brackets) of the mail for
// the notification id: the same on every retry.
func MessageID(notificationID, from string) string {
	domain := "tocsin.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 {
		if d := strings.Trim(from[at+1:], "> "); d != "" && validIDPart(d) {
			domain = d
		}
	}
	id := notificationID
	if !validIDPart(id) {
		id = strings.Map(func(r rune) rune {
			if validIDRune(r) {
				return r
			}
			return '-'
		}, id)
	}
	return id + "@" + domain
}

func (n *Notifier) message(e notify.Event) (*mail.Msg, error) {
	m := mail.NewMsg()
	if n.cfg.From == "" {
		return nil, errors.New("no from address is configured")
	}
	if err := m.From(n.cfg.From); err != nil {
		return nil, fmt.Errorf("the from address %q is not valid: %w", n.cfg.From, err)
	}
	to := n.to
	if e.To != "" {
		// A page for one person goes to that person's own address.
		to = []string{e.To}
	}
	if err := m.To(to...); err != nil {
		return nil, fmt.Errorf("a recipient address is not valid: %w", err)
	}
	m.Subject(Subject(e))
	m.SetMessageIDWithValue(MessageID(e.ID, n.cfg.From))
	m.SetDateWithValue(e.Time.UTC())
	m.SetUserAgent("Tocsin")
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetGenHeader("X-Tocsin-Event", e.Event)
	m.SetGenHeader("X-Tocsin-Monitor", e.MonitorID)
	m.SetGenHeader("X-Tocsin-Notification-Id", e.ID)
	if e.Public != nil {
		statusHeaders(m, e)
	}
	m.SetBodyString(mail.TypeTextPlain, Body(e, n.loc))
	return m, nil
}

func (n *Notifier) port() int {
	if n.cfg.Port > 0 {
		return n.cfg.Port
	}
	if strings.EqualFold(n.cfg.TLS, "tls") {
		return DefaultImplicitTLS
	}
	return DefaultPort
}

func (n *Notifier) client() (*mail.Client, error) {
	timeout := n.cfg.Timeout.D()
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	opts := []mail.Option{
		mail.WithPort(n.port()),
		mail.WithTimeout(timeout),
		mail.WithTLSConfig(&tls.Config{
			ServerName:         n.cfg.Host,
			InsecureSkipVerify: n.cfg.InsecureSkipVerify, //nolint:gosec // the operator asked for it
			MinVersion:         tls.VersionTLS12,
		}),
	}
	if n.helo != "" {
		opts = append(opts, mail.WithHELO(n.helo))
	}
	switch strings.ToLower(n.cfg.TLS) {
	case "", "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("tls %q is not one of starttls, tls, none", n.cfg.TLS)
	}
	if n.cfg.Username != "" {
		password, err := n.password()
		if err != nil {
			return nil, err
		}
		auth := mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover)
		if strings.EqualFold(n.cfg.TLS, "none") {
			// go-mail's discovery refuses cleartext mechanisms without
			// TLS; with tls: none the operator chose an unencrypted link
			// (a local relay), so allow them after the hashed ones.
			auth = mail.WithOpportunisticSMTPAuth(mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1,
				mail.SMTPAuthCramMD5, mail.SMTPAuthPlainNoEnc, mail.SMTPAuthLoginNoEnc)
		}
		opts = append(opts, auth, mail.WithUsername(n.cfg.Username), mail.WithPassword(password))
	}
	return mail.NewClient(n.cfg.Host, opts...)
}

// password returns the SMTP password, reading password_file on every send
// so a rotated file takes effect without a reload.
func (n *Notifier) password() (string, error) {
	if n.cfg.Password != "" || n.cfg.PasswordFile == "" {
		return n.cfg.Password, nil
	}
	b, err := os.ReadFile(n.cfg.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("reading the SMTP password: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

func label(e notify.Event) string {
	switch e.Event {
	case notify.EventMonitorDown:
		return "DOWN"
	case notify.EventMonitorUp:
		return "UP"
	case notify.EventMonitorWarning:
		return "WARNING"
	case notify.EventMonitorFlapping:
		if e.Flapping {
			return "FLAPPING"
		}
		return "STOPPED FLAPPING"
	}
	s := e.Event
	if i := strings.LastIndexByte(s, '.'); i >= 0 {
		s = s[i+1:]
	}
	return strings.ToUpper(s)
}

// FormatTime shows t in loc with UTC beside it, such as
// "2025-03-04 14:02:00 CET (13:02:00 UTC)"; the UTC side carries its own
// date when that differs. A nil loc, or a zone that is UTC at t, shows UTC
// only.
func FormatTime(t time.Time, loc *time.Location) string {
	const day, clock = "2006-01-02", "15:04:05"
	u := t.UTC()
	plain := u.Format(day + " " + clock + " UTC")
	if loc == nil {
		return plain
	}
	local := t.In(loc)
	if name, offset := local.Zone(); offset == 0 && (name == "UTC" || name == "GMT" || name == "Z") {
		return plain
	}
	utc := u.Format(clock + " UTC")
	if local.Format(day) != u.Format(day) {
		utc = plain
	}
	return local.Format(day+" "+clock+" MST") + " (" + utc + ")"
}

// owner shows one owner: a person as "Name <address>", a team as
// "Name (team)" followed by its members.
func owner(o catalog.Owner) string {
	s := o.Name
	if s == "" {
		s = o.ID
	}
	if o.Kind == catalog.OwnerTeam {
		s += " (team)"
		if len(o.Members) > 0 {
			names := make([]string, 0, len(o.Members))
			for _, m := range o.Members {
				names = append(names, owner(m))
			}
			s += ": " + strings.Join(names, ", ")
		}
		return s
	}
	if o.Email != "" {
		s += " <" + o.Email + ">"
	}
	return s
}

func displayName(e notify.Event) string {
	if e.MonitorName != "" {
		return e.MonitorName
	}
	return e.MonitorID
}

func nameAndID(name, id string) string {
	switch {
	case id == "":
		return name
	case name == "" || name == id:
		return id
	}
	return name + " (" + id + ")"
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// validIDPart reports whether s can stand on one side of the @ in a
// Message-ID as an RFC 5322 dot-atom.
func validIDPart(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if !validIDRune(r) {
			return false
		}
	}
	return true
}

func validIDRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r)
}

var _ notify.Notifier = (*Notifier)(nil)
