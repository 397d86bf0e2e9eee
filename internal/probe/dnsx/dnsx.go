// Package dnsx is the DNS probe: one query of one record type to one
// server, over UDP, TCP or DNS over TLS, checking the response code and that
// every expected value is in the answer.
package dnsx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
)

// ResolvConf is where the system resolver is read from when a check names
// no server.
const ResolvConf = "/etc/resolv.conf"

// udpSize is the EDNS0 buffer size advertised over UDP (the DNS flag day
// 2020 recommendation); larger answers come back truncated and are asked
// again over TCP.
const udpSize = 1232

// Prober runs the dns check of one monitor.
type Prober struct {
	qname    string // fully qualified
	qtype    uint16
	server   string // host:port
	label    string // "dns example.org A @127.0.0.1:53" for reasons
	client   *dns.Client
	tcp      *dns.Client // retry client for truncated UDP answers; nil otherwise
	rcode    int
	expect   []string
	now      func() time.Time
	protocol string
}

// New provisions a dns prober: defaults (type A, udp, NOERROR, the system
// resolver) are filled in and names are parsed once.
func New(c *Check) (*Prober, error) {
	return newProber(c, ResolvConf)
}

func newProber(c *Check, resolvConf string) (*Prober, error) {
	if c == nil {
		return nil, errors.New("dns check has no dns block")
	}
	if err := config.JoinFieldErrors("dns", c.Validate(nil)); err != nil {
		return nil, err
	}
	typeName := strings.ToUpper(c.Type)
	if typeName == "" {
		typeName = "A"
	}
	qtype := dns.StringToType[typeName]
	qname := c.Name
	if qtype == dns.TypePTR && net.ParseIP(qname) != nil {
		rev, err := dns.ReverseAddr(qname)
		if err != nil {
			return nil, fmt.Errorf("dns check: reverse name of %s: %w", qname, err)
		}
		qname = rev
	}
	protocol := strings.ToLower(c.Protocol)
	if protocol == "" {
		protocol = "udp"
	}
	rcodeName := strings.ToUpper(c.Rcode)
	if rcodeName == "" {
		rcodeName = "NOERROR"
	}
	server, err := serverAddress(c.Server, protocol, resolvConf)
	if err != nil {
		return nil, err
	}
	// The context's deadline is the only time limit; miekg/dns would
	// otherwise cap every read at two seconds.
	const noLimit = 24 * time.Hour
	p := &Prober{
		qname:    dns.Fqdn(qname),
		qtype:    qtype,
		server:   server,
		label:    fmt.Sprintf("dns %s %s @%s", strings.TrimSuffix(c.Name, "."), typeName, server),
		client:   &dns.Client{Net: protocol, Timeout: noLimit, UDPSize: udpSize},
		rcode:    dns.StringToRcode[rcodeName],
		protocol: protocol,
		now:      time.Now,
	}
	if protocol == "udp" {
		p.tcp = &dns.Client{Net: "tcp", Timeout: noLimit}
	}
	if protocol == "tcp-tls" {
		host, _, _ := net.SplitHostPort(server)
		conf, err := tlsx.ClientConfig(nil, host)
		if err != nil {
			return nil, err
		}
		conf.MinVersion = tls.VersionTLS12
		p.client.Net = "tcp-tls"
		p.client.TLSConfig = conf
	}
	for _, e := range c.Expect {
		p.expect = append(p.expect, strings.TrimSpace(e))
	}
	return p, nil
}

// serverAddress returns host:port for the configured server, or the first
// nameserver of resolvConf when none is configured.
func serverAddress(server, protocol, resolvConf string) (string, error) {
	port := "53"
	if protocol == "tcp-tls" {
		port = "853"
	}
	if server == "" {
		cc, err := dns.ClientConfigFromFile(resolvConf)
		if err != nil {
			return "", fmt.Errorf("dns check names no server and the system resolver is unknown: %w", err)
		}
		if len(cc.Servers) == 0 {
			return "", fmt.Errorf("dns check names no server and %s lists no nameserver", resolvConf)
		}
		if protocol != "tcp-tls" && cc.Port != "" {
			port = cc.Port
		}
		server = cc.Servers[0]
	}
	if _, _, err := net.SplitHostPort(server); err == nil {
		return server, nil
	}
	return net.JoinHostPort(strings.Trim(server, "[]"), port), nil
}

// Probe sends the query once (again over TCP if a UDP answer was
// truncated) and checks the answer.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	// The exchanges fill in the timing themselves: no trace.
	run := probe.Begin(p.now, p.label+": ", nil)
	start, res, finish, fail := run.Start, &run.Res, run.Finish, run.Fail

	m := new(dns.Msg)
	m.SetQuestion(p.qname, p.qtype)
	m.RecursionDesired = true
	if p.protocol == "udp" {
		m.SetEdns0(udpSize, false)
	}
	r, err := p.exchange(ctx, p.client, m, &res.Timing)
	if err == nil && r.Truncated && p.tcp != nil {
		r, err = p.exchange(ctx, p.tcp, m, &res.Timing)
	}
	elapsed := probe.FormatDuration(p.now().Sub(start))
	if err != nil {
		reason := probe.ErrorReason(err)
		if reason == "timed out" {
			reason += " after " + elapsed
		}
		return fail(probe.FailureStatus(err), reason)
	}
	res.Metrics = []probe.Metric{{Name: "answers", Value: float64(len(r.Answer)), Min: "0"}}
	if r.Rcode != p.rcode {
		return fail(probe.Critical, fmt.Sprintf("%s, expected %s", rcodeName(r.Rcode), rcodeName(p.rcode)))
	}
	got := answerText(r.Answer, p.qtype)
	var missing []string
	for _, e := range p.expect {
		if !answerHas(r.Answer, e) {
			missing = append(missing, e)
		}
	}
	if len(missing) > 0 {
		shown := "no answer"
		if len(got) > 0 {
			shown = probe.Clip(strings.Join(got, ", "), 200)
		}
		return fail(probe.Critical, fmt.Sprintf("got %s, expected %s", shown, strings.Join(missing, ", ")))
	}
	switch {
	case p.rcode != dns.RcodeSuccess:
		return finish(probe.OK, fmt.Sprintf("%s in %s", rcodeName(r.Rcode), elapsed))
	case len(got) == 0:
		return finish(probe.OK, "no answer records in "+elapsed)
	default:
		return finish(probe.OK, fmt.Sprintf("got %s in %s", probe.Clip(strings.Join(got, ", "), 200), elapsed))
	}
}

// exchange sends m with c, recording the connect time and the round trip,
// and makes cancelling ctx interrupt a pending read.
func (p *Prober) exchange(ctx context.Context, c *dns.Client, m *dns.Msg, t *probe.Timing) (*dns.Msg, error) {
	dialStart := p.now()
	conn, err := c.DialContext(ctx, p.server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	t.Connect += p.now().Sub(dialStart)
	stop := tlsx.BindDeadline(ctx, conn)
	defer stop()
	r, rtt, err := c.ExchangeWithConnContext(ctx, m, conn)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	t.FirstByte += rtt
	return r, nil
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rc)
}

// answerText lists the answers for the reason: the records of the queried
// type, or every record when there are none of that type.
func answerText(answer []dns.RR, qtype uint16) []string {
	var out, all []string
	for _, rr := range answer {
		v := primaryValue(rr)
		all = append(all, v)
		if rr.Header().Rrtype == qtype {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return all
	}
	return out
}

// primaryValue is the short text of a record: the address, the target
// name, the joined TXT strings.
func primaryValue(rr dns.RR) string {
	switch v := rr.(type) {
	case *dns.A:
		return v.A.String()
	case *dns.AAAA:
		return v.AAAA.String()
	case *dns.CNAME:
		return strings.TrimSuffix(v.Target, ".")
	case *dns.NS:
		return strings.TrimSuffix(v.Ns, ".")
	case *dns.PTR:
		return strings.TrimSuffix(v.Ptr, ".")
	case *dns.MX:
		return strings.TrimSuffix(v.Mx, ".")
	case *dns.SRV:
		return strings.TrimSuffix(v.Target, ".")
	case *dns.SOA:
		return strings.TrimSuffix(v.Ns, ".")
	case *dns.TXT:
		return strings.Join(v.Txt, "")
	case *dns.CAA:
		return v.Value
	default:
		return recordData(rr)
	}
}

// recordData is the presentation form of the record's data, without the
// owner name, TTL, class and type: "10 mail.example.org.".
func recordData(rr dns.RR) string {
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}

// answerHas reports whether want matches any record, either its short
// value or its full data ("10 mail.example.org"). Names compare without
// case or trailing dot, addresses by value; TXT strings compare exactly.
func answerHas(answer []dns.RR, want string) bool {
	for _, rr := range answer {
		if _, isTXT := rr.(*dns.TXT); isTXT {
			if primaryValue(rr) == want || recordData(rr) == want {
				return true
			}
			continue
		}
		if sameValue(primaryValue(rr), want) || sameValue(recordData(rr), want) {
			return true
		}
	}
	return false
}

func sameValue(got, want string) bool {
	if a, err := netip.ParseAddr(got); err == nil {
		b, err := netip.ParseAddr(want)
		return err == nil && a == b
	}
	return strings.EqualFold(strings.TrimSuffix(got, "."), strings.TrimSuffix(want, "."))
}

var _ probe.Prober = (*Prober)(nil)
