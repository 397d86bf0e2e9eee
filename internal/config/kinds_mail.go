package config

import (
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file holds the blocks of the mail monitor types: mailloop, smtp,
// imap and pop3. The three protocol blocks share the connection fields
// (address, tls, username, password, password_file, tls_config); they are
// spelled out in each block rather than embedded, so every key keeps its own
// YAML path and line in error messages.

// Mail connection security modes, the values of the `tls` key.
const (
	MailTLSNone     = "none"     // plain text (port 25 between servers)
	MailTLSStartTLS = "starttls" // plain, then STARTTLS (required, not opportunistic)
	MailTLSImplicit = "tls"      // TLS from the first byte (465, 993, 995)
)

// Defaults of the mail blocks, applied by the loader.
const (
	DefaultMailLoopMaxDelivery = 10 * time.Minute
	DefaultMailLoopCleanup     = 24 * time.Hour
	DefaultMailLoopWindow      = time.Hour
	DefaultIMAPMailbox         = "INBOX"
	DefaultMailLoopTimeout     = time.Minute
)

// DefaultJunkFolders are the folders a mail loop also searches when
// junk_folders is left out; folders that do not exist are skipped.
var DefaultJunkFolders = []string{"Junk", "Spam", "Junk E-mail"}

// SMTPCheck is the `smtp:` block: a dialogue with an SMTP server up to (but
// never including) DATA.
type SMTPCheck struct {
	Address string `yaml:"address"` // host:port
	// TLS is "none" (default on port 25), "starttls" (default otherwise)
	// or "tls" (implicit, port 465).
	TLS          string    `yaml:"tls"`
	TLSConfig    TLSClient `yaml:"tls_config"`
	Username     string    `yaml:"username"`
	Password     string    `yaml:"password"`
	PasswordFile string    `yaml:"password_file"`
	// Helo is the name sent with EHLO. Default "tocsin.localhost".
	Helo string `yaml:"helo"`
	// MailFrom and RcptTo, when set, test that the server accepts the
	// envelope; the transaction is then reset, nothing is sent.
	MailFrom string     `yaml:"mail_from"`
	RcptTo   []string   `yaml:"rcpt_to"`
	Expect   SMTPExpect `yaml:"expect"`
	// CertMinDays / CertWarnDays grade the certificate as in the tls block
	// (default 7 and 21) when the dialogue used TLS.
	CertMinDays  int `yaml:"cert_min_days"`
	CertWarnDays int `yaml:"cert_warn_days"`
}

// SMTPExpect lists the replies and extensions a healthy server gives.
type SMTPExpect struct {
	// BannerContains must appear in the greeting.
	BannerContains string `yaml:"banner_contains"`
	// Extensions the server must offer after EHLO (e.g. PIPELINING, SIZE).
	Extensions []string `yaml:"extensions"`
	// MailCodes and RcptCodes accepted for MAIL FROM and RCPT TO, as codes
	// or ranges ("250", "250-259"). Default 250 and 250-251.
	MailCodes []string `yaml:"mail_codes"`
	RcptCodes []string `yaml:"rcpt_codes"`
}

// IMAPCheck is the `imap:` block.
type IMAPCheck struct {
	Address string `yaml:"address"` // host:port
	// TLS is "tls" (default, port 993), "starttls" or "none".
	TLS          string    `yaml:"tls"`
	TLSConfig    TLSClient `yaml:"tls_config"`
	Username     string    `yaml:"username"`
	Password     string    `yaml:"password"`
	PasswordFile string    `yaml:"password_file"`
	// Mailbox to select (read-only) after login. Default INBOX. Without
	// username the check stops after the greeting and capabilities.
	Mailbox string        `yaml:"mailbox"`
	Expect  MailboxExpect `yaml:"expect"`
	// CertMinDays / CertWarnDays as in the smtp block.
	CertMinDays  int `yaml:"cert_min_days"`
	CertWarnDays int `yaml:"cert_warn_days"`
}

// POP3Check is the `pop3:` block.
type POP3Check struct {
	Address string `yaml:"address"` // host:port
	// TLS is "tls" (default, port 995), "starttls" (STLS) or "none".
	TLS          string        `yaml:"tls"`
	TLSConfig    TLSClient     `yaml:"tls_config"`
	Username     string        `yaml:"username"`
	Password     string        `yaml:"password"`
	PasswordFile string        `yaml:"password_file"`
	Expect       MailboxExpect `yaml:"expect"`
	CertMinDays  int           `yaml:"cert_min_days"`
	CertWarnDays int           `yaml:"cert_warn_days"`
}

// MailboxExpect bounds what a mailbox holds. Zero values are off.
type MailboxExpect struct {
	MinMessages int `yaml:"min_messages"`
	MaxMessages int `yaml:"max_messages"`
	// NewestMaxAge: the newest message must be younger than this (mail is
	// still arriving). OldestMaxAge: the oldest message must be younger
	// than this (someone reads the mailbox).
	NewestMaxAge Duration `yaml:"newest_max_age"`
	OldestMaxAge Duration `yaml:"oldest_max_age"`
}

// MailLoopCheck is the `mailloop:` block: send a tagged message and find it
// in a mailbox.
type MailLoopCheck struct {
	// Mode is "roundtrip" (default), "send" (send only, for an email
	// heartbeat elsewhere) or "receive" (watch a mailbox only).
	Mode string `yaml:"mode"`
	// From and To are the envelope and header addresses of probe mails.
	From string `yaml:"from"`
	To   string `yaml:"to"`
	// SMTP is where probe mails are submitted (modes roundtrip and send).
	SMTP *MailLoopSMTP `yaml:"smtp"`
	// IMAP or POP3 is the mailbox probe mails are looked for in (modes
	// roundtrip and receive); exactly one.
	IMAP *MailLoopIMAP `yaml:"imap"`
	POP3 *MailLoopPOP3 `yaml:"pop3"`
	// MaxDelivery is how long a probe mail may take before it counts as
	// lost (critical). Default 10m.
	MaxDelivery Duration `yaml:"max_delivery"`
	// Wait is how long one run looks for the mail it just sent before it
	// ends with the mail pending. Default: until 2s before the timeout.
	Wait Duration `yaml:"wait"`
	// LatencyWarning and LatencyCritical grade the delivery latency.
	LatencyWarning  Duration `yaml:"latency_warning"`
	LatencyCritical Duration `yaml:"latency_critical"`
	// CleanupAfter: probe mails of this monitor older than this are deleted
	// from the mailbox even when the bookkeeping does not know them.
	// Default 24h.
	CleanupAfter Duration `yaml:"cleanup_after"`
	// Receive configures the receive mode.
	Receive *MailLoopReceive `yaml:"receive"`
}

// MailLoopSMTP is the submission side of a mail loop.
type MailLoopSMTP struct {
	Address      string    `yaml:"address"`
	TLS          string    `yaml:"tls"`
	TLSConfig    TLSClient `yaml:"tls_config"`
	Username     string    `yaml:"username"`
	Password     string    `yaml:"password"`
	PasswordFile string    `yaml:"password_file"`
	Helo         string    `yaml:"helo"`
}

// MailLoopIMAP is the IMAP mailbox side of a mail loop.
type MailLoopIMAP struct {
	Address      string    `yaml:"address"`
	TLS          string    `yaml:"tls"`
	TLSConfig    TLSClient `yaml:"tls_config"`
	Username     string    `yaml:"username"`
	Password     string    `yaml:"password"`
	PasswordFile string    `yaml:"password_file"`
	Mailbox      string    `yaml:"mailbox"` // default INBOX
	// JunkFolders are searched too; a probe mail found there is a
	// warning. Default Junk, Spam, "Junk E-mail"; [] turns it off.
	JunkFolders []string `yaml:"junk_folders"`
}

// MailLoopPOP3 is the POP3 mailbox side of a mail loop.
type MailLoopPOP3 struct {
	Address      string    `yaml:"address"`
	TLS          string    `yaml:"tls"`
	TLSConfig    TLSClient `yaml:"tls_config"`
	Username     string    `yaml:"username"`
	Password     string    `yaml:"password"`
	PasswordFile string    `yaml:"password_file"`
}

// MailLoopReceive selects the messages a receive-only mail loop waits for.
type MailLoopReceive struct {
	// FromRegex and SubjectRegex must match the From and Subject headers
	// (at least one is required).
	FromRegex    string `yaml:"from_regex"`
	SubjectRegex string `yaml:"subject_regex"`
	// Window: at least one matching message must have arrived within it.
	// Default 1h.
	Window Duration `yaml:"window"`
	// Delete removes the matching messages once seen. Default false.
	Delete bool `yaml:"delete"`
}

// Mail loop modes.
const (
	MailLoopRoundTrip   = "roundtrip"
	MailLoopSend        = "send"
	MailLoopReceiveMode = "receive"
)

var mailTLSModes = map[string]bool{MailTLSNone: true, MailTLSStartTLS: true, MailTLSImplicit: true}

// mailServerProblems checks the connection fields shared by the mail
// blocks. Credentials must come in pairs.
func mailServerProblems(prefix, address, tlsMode string, tc *TLSClient, user, pass string) []FieldError {
	var errs []FieldError
	if msg := AddressProblem(address); msg != "" {
		errs = append(errs, FieldError{Field: prefix + "address", Message: msg})
	}
	if !mailTLSModes[tlsMode] {
		errs = append(errs, FieldError{Field: prefix + "tls", Message: fmt.Sprintf("unknown tls mode %q, expected starttls, tls or none", tlsMode)})
	}
	if tlsMode == MailTLSNone && *tc != (TLSClient{}) {
		errs = append(errs, FieldError{Field: prefix + "tls_config", Message: `tls_config has no effect with tls: none`})
	}
	errs = append(errs, TLSClientProblems(prefix+"tls_config.", tc)...)
	switch {
	case user != "" && pass == "":
		errs = append(errs, FieldError{Field: prefix + "password", Message: "username is given without password (or password_file)"})
	case user == "" && pass != "":
		errs = append(errs, FieldError{Field: prefix + "username", Message: "password is given without username"})
	}
	if strings.ContainsAny(user, "\r\n\x00") {
		errs = append(errs, FieldError{Field: prefix + "username", Message: "username must not contain line breaks or NUL"})
	}
	if strings.ContainsAny(pass, "\r\n\x00") {
		// The value is a secret: never repeat it.
		errs = append(errs, FieldError{Field: prefix + "password", Message: "password must not contain line breaks or NUL"})
	}
	return errs
}

func addressProblem(field, addr string) []FieldError {
	if addr == "" {
		return []FieldError{{Field: field, Message: field + " is required (an email address)"}}
	}
	if a, err := mail.ParseAddress(addr); err != nil || a.Name != "" || strings.ContainsAny(addr, "<>") {
		return []FieldError{{Field: field, Message: fmt.Sprintf("invalid email address %q (write a bare address such as probe@example.org)", addr)}}
	}
	return nil
}

func heloProblem(field, helo string) []FieldError {
	if helo != "" && (strings.ContainsAny(helo, " \t\r\n\x00") || len(helo) > 255) {
		return []FieldError{{Field: field, Message: fmt.Sprintf("%q is not a host name", helo)}}
	}
	return nil
}

func mailboxExpectProblems(prefix string, e *MailboxExpect) []FieldError {
	var errs []FieldError
	if e.MinMessages < 0 {
		errs = append(errs, FieldError{Field: prefix + "min_messages", Message: "must not be negative"})
	}
	if e.MaxMessages < 0 {
		errs = append(errs, FieldError{Field: prefix + "max_messages", Message: "must not be negative"})
	}
	if e.MaxMessages > 0 && e.MinMessages > e.MaxMessages {
		errs = append(errs, FieldError{Field: prefix + "max_messages", Message: fmt.Sprintf("max_messages (%d) is less than min_messages (%d)", e.MaxMessages, e.MinMessages)})
	}
	if e.NewestMaxAge < 0 {
		errs = append(errs, FieldError{Field: prefix + "newest_max_age", Message: "must not be negative"})
	}
	if e.OldestMaxAge < 0 {
		errs = append(errs, FieldError{Field: prefix + "oldest_max_age", Message: "must not be negative"})
	}
	return errs
}

// Validate reports problems in the smtp block.
func (c *SMTPCheck) Validate() []FieldError {
	errs := mailServerProblems("", c.Address, c.TLS, &c.TLSConfig, c.Username, c.Password)
	errs = append(errs, heloProblem("helo", c.Helo)...)
	if c.MailFrom != "" || len(c.RcptTo) > 0 {
		if c.MailFrom == "" {
			errs = append(errs, FieldError{Field: "mail_from", Message: "mail_from is required with rcpt_to (use \"\" only for bounces, which this check does not send)"})
		} else {
			errs = append(errs, addressProblem("mail_from", c.MailFrom)...)
		}
		for i, to := range c.RcptTo {
			errs = append(errs, addressProblem(fmt.Sprintf("rcpt_to[%d]", i), to)...)
		}
	}
	if len(c.Expect.BannerContains) > MaxExpectBytes {
		errs = append(errs, FieldError{Field: "expect.banner_contains", Message: fmt.Sprintf("longer than %d bytes", MaxExpectBytes)})
	}
	for i, x := range c.Expect.Extensions {
		if x == "" || strings.ContainsAny(x, " \t\r\n") {
			errs = append(errs, FieldError{Field: fmt.Sprintf("expect.extensions[%d]", i), Message: fmt.Sprintf("%q is not an extension keyword (such as PIPELINING or SIZE)", x)})
		}
	}
	errs = append(errs, smtpCodeProblems("expect.mail_codes", c.Expect.MailCodes)...)
	errs = append(errs, smtpCodeProblems("expect.rcpt_codes", c.Expect.RcptCodes)...)
	if len(c.Expect.MailCodes) > 0 && c.MailFrom == "" {
		errs = append(errs, FieldError{Field: "expect.mail_codes", Message: "mail_codes has no effect without mail_from"})
	}
	if len(c.Expect.RcptCodes) > 0 && len(c.RcptTo) == 0 {
		errs = append(errs, FieldError{Field: "expect.rcpt_codes", Message: "rcpt_codes has no effect without rcpt_to"})
	}
	errs = append(errs, CertDaysProblems("", c.CertMinDays, c.CertWarnDays)...)
	return errs
}

var reSMTPCode = regexp.MustCompile(`^[2-5][0-9][0-9](-[2-5][0-9][0-9])?$`)

func smtpCodeProblems(field string, codes []string) []FieldError {
	var errs []FieldError
	for i, c := range codes {
		if !reSMTPCode.MatchString(c) || (len(c) == 7 && c[4:] < c[:3]) {
			errs = append(errs, FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Message: fmt.Sprintf("invalid reply code %q, expected a code such as 250 or a range such as 250-259", c)})
		}
	}
	return errs
}

// Validate reports problems in the imap block.
func (c *IMAPCheck) Validate() []FieldError {
	errs := mailServerProblems("", c.Address, c.TLS, &c.TLSConfig, c.Username, c.Password)
	errs = append(errs, mailboxNameProblems("mailbox", c.Mailbox)...)
	errs = append(errs, mailboxExpectProblems("expect.", &c.Expect)...)
	errs = append(errs, CertDaysProblems("", c.CertMinDays, c.CertWarnDays)...)
	return errs
}

// Validate reports problems in the pop3 block.
func (c *POP3Check) Validate() []FieldError {
	errs := mailServerProblems("", c.Address, c.TLS, &c.TLSConfig, c.Username, c.Password)
	errs = append(errs, mailboxExpectProblems("expect.", &c.Expect)...)
	errs = append(errs, CertDaysProblems("", c.CertMinDays, c.CertWarnDays)...)
	return errs
}

func mailboxNameProblems(field, name string) []FieldError {
	if strings.ContainsAny(name, "\r\n\x00*%") {
		return []FieldError{{Field: field, Message: fmt.Sprintf("mailbox name %q must not contain line breaks, NUL, * or %%", name)}}
	}
	return nil
}

// Validate reports problems in the mailloop block.
func (c *MailLoopCheck) Validate() []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	mode := c.Mode
	switch mode {
	case MailLoopRoundTrip, MailLoopSend, MailLoopReceiveMode:
	default:
		add("mode", "unknown mode %q, expected roundtrip, send or receive", c.Mode)
	}
	sends := mode == MailLoopRoundTrip || mode == MailLoopSend
	reads := mode == MailLoopRoundTrip || mode == MailLoopReceiveMode
	if sends {
		errs = append(errs, addressProblem("from", c.From)...)
		errs = append(errs, addressProblem("to", c.To)...)
		if c.SMTP == nil {
			add("smtp", "the %s mode needs an smtp block (where probe mails are submitted)", mode)
		}
	} else if c.SMTP != nil {
		add("smtp", "the smtp block has no effect in the receive mode")
	}
	if s := c.SMTP; s != nil {
		errs = append(errs, mailServerProblems("smtp.", s.Address, s.TLS, &s.TLSConfig, s.Username, s.Password)...)
		errs = append(errs, heloProblem("smtp.helo", s.Helo)...)
	}
	switch {
	case reads && c.IMAP == nil && c.POP3 == nil:
		add("", "the %s mode needs an imap or a pop3 block (the mailbox to look in)", mode)
	case c.IMAP != nil && c.POP3 != nil:
		add("pop3", "give either an imap or a pop3 block, not both")
	case !reads && (c.IMAP != nil || c.POP3 != nil):
		add("", "the send mode only sends; remove the imap/pop3 block or use mode roundtrip")
	}
	if m := c.IMAP; m != nil {
		errs = append(errs, mailServerProblems("imap.", m.Address, m.TLS, &m.TLSConfig, m.Username, m.Password)...)
		if m.Username == "" && m.Password == "" {
			add("imap.username", "username is required")
		}
		errs = append(errs, mailboxNameProblems("imap.mailbox", m.Mailbox)...)
		for i, f := range m.JunkFolders {
			if f == "" {
				add(fmt.Sprintf("imap.junk_folders[%d]", i), "folder name is empty")
			} else {
				errs = append(errs, mailboxNameProblems(fmt.Sprintf("imap.junk_folders[%d]", i), f)...)
			}
		}
	}
	if m := c.POP3; m != nil {
		errs = append(errs, mailServerProblems("pop3.", m.Address, m.TLS, &m.TLSConfig, m.Username, m.Password)...)
		if m.Username == "" && m.Password == "" {
			add("pop3.username", "username is required")
		}
	}
	for _, d := range []struct {
		field string
		v     Duration
	}{{"max_delivery", c.MaxDelivery}, {"cleanup_after", c.CleanupAfter}} {
		if d.v <= 0 {
			add(d.field, "must be longer than zero, not %s", d.v)
		}
	}
	for _, d := range []struct {
		field string
		v     Duration
	}{{"wait", c.Wait}, {"latency_warning", c.LatencyWarning}, {"latency_critical", c.LatencyCritical}} {
		if d.v < 0 {
			add(d.field, "must not be negative")
		}
	}
	if c.LatencyWarning > 0 && c.LatencyCritical > 0 && c.LatencyWarning > c.LatencyCritical {
		add("latency_warning", "latency_warning (%s) is longer than latency_critical (%s)", c.LatencyWarning, c.LatencyCritical)
	}
	if c.LatencyCritical > 0 && c.MaxDelivery > 0 && c.LatencyCritical > c.MaxDelivery {
		add("latency_critical", "latency_critical (%s) is longer than max_delivery (%s): a mail that late is already lost", c.LatencyCritical, c.MaxDelivery)
	}
	if c.MaxDelivery > 0 && c.CleanupAfter > 0 && c.CleanupAfter < c.MaxDelivery {
		add("cleanup_after", "cleanup_after (%s) is shorter than max_delivery (%s): late mails would be deleted unseen", c.CleanupAfter, c.MaxDelivery)
	}
	if mode == MailLoopReceiveMode {
		r := c.Receive
		if r == nil {
			add("receive", "the receive mode needs a receive block (from_regex and/or subject_regex, window)")
		} else {
			if r.FromRegex == "" && r.SubjectRegex == "" {
				add("receive", "set from_regex or subject_regex (or both) to pick the messages to wait for")
			}
			for _, x := range []struct{ field, re string }{{"receive.from_regex", r.FromRegex}, {"receive.subject_regex", r.SubjectRegex}} {
				if x.re != "" {
					if _, err := regexp.Compile(x.re); err != nil {
						add(x.field, "invalid regular expression: %v", err)
					}
				}
			}
			if r.Window <= 0 {
				add("receive.window", "must be longer than zero, not %s", r.Window)
			}
		}
	} else if c.Receive != nil {
		add("receive", "the receive block only applies to mode: receive")
	}
	return errs
}

// defaultMailTLS picks the security mode from the port when none is written:
// the well-known plain ports get their usual mode, anything else TLS (or
// STARTTLS for SMTP submission).
func defaultMailTLS(tlsMode *string, address, proto string) {
	if *tlsMode != "" {
		return
	}
	_, port, _ := net.SplitHostPort(address)
	n, _ := strconv.Atoi(port)
	switch {
	case proto == "smtp" && n == 25:
		*tlsMode = MailTLSNone
	case proto == "smtp" && n == 465:
		*tlsMode = MailTLSImplicit
	case proto == "smtp":
		*tlsMode = MailTLSStartTLS
	case proto == "imap" && n == 143, proto == "pop3" && n == 110:
		*tlsMode = MailTLSStartTLS
	default:
		*tlsMode = MailTLSImplicit
	}
}

// CertDefaults fills in cert_min_days and cert_warn_days as for the tls
// block; written reports whether a key below the block is in the file.
func CertDefaults(minDays, warnDays *int, written func(key string) bool) {
	minSet := *minDays != 0 || written("cert_min_days")
	warnSet := *warnDays != 0 || written("cert_warn_days")
	switch {
	case !minSet && !warnSet:
		*minDays, *warnDays = DefaultTLSCertMinDays, DefaultTLSCertWarnDays
	case !warnSet:
		*warnDays = max(DefaultTLSCertWarnDays, *minDays)
	case !minSet:
		*minDays = max(min(DefaultTLSCertMinDays, *warnDays), 0)
	}
}

// smtpDefaults fills in the defaults of an smtp block; p is the monitor's
// path.
func smtpDefaults(l *loader, m *Monitor, p string) {
	c := m.SMTP
	l.mailServerDefaults(&c.TLS, c.Address, &c.CertMinDays, &c.CertWarnDays, p, "smtp")
}

// imapDefaults fills in the defaults of an imap block.
func imapDefaults(l *loader, m *Monitor, p string) {
	c := m.IMAP
	if c.Mailbox == "" {
		c.Mailbox = DefaultIMAPMailbox
	}
	l.mailServerDefaults(&c.TLS, c.Address, &c.CertMinDays, &c.CertWarnDays, p, "imap")
}

// pop3Defaults fills in the defaults of a pop3 block.
func pop3Defaults(l *loader, m *Monitor, p string) {
	c := m.POP3
	l.mailServerDefaults(&c.TLS, c.Address, &c.CertMinDays, &c.CertWarnDays, p, "pop3")
}

// mailServerDefaults fills in the security mode and certificate limits of
// the smtp, imap or pop3 block (proto) of the monitor at path p.
func (l *loader) mailServerDefaults(tlsMode *string, address string, minDays, warnDays *int, p, proto string) {
	defaultMailTLS(tlsMode, address, proto)
	CertDefaults(minDays, warnDays, func(key string) bool { return l.ix.has(p + "." + proto + "." + key) })
}

// mailLoopDefaults fills in the defaults of a mailloop block.
func mailLoopDefaults(l *loader, m *Monitor, p string) {
	c := m.MailLoop
	q := p + ".mailloop"
	// A run waits for its mail until shortly before the timeout, so
	// the general 10s default is too short for most mail paths.
	if !l.ix.has(p+".timeout") && m.Interval > 0 {
		m.Timeout = Duration(min(DefaultMailLoopTimeout, m.Interval.D()))
	}
	if c.Mode == "" {
		c.Mode = MailLoopRoundTrip
	}
	setDuration(&c.MaxDelivery, DefaultMailLoopMaxDelivery, l.ix.has(q+".max_delivery"))
	setDuration(&c.CleanupAfter, DefaultMailLoopCleanup, l.ix.has(q+".cleanup_after"))
	if s := c.SMTP; s != nil {
		defaultMailTLS(&s.TLS, s.Address, "smtp")
	}
	if s := c.IMAP; s != nil {
		defaultMailTLS(&s.TLS, s.Address, "imap")
		if s.Mailbox == "" {
			s.Mailbox = DefaultIMAPMailbox
		}
		if s.JunkFolders == nil && !l.ix.has(q+".imap.junk_folders") {
			s.JunkFolders = append([]string(nil), DefaultJunkFolders...)
		}
	}
	if s := c.POP3; s != nil {
		defaultMailTLS(&s.TLS, s.Address, "pop3")
	}
	if r := c.Receive; r != nil {
		setDuration(&r.Window, DefaultMailLoopWindow, l.ix.has(q+".receive.window"))
	}
}

// readMailSecrets reads the password_file of every mail block.
func (l *loader) readMailSecrets(cfg *Config) {
	for i := range cfg.Monitors {
		m := &cfg.Monitors[i]
		p := "monitors[" + strconv.Itoa(i) + "]"
		if c := m.SMTP; c != nil {
			l.readSecret(p+".smtp", "password_file", &c.Password, &c.PasswordFile)
		}
		if c := m.IMAP; c != nil {
			l.readSecret(p+".imap", "password_file", &c.Password, &c.PasswordFile)
		}
		if c := m.POP3; c != nil {
			l.readSecret(p+".pop3", "password_file", &c.Password, &c.PasswordFile)
		}
		if c := m.MailLoop; c != nil {
			if s := c.SMTP; s != nil {
				l.readSecret(p+".mailloop.smtp", "password_file", &s.Password, &s.PasswordFile)
			}
			if s := c.IMAP; s != nil {
				l.readSecret(p+".mailloop.imap", "password_file", &s.Password, &s.PasswordFile)
			}
			if s := c.POP3; s != nil {
				l.readSecret(p+".mailloop.pop3", "password_file", &s.Password, &s.PasswordFile)
			}
		}
	}
}

// resolveMailPaths anchors the TLS files of the mail blocks at the config
// file's folder.
func (l *loader) resolveMailPaths(m *Monitor) {
	var clients []*TLSClient
	if c := m.SMTP; c != nil {
		clients = append(clients, &c.TLSConfig)
	}
	if c := m.IMAP; c != nil {
		clients = append(clients, &c.TLSConfig)
	}
	if c := m.POP3; c != nil {
		clients = append(clients, &c.TLSConfig)
	}
	if c := m.MailLoop; c != nil {
		if c.SMTP != nil {
			clients = append(clients, &c.SMTP.TLSConfig)
		}
		if c.IMAP != nil {
			clients = append(clients, &c.IMAP.TLSConfig)
		}
		if c.POP3 != nil {
			clients = append(clients, &c.POP3.TLSConfig)
		}
	}
	for _, t := range clients {
		t.CAFile = l.resolve(t.CAFile)
		t.CertFile = l.resolve(t.CertFile)
		t.KeyFile = l.resolve(t.KeyFile)
	}
}
