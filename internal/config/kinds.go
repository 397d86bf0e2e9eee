package config

// This file holds the type-specific blocks of a monitor. Each block has a
// Validate method returning the problems it finds, keyed by the YAML path
// below the block (for example "expect.body_regex"), so the loader can point
// at the right line.

// FieldError is one problem in a block, relative to the block.
type FieldError struct {
	Field   string // YAML path below the block, "" for the block itself
	Message string
}

// TLSClient configures the client side of TLS for a probe.
type TLSClient struct {
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
}

// HTTPCheck is the `http:` block of a monitor.
type HTTPCheck struct {
	URL     string            `yaml:"url"`
	Method  string            `yaml:"method"` // default GET
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	// FollowRedirects defaults to true.
	FollowRedirects *bool     `yaml:"follow_redirects"`
	TLS             TLSClient `yaml:"tls"`
	// FreshConnection opens a new connection on every run so the connect
	// and TLS timings are measured each time. Default false (keep-alive).
	FreshConnection bool       `yaml:"fresh_connection"`
	Expect          HTTPExpect `yaml:"expect"`
}

// HTTPExpect lists what a healthy response looks like. Every set field must hold.
type HTTPExpect struct {
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
	MaxResponseTime Duration `yaml:"max_response_time"`
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

// TCPCheck is the `tcp:` block: connect, optionally send and expect lines.
type TCPCheck struct {
	Address string `yaml:"address"` // host:port
	Send    string `yaml:"send"`
	// Expect is a substring that must appear in what the server sends
	// (read until found, the timeout, or 64 KiB).
	Expect    string    `yaml:"expect"`
	TLS       bool      `yaml:"tls"` // wrap in TLS before send/expect
	TLSConfig TLSClient `yaml:"tls_config"`
}

// TLSCheck is the `tls:` block: handshake and certificate checks for any
// TCP service, optionally after STARTTLS.
type TLSCheck struct {
	Address string `yaml:"address"` // host:port
	// StartTLS is "", "smtp", "imap" or "pop3".
	StartTLS string    `yaml:"starttls"`
	Client   TLSClient `yaml:"client"`
	// CertMinDays / CertWarnDays as in HTTPExpect. Default min 7, warn 21.
	CertMinDays  int `yaml:"cert_min_days"`
	CertWarnDays int `yaml:"cert_warn_days"`
}

// DNSCheck is the `dns:` block.
type DNSCheck struct {
	Name   string `yaml:"name"`   // the name to query
	Type   string `yaml:"type"`   // A, AAAA, CNAME, MX, TXT, NS, SOA, SRV, PTR, CAA; default A
	Server string `yaml:"server"` // host[:port]; default the system resolver (/etc/resolv.conf)
	// Protocol is "udp" (default), "tcp" or "tcp-tls".
	Protocol string `yaml:"protocol"`
	// Rcode expected, default NOERROR.
	Rcode string `yaml:"rcode"`
	// Expect lists values that must all be in the answer (e.g. IPs, MX
	// hosts, TXT strings). Empty means any answer is fine.
	Expect []string `yaml:"expect"`
}

// monitorBlock is what the loader knows of one monitor type's block: whether
// a monitor has it, the problems in it and the defaults it fills in. The
// prober, the per-host key and the page of each type are the probe kind's
// (internal/probe/kinds); this table is only the configuration side.
type monitorBlock struct {
	name     string
	set      func(m *Monitor) bool
	validate func(m *Monitor) []FieldError
	// defaults, when set, fills in what the block leaves out; p is the
	// monitor's YAML path.
	defaults func(l *loader, m *Monitor, p string)
}

// monitorBlocks lists every monitor type's block, one line per type, in the
// order the messages name them. It is read-only.
var monitorBlocks = []monitorBlock{
	{"http", func(m *Monitor) bool { return m.HTTP != nil }, func(m *Monitor) []FieldError { return m.HTTP.Validate() }, httpDefaults},
	{"tcp", func(m *Monitor) bool { return m.TCP != nil }, func(m *Monitor) []FieldError { return m.TCP.Validate() }, nil},
	{"tls", func(m *Monitor) bool { return m.TLS != nil }, func(m *Monitor) []FieldError { return m.TLS.Validate() }, tlsDefaults},
	{"dns", func(m *Monitor) bool { return m.DNS != nil }, func(m *Monitor) []FieldError { return m.DNS.Validate() }, dnsDefaults},
	{"mailloop", func(m *Monitor) bool { return m.MailLoop != nil }, func(m *Monitor) []FieldError { return m.MailLoop.Validate() }, mailLoopDefaults},
	{"smtp", func(m *Monitor) bool { return m.SMTP != nil }, func(m *Monitor) []FieldError { return m.SMTP.Validate() }, smtpDefaults},
	{"imap", func(m *Monitor) bool { return m.IMAP != nil }, func(m *Monitor) []FieldError { return m.IMAP.Validate() }, imapDefaults},
	{"pop3", func(m *Monitor) bool { return m.POP3 != nil }, func(m *Monitor) []FieldError { return m.POP3.Validate() }, pop3Defaults},
	{"ssh", func(m *Monitor) bool { return m.SSH != nil }, func(m *Monitor) []FieldError { return m.SSH.Validate() }, nil},
	{"sftp", func(m *Monitor) bool { return m.SFTP != nil }, func(m *Monitor) []FieldError { return m.SFTP.Validate() }, sftpDefaults},
	{"icmp", func(m *Monitor) bool { return m.ICMP != nil }, icmpProblems, icmpDefaults},
	{"command", func(m *Monitor) bool { return m.Command != nil }, func(m *Monitor) []FieldError { return m.Command.Validate() }, nil},
}

func blockNames() []string {
	out := make([]string, len(monitorBlocks))
	for i, b := range monitorBlocks {
		out[i] = b.name
	}
	return out
}

// blocks lists the type-specific blocks set on m, by type name.
func (m *Monitor) blocks() []string {
	var out []string
	for _, b := range monitorBlocks {
		if b.set(m) {
			out = append(out, b.name)
		}
	}
	return out
}

// httpDefaults fills in the defaults of an http block.
func httpDefaults(_ *loader, m *Monitor, _ string) {
	h := m.HTTP
	if h.Method == "" {
		h.Method = "GET"
	}
	if h.FollowRedirects == nil {
		follow := true
		h.FollowRedirects = &follow
	}
}

// tlsDefaults fills in the defaults of a tls block.
func tlsDefaults(l *loader, m *Monitor, p string) {
	// A default never contradicts the other value when only one is
	// written: cert_min_days: 30 alone warns from day 30.
	t := m.TLS
	l.certDefaults(&t.CertMinDays, &t.CertWarnDays, p+".tls")
}

// dnsDefaults fills in the defaults of a dns block.
func dnsDefaults(_ *loader, m *Monitor, _ string) {
	d := m.DNS
	if d.Type == "" {
		d.Type = "A"
	}
	if d.Protocol == "" {
		d.Protocol = "udp"
	}
	if d.Rcode == "" {
		d.Rcode = "NOERROR"
	}
}

// TypeName is m's type: Type, or when that is empty the name of its only
// block, as the loader would fill it in. It is "" when neither says.
func (m *Monitor) TypeName() string {
	if m.Type != "" {
		return m.Type
	}
	if b := m.blocks(); len(b) == 1 {
		return b[0]
	}
	return ""
}
