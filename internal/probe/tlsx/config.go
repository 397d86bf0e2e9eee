package tlsx

import (
	"fmt"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
)

// Check is the `tls:` block: handshake and certificate checks for any
// TCP service, optionally after STARTTLS.
type Check struct {
	Address string `yaml:"address"` // host:port
	// StartTLS is "", "smtp", "imap" or "pop3".
	StartTLS string           `yaml:"starttls"`
	Client   config.TLSClient `yaml:"client"`
	// CertMinDays / CertWarnDays as in HTTPExpect. Default min 7, warn 21.
	CertMinDays  int `yaml:"cert_min_days"`
	CertWarnDays int `yaml:"cert_warn_days"`
}

// StartTLS protocols accepted by the tls block.
var startTLSNames = map[string]bool{"": true, "smtp": true, "imap": true, "pop3": true}

// Validate reports problems in the tls block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	if msg := config.AddressProblem(c.Address); msg != "" {
		errs = append(errs, config.FieldError{Field: "address", Message: msg})
	}
	if !startTLSNames[strings.ToLower(c.StartTLS)] {
		errs = append(errs, config.FieldError{Field: "starttls", Message: fmt.Sprintf("unknown starttls protocol %q, expected smtp, imap or pop3", c.StartTLS)})
	}
	errs = append(errs, config.TLSClientProblems("client.", &c.Client)...)
	errs = append(errs, config.CertDaysProblems("", c.CertMinDays, c.CertWarnDays)...)
	return errs
}

// Defaults fills in what the tls block leaves out. A default never
// contradicts the other value when only one is written: cert_min_days: 30
// alone warns from day 30.
func (c *Check) Defaults(_ *config.Monitor, written func(string) bool) {
	config.CertDefaults(&c.CertMinDays, &c.CertWarnDays, func(key string) bool { return written("tls." + key) })
}

// Files anchors the TLS files the block names.
func (c *Check) Files(f *config.Files) { f.TLS(&c.Client) }

var _ config.FileBlock = (*Check)(nil)
