package mailloop

import (
	"fmt"
	"regexp"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// Defaults of the mailloop block.
const (
	DefaultMaxDelivery = 10 * time.Minute
	DefaultCleanup     = 24 * time.Hour
	DefaultWindow      = time.Hour
	// DefaultTimeout replaces the general 10s default of a mail loop's
	// monitor: a run waits for its mail until shortly before the timeout,
	// which is too short for most mail paths.
	DefaultTimeout = time.Minute
)

// DefaultJunkFolders are the folders a mail loop also searches when
// junk_folders is left out; folders that do not exist are skipped.
var DefaultJunkFolders = []string{"Junk", "Spam", "Junk E-mail"}

// Check is the `mailloop:` block: send a tagged message and find it
// in a mailbox.
type Check struct {
	// Mode is "roundtrip" (default), "send" (send only, for an email
	// heartbeat elsewhere) or "receive" (watch a mailbox only).
	Mode string `yaml:"mode"`
	// From and To are the envelope and header addresses of probe mails.
	From string `yaml:"from"`
	To   string `yaml:"to"`
	// SMTP is where probe mails are submitted (modes roundtrip and send).
	SMTP *SMTP `yaml:"smtp"`
	// IMAP or POP3 is the mailbox probe mails are looked for in (modes
	// roundtrip and receive); exactly one.
	IMAP *IMAP `yaml:"imap"`
	POP3 *POP3 `yaml:"pop3"`
	// MaxDelivery is how long a probe mail may take before it counts as
	// lost (critical). Default 10m.
	MaxDelivery config.Duration `yaml:"max_delivery"`
	// Wait is how long one run looks for the mail it just sent before it
	// ends with the mail pending. Default: until 2s before the timeout.
	Wait config.Duration `yaml:"wait"`
	// LatencyWarning and LatencyCritical grade the delivery latency.
	LatencyWarning  config.Duration `yaml:"latency_warning"`
	LatencyCritical config.Duration `yaml:"latency_critical"`
	// CleanupAfter: probe mails of this monitor older than this are deleted
	// from the mailbox even when the bookkeeping does not know them.
	// Default 24h.
	CleanupAfter config.Duration `yaml:"cleanup_after"`
	// Receive configures the receive mode.
	Receive *Receive `yaml:"receive"`
}

// SMTP is the submission side of a mail loop.
type SMTP struct {
	Address      string           `yaml:"address"`
	TLS          string           `yaml:"tls"`
	TLSConfig    config.TLSClient `yaml:"tls_config"`
	Username     string           `yaml:"username"`
	Password     string           `yaml:"password"`
	PasswordFile string           `yaml:"password_file"`
	Helo         string           `yaml:"helo"`
}

// IMAP is the IMAP mailbox side of a mail loop.
type IMAP struct {
	Address      string           `yaml:"address"`
	TLS          string           `yaml:"tls"`
	TLSConfig    config.TLSClient `yaml:"tls_config"`
	Username     string           `yaml:"username"`
	Password     string           `yaml:"password"`
	PasswordFile string           `yaml:"password_file"`
	Mailbox      string           `yaml:"mailbox"` // default INBOX
	// JunkFolders are searched too; a probe mail found there is a
	// warning. Default Junk, Spam, "Junk E-mail"; [] turns it off.
	JunkFolders []string `yaml:"junk_folders"`
}

// POP3 is the POP3 mailbox side of a mail loop.
type POP3 struct {
	Address      string           `yaml:"address"`
	TLS          string           `yaml:"tls"`
	TLSConfig    config.TLSClient `yaml:"tls_config"`
	Username     string           `yaml:"username"`
	Password     string           `yaml:"password"`
	PasswordFile string           `yaml:"password_file"`
}

// Receive selects the messages a receive-only mail loop waits for.
type Receive struct {
	// FromRegex and SubjectRegex must match the From and Subject headers
	// (at least one is required).
	FromRegex    string `yaml:"from_regex"`
	SubjectRegex string `yaml:"subject_regex"`
	// Window: at least one matching message must have arrived within it.
	// Default 1h.
	Window config.Duration `yaml:"window"`
	// Delete removes the matching messages once seen. Default false.
	Delete bool `yaml:"delete"`
}

// Modes of a mail loop.
const (
	RoundTrip   = "roundtrip"
	Send        = "send"
	ReceiveMode = "receive"
)

// Validate reports problems in the mailloop block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	mode := c.Mode
	switch mode {
	case RoundTrip, Send, ReceiveMode:
	default:
		add("mode", "unknown mode %q, expected roundtrip, send or receive", c.Mode)
	}
	sends := mode == RoundTrip || mode == Send
	reads := mode == RoundTrip || mode == ReceiveMode
	if sends {
		errs = append(errs, mailx.EmailProblem("from", c.From)...)
		errs = append(errs, mailx.EmailProblem("to", c.To)...)
		if c.SMTP == nil {
			add("smtp", "the %s mode needs an smtp block (where probe mails are submitted)", mode)
		}
	} else if c.SMTP != nil {
		add("smtp", "the smtp block has no effect in the receive mode")
	}
	if s := c.SMTP; s != nil {
		errs = append(errs, mailx.ServerProblems("smtp.", s.Address, s.TLS, &s.TLSConfig, s.Username, s.Password)...)
		errs = append(errs, mailx.HeloProblem("smtp.helo", s.Helo)...)
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
		errs = append(errs, mailx.ServerProblems("imap.", m.Address, m.TLS, &m.TLSConfig, m.Username, m.Password)...)
		if m.Username == "" && m.Password == "" {
			add("imap.username", "username is required")
		}
		errs = append(errs, mailx.MailboxNameProblems("imap.mailbox", m.Mailbox)...)
		for i, f := range m.JunkFolders {
			if f == "" {
				add(fmt.Sprintf("imap.junk_folders[%d]", i), "folder name is empty")
			} else {
				errs = append(errs, mailx.MailboxNameProblems(fmt.Sprintf("imap.junk_folders[%d]", i), f)...)
			}
		}
	}
	if m := c.POP3; m != nil {
		errs = append(errs, mailx.ServerProblems("pop3.", m.Address, m.TLS, &m.TLSConfig, m.Username, m.Password)...)
		if m.Username == "" && m.Password == "" {
			add("pop3.username", "username is required")
		}
	}
	for _, d := range []struct {
		field string
		v     config.Duration
	}{{"max_delivery", c.MaxDelivery}, {"cleanup_after", c.CleanupAfter}} {
		if d.v <= 0 {
			add(d.field, "must be longer than zero, not %s", d.v)
		}
	}
	for _, d := range []struct {
		field string
		v     config.Duration
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
	if mode == ReceiveMode {
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

// Defaults fills in what the mailloop block leaves out, and the timeout of
// its monitor when that is left out.
func (c *Check) Defaults(m *config.Monitor, written func(string) bool) {
	if !written("timeout") && m.Interval > 0 {
		m.Timeout = config.Duration(min(DefaultTimeout, m.Interval.D()))
	}
	if c.Mode == "" {
		c.Mode = RoundTrip
	}
	if c.MaxDelivery == 0 && !written("mailloop.max_delivery") {
		c.MaxDelivery = config.Duration(DefaultMaxDelivery)
	}
	if c.CleanupAfter == 0 && !written("mailloop.cleanup_after") {
		c.CleanupAfter = config.Duration(DefaultCleanup)
	}
	if s := c.SMTP; s != nil {
		mailx.DefaultTLS(&s.TLS, s.Address, "smtp")
	}
	if s := c.IMAP; s != nil {
		mailx.DefaultTLS(&s.TLS, s.Address, "imap")
		if s.Mailbox == "" {
			s.Mailbox = mailx.DefaultMailbox
		}
		if s.JunkFolders == nil && !written("mailloop.imap.junk_folders") {
			s.JunkFolders = append([]string(nil), DefaultJunkFolders...)
		}
	}
	if s := c.POP3; s != nil {
		mailx.DefaultTLS(&s.TLS, s.Address, "pop3")
	}
	if r := c.Receive; r != nil && r.Window == 0 && !written("mailloop.receive.window") {
		r.Window = config.Duration(DefaultWindow)
	}
}

// Files reads the password files of the submission and mailbox sides and
// anchors their TLS files.
func (c *Check) Files(f *config.Files) {
	if s := c.SMTP; s != nil {
		mailx.ServerFiles(f, "smtp.", &s.Password, &s.PasswordFile, &s.TLSConfig)
	}
	if s := c.IMAP; s != nil {
		mailx.ServerFiles(f, "imap.", &s.Password, &s.PasswordFile, &s.TLSConfig)
	}
	if s := c.POP3; s != nil {
		mailx.ServerFiles(f, "pop3.", &s.Password, &s.PasswordFile, &s.TLSConfig)
	}
}

var _ config.FileBlock = (*Check)(nil)
