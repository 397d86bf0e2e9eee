package mailx

import (
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
)

// This file holds what the mail blocks (smtp, imap, pop3 and the two sides
// of mailloop) share: the security modes, the connection keys' checks and
// defaults, and the mailbox bounds.

// Mail connection security modes, the values of the `tls` key.
const (
	TLSNone     = "none"     // plain text (port 25 between servers)
	TLSStartTLS = "starttls" // plain, then STARTTLS (required, not opportunistic)
	TLSImplicit = "tls"      // TLS from the first byte (465, 993, 995)
)

var tlsModes = map[string]bool{TLSNone: true, TLSStartTLS: true, TLSImplicit: true}

// MailboxExpect bounds what a mailbox holds. Zero values are off.
type MailboxExpect struct {
	MinMessages int `yaml:"min_messages"`
	MaxMessages int `yaml:"max_messages"`
	// NewestMaxAge: the newest message must be younger than this (mail is
	// still arriving). OldestMaxAge: the oldest message must be younger
	// than this (someone reads the mailbox).
	NewestMaxAge config.Duration `yaml:"newest_max_age"`
	OldestMaxAge config.Duration `yaml:"oldest_max_age"`
}

// ServerProblems checks the connection fields shared by the mail
// blocks. Credentials must come in pairs.
func ServerProblems(prefix, address, tlsMode string, tc *config.TLSClient, user, pass string) []config.FieldError {
	var errs []config.FieldError
	if msg := config.AddressProblem(address); msg != "" {
		errs = append(errs, config.FieldError{Field: prefix + "address", Message: msg})
	}
	if !tlsModes[tlsMode] {
		errs = append(errs, config.FieldError{Field: prefix + "tls", Message: fmt.Sprintf("unknown tls mode %q, expected starttls, tls or none", tlsMode)})
	}
	if tlsMode == TLSNone && *tc != (config.TLSClient{}) {
		errs = append(errs, config.FieldError{Field: prefix + "tls_config", Message: `tls_config has no effect with tls: none`})
	}
	errs = append(errs, config.TLSClientProblems(prefix+"tls_config.", tc)...)
	switch {
	case user != "" && pass == "":
		errs = append(errs, config.FieldError{Field: prefix + "password", Message: "username is given without password (or password_file)"})
	case user == "" && pass != "":
		errs = append(errs, config.FieldError{Field: prefix + "username", Message: "password is given without username"})
	}
	if strings.ContainsAny(user, "\r\n\x00") {
		errs = append(errs, config.FieldError{Field: prefix + "username", Message: "username must not contain line breaks or NUL"})
	}
	if strings.ContainsAny(pass, "\r\n\x00") {
		// The value is a secret: never repeat it.
		errs = append(errs, config.FieldError{Field: prefix + "password", Message: "password must not contain line breaks or NUL"})
	}
	return errs
}

// EmailProblem checks a bare email address at field.
func EmailProblem(field, addr string) []config.FieldError {
	if addr == "" {
		return []config.FieldError{{Field: field, Message: field + " is required (an email address)"}}
	}
	if a, err := mail.ParseAddress(addr); err != nil || a.Name != "" || strings.ContainsAny(addr, "<>") {
		return []config.FieldError{{Field: field, Message: fmt.Sprintf("invalid email address %q (write a bare address such as probe@example.org)", addr)}}
	}
	return nil
}

// HeloProblem checks the name sent with EHLO.
func HeloProblem(field, helo string) []config.FieldError {
	if helo != "" && (strings.ContainsAny(helo, " \t\r\n\x00") || len(helo) > 255) {
		return []config.FieldError{{Field: field, Message: fmt.Sprintf("%q is not a host name", helo)}}
	}
	return nil
}

// MailboxExpectProblems checks the bounds of a mailbox; prefix is their
// YAML path below the block with a trailing dot.
func MailboxExpectProblems(prefix string, e *MailboxExpect) []config.FieldError {
	var errs []config.FieldError
	if e.MinMessages < 0 {
		errs = append(errs, config.FieldError{Field: prefix + "min_messages", Message: "must not be negative"})
	}
	if e.MaxMessages < 0 {
		errs = append(errs, config.FieldError{Field: prefix + "max_messages", Message: "must not be negative"})
	}
	if e.MaxMessages > 0 && e.MinMessages > e.MaxMessages {
		errs = append(errs, config.FieldError{Field: prefix + "max_messages", Message: fmt.Sprintf("max_messages (%d) is less than min_messages (%d)", e.MaxMessages, e.MinMessages)})
	}
	if e.NewestMaxAge < 0 {
		errs = append(errs, config.FieldError{Field: prefix + "newest_max_age", Message: "must not be negative"})
	}
	if e.OldestMaxAge < 0 {
		errs = append(errs, config.FieldError{Field: prefix + "oldest_max_age", Message: "must not be negative"})
	}
	return errs
}

// MailboxNameProblems checks a mailbox name at field.
func MailboxNameProblems(field, name string) []config.FieldError {
	if strings.ContainsAny(name, "\r\n\x00*%") {
		return []config.FieldError{{Field: field, Message: fmt.Sprintf("mailbox name %q must not contain line breaks, NUL, * or %%", name)}}
	}
	return nil
}

// DefaultTLS picks the security mode from the port when none is written:
// the well-known plain ports get their usual mode, anything else TLS (or
// STARTTLS for SMTP submission).
func DefaultTLS(tlsMode *string, address, proto string) {
	if *tlsMode != "" {
		return
	}
	_, port, _ := net.SplitHostPort(address)
	n, _ := strconv.Atoi(port)
	switch {
	case proto == "smtp" && n == 25:
		*tlsMode = TLSNone
	case proto == "smtp" && n == 465:
		*tlsMode = TLSImplicit
	case proto == "smtp":
		*tlsMode = TLSStartTLS
	case proto == "imap" && n == 143, proto == "pop3" && n == 110:
		*tlsMode = TLSStartTLS
	default:
		*tlsMode = TLSImplicit
	}
}

// DefaultMailbox is the mailbox a check selects when none is written.
const DefaultMailbox = "INBOX"

// ServerDefaults fills in the security mode and certificate limits of the
// smtp, imap or pop3 block (proto); written reports whether a key below the
// monitor is in the file.
func ServerDefaults(tlsMode *string, address string, minDays, warnDays *int, proto string, written func(string) bool) {
	DefaultTLS(tlsMode, address, proto)
	config.CertDefaults(minDays, warnDays, func(key string) bool { return written(proto + "." + key) })
}

// ServerFiles reads the password_file of a connection block at prefix
// (below the block, with a trailing dot, "" for the block itself) and
// anchors its TLS files.
func ServerFiles(f *config.Files, prefix string, password, passwordFile *string, tc *config.TLSClient) {
	f.Secret(prefix+"password_file", password, passwordFile)
	f.TLS(tc)
}
