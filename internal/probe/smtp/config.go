package smtp

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// Check is the `smtp:` block: a dialogue with an SMTP server up to (but
// never including) DATA.
type Check struct {
	Address string `yaml:"address"` // host:port
	// TLS is "none" (default on port 25), "starttls" (default otherwise)
	// or "tls" (implicit, port 465).
	TLS          string           `yaml:"tls"`
	TLSConfig    config.TLSClient `yaml:"tls_config"`
	Username     string           `yaml:"username"`
	Password     string           `yaml:"password"`
	PasswordFile string           `yaml:"password_file"`
	// Helo is the name sent with EHLO. Default "tocsin.localhost".
	Helo string `yaml:"helo"`
	// MailFrom and RcptTo, when set, test that the server accepts the
	// envelope; the transaction is then reset, nothing is sent.
	MailFrom string   `yaml:"mail_from"`
	RcptTo   []string `yaml:"rcpt_to"`
	Expect   Expect   `yaml:"expect"`
	// CertMinDays / CertWarnDays grade the certificate as in the tls block
	// (default 7 and 21) when the dialogue used TLS.
	CertMinDays  int `yaml:"cert_min_days"`
	CertWarnDays int `yaml:"cert_warn_days"`
}

// Expect lists the replies and extensions a healthy server gives.
type Expect struct {
	// BannerContains must appear in the greeting.
	BannerContains string `yaml:"banner_contains"`
	// Extensions the server must offer after EHLO (e.g. PIPELINING, SIZE).
	Extensions []string `yaml:"extensions"`
	// MailCodes and RcptCodes accepted for MAIL FROM and RCPT TO, as codes
	// or ranges ("250", "250-259"). Default 250 and 250-251.
	MailCodes []string `yaml:"mail_codes"`
	RcptCodes []string `yaml:"rcpt_codes"`
}

// Validate reports problems in the smtp block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	errs := mailx.ServerProblems("", c.Address, c.TLS, &c.TLSConfig, c.Username, c.Password)
	errs = append(errs, mailx.HeloProblem("helo", c.Helo)...)
	if c.MailFrom != "" || len(c.RcptTo) > 0 {
		if c.MailFrom == "" {
			errs = append(errs, config.FieldError{Field: "mail_from", Message: "mail_from is required with rcpt_to (use \"\" only for bounces, which this check does not send)"})
		} else {
			errs = append(errs, mailx.EmailProblem("mail_from", c.MailFrom)...)
		}
		for i, to := range c.RcptTo {
			errs = append(errs, mailx.EmailProblem(fmt.Sprintf("rcpt_to[%d]", i), to)...)
		}
	}
	if len(c.Expect.BannerContains) > config.MaxExpectBytes {
		errs = append(errs, config.FieldError{Field: "expect.banner_contains", Message: fmt.Sprintf("longer than %d bytes", config.MaxExpectBytes)})
	}
	for i, x := range c.Expect.Extensions {
		if x == "" || strings.ContainsAny(x, " \t\r\n") {
			errs = append(errs, config.FieldError{Field: fmt.Sprintf("expect.extensions[%d]", i), Message: fmt.Sprintf("%q is not an extension keyword (such as PIPELINING or SIZE)", x)})
		}
	}
	errs = append(errs, smtpCodeProblems("expect.mail_codes", c.Expect.MailCodes)...)
	errs = append(errs, smtpCodeProblems("expect.rcpt_codes", c.Expect.RcptCodes)...)
	if len(c.Expect.MailCodes) > 0 && c.MailFrom == "" {
		errs = append(errs, config.FieldError{Field: "expect.mail_codes", Message: "mail_codes has no effect without mail_from"})
	}
	if len(c.Expect.RcptCodes) > 0 && len(c.RcptTo) == 0 {
		errs = append(errs, config.FieldError{Field: "expect.rcpt_codes", Message: "rcpt_codes has no effect without rcpt_to"})
	}
	errs = append(errs, config.CertDaysProblems("", c.CertMinDays, c.CertWarnDays)...)
	return errs
}

var reSMTPCode = regexp.MustCompile(`^[2-5][0-9][0-9](-[2-5][0-9][0-9])?$`)

func smtpCodeProblems(field string, codes []string) []config.FieldError {
	var errs []config.FieldError
	for i, c := range codes {
		if !reSMTPCode.MatchString(c) || (len(c) == 7 && c[4:] < c[:3]) {
			errs = append(errs, config.FieldError{Field: fmt.Sprintf("%s[%d]", field, i), Message: fmt.Sprintf("invalid reply code %q, expected a code such as 250 or a range such as 250-259", c)})
		}
	}
	return errs
}

// Defaults fills in what the smtp block leaves out.
func (c *Check) Defaults(_ *config.Monitor, written func(string) bool) {
	mailx.ServerDefaults(&c.TLS, c.Address, &c.CertMinDays, &c.CertWarnDays, "smtp", written)
}

// Files reads the password file and anchors the TLS files.
func (c *Check) Files(f *config.Files) {
	mailx.ServerFiles(f, "", &c.Password, &c.PasswordFile, &c.TLSConfig)
}

var _ config.FileBlock = (*Check)(nil)
