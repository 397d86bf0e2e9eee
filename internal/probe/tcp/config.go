package tcp

import (
	"fmt"

	"github.com/tocsin/tocsin/internal/config"
)

// Check is the `tcp:` block: connect, optionally send and expect lines.
type Check struct {
	Address string `yaml:"address"` // host:port
	Send    string `yaml:"send"`
	// Expect is a substring that must appear in what the server sends
	// (read until found, the timeout, or 64 KiB).
	Expect    string           `yaml:"expect"`
	TLS       bool             `yaml:"tls"` // wrap in TLS before send/expect
	TLSConfig config.TLSClient `yaml:"tls_config"`
}

// Defaults fills in what the tcp block leaves out: nothing, every key's
// zero value is its default.
func (c *Check) Defaults(*config.Monitor, func(string) bool) {}

// Files anchors the TLS files the block names.
func (c *Check) Files(f *config.Files) { f.TLS(&c.TLSConfig) }

// Validate reports problems in the tcp block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	if msg := config.AddressProblem(c.Address); msg != "" {
		errs = append(errs, config.FieldError{Field: "address", Message: msg})
	}
	if len(c.Expect) > config.MaxExpectBytes {
		errs = append(errs, config.FieldError{Field: "expect", Message: fmt.Sprintf("longer than %d bytes", config.MaxExpectBytes)})
	}
	if !c.TLS && c.TLSConfig != (config.TLSClient{}) {
		errs = append(errs, config.FieldError{Field: "tls_config", Message: "tls_config has no effect unless tls is true"})
	}
	errs = append(errs, config.TLSClientProblems("tls_config.", &c.TLSConfig)...)
	return errs
}

var _ config.FileBlock = (*Check)(nil)
