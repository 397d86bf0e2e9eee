package httpx

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/redact"
	"github.com/tocsin/tocsin/internal/spec"
)

// Check is the `http:` block of a monitor.
type Check struct {
	URL     string            `yaml:"url"`
	Method  string            `yaml:"method"` // default GET
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	// FollowRedirects defaults to true.
	FollowRedirects *bool            `yaml:"follow_redirects"`
	TLS             config.TLSClient `yaml:"tls"`
	// FreshConnection opens a new connection on every run so the connect
	// and TLS timings are measured each time. Default false (keep-alive).
	FreshConnection bool   `yaml:"fresh_connection"`
	Expect          Expect `yaml:"expect"`
}

// Expect lists what a healthy response looks like. Every set field must hold.
type Expect struct {
	// Status codes accepted; default 200-399 when empty. Entries may be
	// single codes (200) or ranges ("200-299").
	Status       []string     `yaml:"status"`
	BodyContains string       `yaml:"body_contains"`
	BodyRegex    string       `yaml:"body_regex"`
	JSON         []JSONExpect `yaml:"json"`
	// Headers that must be present; a non-empty value must match exactly
	// (case-insensitive name).
	Headers map[string]string `yaml:"headers"`
	// MaxResponseTime above which the result is a warning (critical if it
	// exceeds the timeout anyway).
	MaxResponseTime config.Duration `yaml:"max_response_time"`
	// CertMinDays: fewer days than this until the certificate expires is
	// critical; CertWarnDays is a warning.
	CertMinDays  int `yaml:"cert_min_days"`
	CertWarnDays int `yaml:"cert_warn_days"`
}

// JSONExpect checks one value in a JSON body.
type JSONExpect struct {
	// Path is a JSON path such as "$.status" or "$.items[0].name".
	Path string `yaml:"path"`
	// Equals compares the value's text form ("ok", "3", "true").
	Equals *string `yaml:"equals"`
	// Exists requires the path to be present (default when Equals is unset).
	Exists *bool `yaml:"exists"`
}

// httpCheckMethods are the request methods an HTTP check may use.
var httpCheckMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true,
	"PATCH": true, "DELETE": true, "OPTIONS": true,
}

// Validate reports problems in the http block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
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
	case u.Port() != "" && !config.IsPortNumber(u.Port()):
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
	errs = append(errs, config.TLSClientProblems("tls.", &c.TLS)...)

	e := &c.Expect
	for i, s := range e.Status {
		if _, err := spec.ParseStatusSet(s); err != nil {
			add(fmt.Sprintf("expect.status[%d]", i), "%v", err)
		}
	}
	if len(e.BodyContains) > config.MaxExpectBytes {
		add("expect.body_contains", "longer than %d bytes", config.MaxExpectBytes)
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
	errs = append(errs, config.CertDaysProblems("expect.", e.CertMinDays, e.CertWarnDays)...)
	return errs
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

// Defaults fills in what the http block leaves out.
func (c *Check) Defaults(*config.Monitor, func(string) bool) {
	if c.Method == "" {
		c.Method = "GET"
	}
	if c.FollowRedirects == nil {
		follow := true
		c.FollowRedirects = &follow
	}
}

// Files anchors the TLS files the block names.
func (c *Check) Files(f *config.Files) { f.TLS(&c.TLS) }

var _ config.FileBlock = (*Check)(nil)
