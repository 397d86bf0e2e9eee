package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/tocsin/tocsin/internal/redact"
	"github.com/tocsin/tocsin/internal/spec"
)

// The Validate methods below check one monitor block on its own. They do
// not fill in defaults (the prober does that when it is built), but they do
// read the files a block names (CA bundles, client certificates), so that a
// missing or broken file is reported at load time with its path.

// httpCheckMethods are the request methods an HTTP check may use.
var httpCheckMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true,
	"PATCH": true, "DELETE": true, "OPTIONS": true,
}

// MaxExpectBytes bounds substrings a probe must find, so the bounded reads
// can always hold them.
const MaxExpectBytes = 4096

// Validate reports problems in the http block.
func (c *HTTPCheck) Validate() []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	// Messages show the URL without its credentials (redact).
	switch u, err := url.Parse(c.URL); {
	case c.URL == "":
		add("url", "url is required")
	case err != nil:
		add("url", "invalid URL: %s", urlParseCause(c.URL, err))
	case u.Scheme == "":
		add("url", "URL %q has no scheme, expected http:// or https://", redact.Target(c.URL))
	case u.Scheme != "http" && u.Scheme != "https":
		add("url", "URL scheme %q is not supported, expected http or https", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		add("url", "URL %q has no host", redact.Target(c.URL))
	case u.Port() != "" && !isPortNumber(u.Port()):
		add("url", "URL %q has an invalid port %q", redact.Target(c.URL), u.Port())
	}
	if c.Method != "" && !httpCheckMethods[c.Method] {
		add("method", "unsupported method %q, expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS (upper case)", c.Method)
	}
	for _, name := range sortedHeaderNames(c.Headers) {
		if !isHTTPToken(name) {
			add("headers."+name, "invalid header name %q", name)
		}
		if strings.ContainsAny(c.Headers[name], "\r\n\x00") {
			add("headers."+name, "header value must not contain line breaks or NUL")
		}
	}
	errs = append(errs, TLSClientProblems("tls.", &c.TLS)...)

	e := &c.Expect
	for i, s := range e.Status {
		if _, err := spec.ParseStatusSet(s); err != nil {
			add(fmt.Sprintf("expect.status[%d]", i), "%v", err)
		}
	}
	if len(e.BodyContains) > MaxExpectBytes {
		add("expect.body_contains", "longer than %d bytes", MaxExpectBytes)
	}
	if e.BodyRegex != "" {
		if _, err := regexp.Compile(e.BodyRegex); err != nil {
			add("expect.body_regex", "invalid regular expression: %v", err)
		}
	}
	for i, j := range e.JSON {
		field := fmt.Sprintf("expect.json[%d]", i)
		if j.Path == "" {
			add(field+".path", "path is required")
		} else if _, err := spec.CompileJSONPath(j.Path); err != nil {
			add(field+".path", "invalid JSON path: %v", err)
		}
		if j.Equals != nil && j.Exists != nil && !*j.Exists {
			add(field, "equals and exists: false contradict each other")
		}
	}
	for _, name := range sortedHeaderNames(e.Headers) {
		if !isHTTPToken(name) {
			add("expect.headers."+name, "invalid header name %q", name)
		}
	}
	if e.MaxResponseTime < 0 {
		add("expect.max_response_time", "must not be negative")
	}
	errs = append(errs, certDaysProblems("expect.", e.CertMinDays, e.CertWarnDays)...)
	return errs
}

// StartTLS protocols accepted by the tls block.
var startTLSNames = map[string]bool{"": true, "smtp": true, "imap": true, "pop3": true}

// Validate reports problems in the tls block.
func (c *TLSCheck) Validate() []FieldError {
	var errs []FieldError
	if msg := AddressProblem(c.Address); msg != "" {
		errs = append(errs, FieldError{Field: "address", Message: msg})
	}
	if !startTLSNames[strings.ToLower(c.StartTLS)] {
		errs = append(errs, FieldError{Field: "starttls", Message: fmt.Sprintf("unknown starttls protocol %q, expected smtp, imap or pop3", c.StartTLS)})
	}
	errs = append(errs, TLSClientProblems("client.", &c.Client)...)
	errs = append(errs, certDaysProblems("", c.CertMinDays, c.CertWarnDays)...)
	return errs
}

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

func certDaysProblems(prefix string, minDays, warnDays int) []FieldError {
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
	if !isPortNumber(port) {
		return fmt.Sprintf("address %q has an invalid port %q", addr, port)
	}
	return ""
}

func isPortNumber(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n <= 65535
}

// isHTTPToken reports whether s is an HTTP token (RFC 9110).
func isHTTPToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// urlParseCause says why raw did not parse, without the URL itself. Part
// of a password may be what broke the URL (a '/' or '#' in it): then the
// cause, which quotes that part, is not shown either.
func urlParseCause(raw string, err error) string {
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err
	}
	if strings.Contains(raw, "@") {
		return "the URL holds user info, so why it does not parse is not shown; a '/', '?', '#' or '@' in a password must be percent-encoded (%2F, %3F, %23, %40)"
	}
	return redact.Target(err.Error())
}

func sortedHeaderNames(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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
