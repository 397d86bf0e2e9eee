package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// This file holds what the probe kinds' blocks share: the TLS client keys
// and their checks, host:port addresses, certificate days and their
// defaults, and joining a block's problems into one error. The checks read
// the files a block names (CA bundles, client certificates), so that a
// missing or broken file is reported at load time with its path.

// MaxExpectBytes bounds substrings a probe must find, so the bounded reads
// can always hold them.
const MaxExpectBytes = 4096

// TLSClientProblems checks a TLS client block and the files it names. The
// prefix is the block's YAML path with a trailing dot.
func TLSClientProblems(prefix string, c *TLSClient) []FieldError {
	var errs []FieldError
	if c.CAFile != "" {
		if pem, err := os.ReadFile(c.CAFile); err != nil {
			errs = append(errs, FieldError{Field: prefix + "ca_file", Message: fmt.Sprintf("cannot read CA file: %v", err)})
		} else if !holdsPEMCerts(pem) {
			errs = append(errs, FieldError{Field: prefix + "ca_file", Message: fmt.Sprintf("CA file %s holds no PEM certificates", c.CAFile)})
		}
	}
	switch {
	case c.CertFile != "" && c.KeyFile == "":
		errs = append(errs, FieldError{Field: prefix + "key_file", Message: "key_file is required with cert_file"})
	case c.KeyFile != "" && c.CertFile == "":
		errs = append(errs, FieldError{Field: prefix + "cert_file", Message: "cert_file is required with key_file"})
	case c.CertFile != "":
		if _, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile); err != nil {
			errs = append(errs, FieldError{Field: prefix + "cert_file", Message: fmt.Sprintf("cannot load client certificate %s with key %s: %v", c.CertFile, c.KeyFile, err)})
		}
	}
	if c.ServerName != "" {
		if _, ok := dns.IsDomainName(c.ServerName); !ok || strings.ContainsAny(c.ServerName, " /:") {
			errs = append(errs, FieldError{Field: prefix + "server_name", Message: fmt.Sprintf("%q is not a valid host name", c.ServerName)})
		}
	}
	return errs
}

// CertDaysProblems checks the cert_min_days and cert_warn_days keys of a
// block; prefix is their YAML path below the block with a trailing dot.
func CertDaysProblems(prefix string, minDays, warnDays int) []FieldError {
	var errs []FieldError
	if minDays < 0 {
		errs = append(errs, FieldError{Field: prefix + "cert_min_days", Message: "must not be negative"})
	}
	if warnDays < 0 {
		errs = append(errs, FieldError{Field: prefix + "cert_warn_days", Message: "must not be negative"})
	}
	if minDays > 0 && warnDays > 0 && warnDays < minDays {
		errs = append(errs, FieldError{Field: prefix + "cert_warn_days", Message: fmt.Sprintf("cert_warn_days (%d) must not be less than cert_min_days (%d)", warnDays, minDays)})
	}
	return errs
}

// AddressProblem checks a host:port address and returns "" when it is fine.
func AddressProblem(addr string) string {
	if addr == "" {
		return "address is required (host:port)"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Sprintf("address %q must be host:port (IPv6 in brackets: [::1]:443)", addr)
	}
	if host == "" {
		return fmt.Sprintf("address %q has no host", addr)
	}
	if !IsPortNumber(port) {
		return fmt.Sprintf("address %q has an invalid port %q", addr, port)
	}
	return ""
}

// IsPortNumber reports whether p is a port from 1 to 65535.
func IsPortNumber(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n <= 65535
}

// holdsPEMCerts reports whether pem holds at least one certificate.
func holdsPEMCerts(pem []byte) bool {
	return x509.NewCertPool().AppendCertsFromPEM(pem)
}

// JoinFieldErrors turns the problems Validate found in a block into one
// error for callers that build a block without the loader (probers built in
// code, `tocsin check`): "http check: expect.body_regex: invalid regular
// expression: …". It returns nil when errs is empty.
func JoinFieldErrors(kind string, errs []FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	parts := make([]string, len(errs))
	for i, e := range errs {
		if e.Field == "" {
			parts[i] = e.Message
		} else {
			parts[i] = e.Field + ": " + e.Message
		}
	}
	return fmt.Errorf("%s check: %s", kind, strings.Join(parts, "; "))
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
