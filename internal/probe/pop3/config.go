package pop3

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// Check is the `pop3:` block.
type Check struct {
	Address string `yaml:"address"` // host:port
	// TLS is "tls" (default, port 995), "starttls" (STLS) or "none".
	TLS          string              `yaml:"tls"`
	TLSConfig    config.TLSClient    `yaml:"tls_config"`
	Username     string              `yaml:"username"`
	Password     string              `yaml:"password"`
	PasswordFile string              `yaml:"password_file"`
	Expect       mailx.MailboxExpect `yaml:"expect"`
	CertMinDays  int                 `yaml:"cert_min_days"`
	CertWarnDays int                 `yaml:"cert_warn_days"`
}

// Validate reports problems in the pop3 block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	errs := mailx.ServerProblems("", c.Address, c.TLS, &c.TLSConfig, c.Username, c.Password)
	errs = append(errs, mailx.MailboxExpectProblems("expect.", &c.Expect)...)
	errs = append(errs, config.CertDaysProblems("", c.CertMinDays, c.CertWarnDays)...)
	return errs
}

// Defaults fills in what the pop3 block leaves out.
func (c *Check) Defaults(_ *config.Monitor, written func(string) bool) {
	mailx.ServerDefaults(&c.TLS, c.Address, &c.CertMinDays, &c.CertWarnDays, "pop3", written)
}

// Files reads the password file and anchors the TLS files.
func (c *Check) Files(f *config.Files) {
	mailx.ServerFiles(f, "", &c.Password, &c.PasswordFile, &c.TLSConfig)
}

var _ config.FileBlock = (*Check)(nil)
