package dnsx

import (
	"fmt"
	"net"
	"strings"

	"github.com/miekg/dns"

	"github.com/tocsin/tocsin/internal/config"
)

// Check is the `dns:` block.
type Check struct {
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

// Defaults fills in what the dns block leaves out.
func (c *Check) Defaults(*config.Monitor, func(string) bool) {
	if c.Type == "" {
		c.Type = "A"
	}
	if c.Protocol == "" {
		c.Protocol = "udp"
	}
	if c.Rcode == "" {
		c.Rcode = "NOERROR"
	}
}

// transports are the transports a dns check may use.
var transports = map[string]bool{"": true, "udp": true, "tcp": true, "tcp-tls": true}

// Validate reports problems in the dns block.
func (c *Check) Validate(*config.Monitor) []config.FieldError {
	var errs []config.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, config.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case c.Name == "":
		add("name", "name is required")
	case strings.EqualFold(c.Type, "PTR") && net.ParseIP(c.Name) != nil:
		// An address is turned into its reverse name by the prober.
	default:
		if _, ok := dns.IsDomainName(c.Name); !ok {
			add("name", "%q is not a valid domain name", c.Name)
		}
	}
	if c.Type != "" {
		if _, ok := dns.StringToType[strings.ToUpper(c.Type)]; !ok {
			add("type", "unknown record type %q", c.Type)
		}
	}
	if c.Server != "" {
		if msg := serverProblem(c.Server); msg != "" {
			add("server", "%s", msg)
		}
	}
	if !transports[strings.ToLower(c.Protocol)] {
		add("protocol", "unknown protocol %q, expected udp, tcp or tcp-tls", c.Protocol)
	}
	if c.Rcode != "" {
		if _, ok := dns.StringToRcode[strings.ToUpper(c.Rcode)]; !ok {
			add("rcode", "unknown rcode %q, expected e.g. NOERROR, NXDOMAIN, SERVFAIL, REFUSED", c.Rcode)
		}
	}
	for i, v := range c.Expect {
		if strings.TrimSpace(v) == "" {
			add(fmt.Sprintf("expect[%d]", i), "expected value is empty")
		}
	}
	return errs
}

// serverProblem checks a DNS server, host or host:port.
func serverProblem(s string) string {
	if _, _, err := net.SplitHostPort(s); err == nil {
		return config.AddressProblem(s)
	}
	if strings.Contains(s, ":") && net.ParseIP(s) == nil {
		return fmt.Sprintf("server %q must be host or host:port", s)
	}
	if strings.ContainsAny(s, " /") {
		return fmt.Sprintf("server %q must be host or host:port", s)
	}
	return ""
}

var _ config.Block = (*Check)(nil)
