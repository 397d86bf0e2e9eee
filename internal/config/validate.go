package config

import (
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/redact"

	// Person timezones must load on hosts without a zoneinfo database
	// (scratch containers), so the binary carries its own copy.
	_ "time/tzdata"

	"github.com/tocsin/tocsin/internal/cron"
)

// Event names a channel can subscribe to.
const (
	EventMonitorDown     = "monitor.down"
	EventMonitorUp       = "monitor.up"
	EventMonitorWarning  = "monitor.warning"
	EventMonitorFlapping = "monitor.flapping"
)

// KnownEvents lists every event a channel's events filter may name. It is
// read-only.
var KnownEvents = []string{EventMonitorDown, EventMonitorUp, EventMonitorWarning, EventMonitorFlapping,
	EventIncidentOpened, EventIncidentUpdated, EventIncidentResolved}

// ChannelTypes lists the channel types config knows by itself, each but
// inbox matching the block of the same name (an inbox has none); the
// channel kinds handed to the loader add the others. It is read-only.
var ChannelTypes = []string{"webhook", "email", "inbox"}

// idPattern is the shape of every id: short, lowercase, safe in URLs,
// metric labels and file names.
const idPattern = `^[a-z0-9][a-z0-9_.-]{0,62}$`

var reID = regexp.MustCompile(idPattern)

// validate checks everything the decoder cannot: required fields, ranges,
// the type blocks and every reference between objects.
func (l *loader) validate(cfg *Config) {
	l.validateServer(&cfg.Server)
	l.validateStorage(&cfg.Storage)

	people := l.ids("people", len(cfg.People), func(i int) string { return cfg.People[i].ID }, nil)
	teams := l.ids("teams", len(cfg.Teams), func(i int) string { return cfg.Teams[i].ID }, people)
	channels := l.ids("channels", len(cfg.Channels), func(i int) string { return cfg.Channels[i].ID }, nil)
	services := l.ids("services", len(cfg.Services), func(i int) string { return cfg.Services[i].ID }, nil)
	monitors := l.ids("monitors", len(cfg.Monitors), func(i int) string { return cfg.Monitors[i].ID }, nil)
	// A heartbeat is evaluated as a monitor of the same id, so the two
	// share one namespace.
	l.ids("heartbeats", len(cfg.Heartbeats), func(i int) string { return cfg.Heartbeats[i].ID }, monitors)

	l.validateAgents(cfg)
	l.validateSchedules(cfg, people)
	l.validateMaintenance(cfg, services, monitors)
	l.validateIncidents(&cfg.Incidents)
	l.validateAlertmanager(cfg, services)
	l.validateAuth(cfg)
	for i := range cfg.People {
		l.validatePerson(&cfg.People[i], fmt.Sprintf("people[%d]", i))
	}
	for i := range cfg.Teams {
		p := fmt.Sprintf("teams[%d]", i)
		l.refs(p+".members", cfg.Teams[i].Members, "person", people, nil)
	}
	for i := range cfg.Channels {
		l.validateChannel(cfg, &cfg.Channels[i], fmt.Sprintf("channels[%d]", i), people, teams)
	}
	for i := range cfg.Services {
		s := &cfg.Services[i]
		p := fmt.Sprintf("services[%d]", i)
		for j, o := range s.Owners {
			if _, ok := people[o]; ok {
				continue
			}
			if _, ok := teams[o]; ok {
				continue
			}
			l.errAt(fmt.Sprintf("%s.owners[%d]", p, j), "undefined owner %q: no person or team has this id", o)
		}
		l.refs(p+".channels", s.Channels, "channel", channels, nil)
	}
	for i := range cfg.Monitors {
		l.validateMonitor(&cfg.Monitors[i], fmt.Sprintf("monitors[%d]", i), services, channels)
	}
	uuids, slugs := map[string]string{}, map[string]string{}
	for i := range cfg.Heartbeats {
		h := &cfg.Heartbeats[i]
		p := fmt.Sprintf("heartbeats[%d]", i)
		for _, fe := range h.Validate(time.Now()) {
			l.errAt(p+"."+fe.Field, "%s", fe.Message)
		}
		if h.Service != "" {
			if _, ok := services[h.Service]; !ok {
				l.errAt(p+".service", "undefined service %q", h.Service)
			}
		}
		l.refs(p+".channels", h.Channels, "channel", channels, nil)
		for _, u := range []struct {
			key, v string
			seen   map[string]string
		}{{"uuid", h.UUID, uuids}, {"slug", h.Slug, slugs}} {
			if u.v == "" {
				continue
			}
			if first, dup := u.seen[u.v]; dup {
				l.errAt(p+"."+u.key, "duplicate %s %q: %s has it too", u.key, u.v, l.at(parentPath(first), first, p))
				continue
			}
			u.seen[u.v] = p + "." + u.key
		}
	}
	l.validateStatusPages(cfg, services)
	l.validateOncall(cfg, oncallIDs{people: people, teams: teams, channels: channels, services: services, monitors: maps.Clone(monitors)})
	if pk := cfg.Server.Pings; pk.Key != "" && len(pk.Key) < 16 {
		l.errAt("server.pings.key", "the ping key is %d characters long; use at least 16 random ones (for example from `openssl rand -hex 16`), as anyone who knows it can ping every slug URL", len(pk.Key))
	}
	if u := cfg.Server.UnknownPing; u != UnknownPingOK && u != UnknownPingNotFound {
		l.errAt("server.unknown_ping", "unknown answer %q (use %s or %s)", u, UnknownPingOK, UnknownPingNotFound)
	}
	if cfg.Server.Pings.AutoCreate && cfg.Server.Pings.Key == "" {
		l.errAt("server.pings.auto_create", "auto_create needs a ping key: set server.pings.key (or key_file)")
	}
	if n := cfg.Server.Pings.BodyLimit; n < 0 || n > MaxPingBodyLimit {
		l.errAt("server.pings.body_limit", "must be from 0 to %d bytes, not %d", MaxPingBodyLimit, n)
	}
	pk := &cfg.Server.Pings
	for _, k := range []struct {
		key, unit string
		v         int
	}{
		{"heartbeat_rate", "pings per second", pk.HeartbeatRate}, {"client_rate", "pings per second", pk.ClientRate},
		{"create_rate", "heartbeats per minute", pk.CreateRate}, {"client_create_rate", "heartbeats per minute", pk.ClientCreateRate},
	} {
		if k.v < 0 {
			l.errAt("server.pings."+k.key, "must be 0 (no limit) or more %s, not %d", k.unit, k.v)
		}
	}
	if n := pk.MaxHeartbeatsPerKey; n < 1 || n > MaxMaxHeartbeatsPerKey {
		l.errAt("server.pings.max_heartbeats_per_key", "must be from 1 to %d, not %d", MaxMaxHeartbeatsPerKey, n)
	}
}

// ids checks the ids of one section: present, well formed and unique, also
// against shared (people and teams share one namespace, as service owners
// name either). It returns each id's path.
func (l *loader) ids(section string, n int, id func(int) string, shared map[string]string) map[string]string {
	seen := make(map[string]string, n)
	for i := range n {
		p := fmt.Sprintf("%s[%d].id", section, i)
		v := id(i)
		if !l.checkID(p, v) {
			continue
		}
		first, dup := seen[v]
		if !dup {
			first, dup = shared[v]
		}
		if dup {
			l.errAt(p, "duplicate id %q: %s has it too", v, l.at(parentPath(first), first, p))
			continue
		}
		seen[v] = p
	}
	return seen
}

func (l *loader) checkID(path, v string) bool {
	if v == "" {
		l.errAt(path, "id is required")
		return false
	}
	if !reID.MatchString(v) {
		l.errAt(path, "invalid id %q: it must match %s (lowercase letters, digits, '_', '.' and '-', at most 63 characters, starting with a letter or digit)", v, idPattern)
		return false
	}
	return true
}

// refs checks that every id in list names a defined object of kind.
func (l *loader) refs(path string, list []string, kind string, defined map[string]string, extra func(i int, id string)) {
	for i, id := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		if _, ok := defined[id]; !ok {
			l.errAt(p, "undefined %s %q", kind, id)
			continue
		}
		if extra != nil {
			extra(i, id)
		}
	}
}

// LogFormats are the values of server.log_format.
var LogFormats = []string{"text", "json"}

func (l *loader) validateServer(s *Server) {
	l.hostPort("server.listen", s.Listen, "listen address")
	if !slices.Contains(LogFormats, s.LogFormat) && s.LogFormat != "" {
		l.errAt("server.log_format", "must be %s, not %q", strings.Join(LogFormats, " or "), s.LogFormat)
	}
	if s.BaseURL != "" {
		l.httpURL("server.base_url", s.BaseURL)
	}
	l.positiveInt("server.concurrency", s.Concurrency)
	l.positiveInt("server.per_host_concurrency", s.PerHostConcurrency)
	if s.WatchdogURL != "" {
		l.httpURL("server.watchdog_url", s.WatchdogURL)
	}
	l.positive("server.watchdog_interval", s.WatchdogInterval)
	l.positive("server.ready_max_lag", s.ReadyMaxLag)
	l.positive("server.session_ttl", s.SessionTTL)
	if s.MaxConnections < 0 || s.MaxConnections > MaxMaxConnections {
		l.errAt("server.max_connections", "must be from 1 to %d, or 0 to size it from the file limit; not %d", MaxMaxConnections, s.MaxConnections)
	}
	l.positive("server.read_timeout", s.ReadTimeout)
	l.positive("server.write_timeout", s.WriteTimeout)
	l.positive("server.idle_timeout", s.IdleTimeout)
	l.validateReplica(s)
	if s.DemoTarget != "" {
		l.hostPort("server.demo_target", s.DemoTarget, "demo target address")
		if s.DemoTarget == s.Listen {
			l.errAt("server.demo_target", "the demo target cannot use the same address as server.listen (%s)", s.Listen)
		}
	}
	for i, tp := range s.TrustedProxies {
		if _, err := ParseProxy(tp); err != nil {
			l.errAt(fmt.Sprintf("server.trusted_proxies[%d]", i), "%v", err)
		}
	}
	l.validateSMTP(s)
}

// ParseProxy reads one entry of server.trusted_proxies: an IP address (a
// single host) or a CIDR range.
func ParseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q is not an IP address or CIDR range such as 10.0.0.0/8", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q is not an IP address or CIDR range such as 10.0.0.0/8", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// reDomain is a DNS name: dot-separated labels of letters, digits and
// inner hyphens.
var reDomain = regexp.MustCompile(`^(?i)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func (l *loader) validateSMTP(s *Server) {
	if s.SMTPListen != "" {
		l.hostPort("server.smtp_listen", s.SMTPListen, "SMTP listen address")
		if s.SMTPListen == s.Listen || s.SMTPListen == s.DemoTarget {
			l.errAt("server.smtp_listen", "the SMTP listener needs an address of its own, not %s", s.SMTPListen)
		}
		if s.SMTPDomain == "" {
			l.errAt("server.smtp_domain", "smtp_domain is required with smtp_listen (base_url has no host to take it from)")
		}
	}
	if d := s.SMTPDomain; d != "" && net.ParseIP(d) == nil && (len(d) > 253 || !reDomain.MatchString(d)) {
		l.errAt("server.smtp_domain", "invalid mail domain %q: write a domain name such as ping.example.com", d)
	}
	if s.SMTPMaxMessageSize < 1024 {
		l.errAt("server.smtp_max_message_size", "must be at least 1024 (bytes), not %d", s.SMTPMaxMessageSize)
	}
	if s.SMTPMaxRecipients < 1 || s.SMTPMaxRecipients > 1000 {
		l.errAt("server.smtp_max_recipients", "must be from 1 to 1000, not %d", s.SMTPMaxRecipients)
	}
	l.positiveInt("server.smtp_max_connections", s.SMTPMaxConnections)
	l.positive("server.smtp_timeout", s.SMTPTimeout)
	for key, words := range map[string][]string{"smtp_success_keywords": s.SMTPSuccessKeywords, "smtp_failure_keywords": s.SMTPFailureKeywords, "smtp_start_keywords": s.SMTPStartKeywords} {
		for i, w := range words {
			if strings.TrimSpace(w) == "" {
				l.errAt(fmt.Sprintf("server.%s[%d]", key, i), "a keyword cannot be empty")
			} else if len(w) > 200 {
				l.errAt(fmt.Sprintf("server.%s[%d]", key, i), "a keyword has at most 200 characters, not %d", len(w))
			}
		}
	}
}

func (l *loader) validateStorage(s *Storage) {
	switch s.Driver {
	case "sqlite", "postgres":
	default:
		l.errAt("storage.driver", "unknown storage driver %q (use sqlite or postgres)", s.Driver)
	}
	if s.Driver == "postgres" && s.DSN == "" && s.DSNFile == "" {
		l.errAt("storage.dsn", "the postgres driver needs a dsn (or dsn_file), such as postgres://tocsin@db.example.com/tocsin")
	}
	l.positive("storage.raw_retention", s.RawRetention)
	l.positive("storage.rollup_retention", s.RollupRetention)
	if s.ResultBuffer < MinResultBuffer {
		l.errAt("storage.result_buffer", "must be at least %d, not %d", MinResultBuffer, s.ResultBuffer)
	}
}

func (l *loader) validatePerson(p *Person, path string) {
	if p.Email != "" {
		if _, err := mail.ParseAddress(p.Email); err != nil {
			l.errAt(path+".email", "invalid email address %q", p.Email)
		}
	}
	if p.Timezone != "" {
		// The same rule as a heartbeat's timezone: "Local" or a path would
		// make the mail's times depend on the host.
		if _, err := cron.LoadLocation(p.Timezone); err != nil {
			l.errAt(path+".timezone", "unknown timezone %q (use an IANA name such as Europe/Paris or UTC)", p.Timezone)
		}
	}
}

func (l *loader) validateChannel(cfg *Config, ch *Channel, path string, people, teams map[string]string) {
	types := l.channelTypes()
	switch {
	case ch.Type == "" && len(l.channelBlocks(ch)) > 1:
		l.errAt(path+".type", "type is required: more than one block is given (%s)", strings.Join(l.channelBlocks(ch), ", "))
	case ch.Type == "":
		l.errAt(path+".type", "type is required (%s)", strings.Join(types, ", "))
	case !slices.Contains(types, ch.Type):
		l.errAt(path+".type", "unknown channel type %q (use %s)", ch.Type, strings.Join(types, ", "))
	}
	for i, ev := range ch.Events {
		if !slices.Contains(KnownEvents, ev) {
			l.errAt(fmt.Sprintf("%s.events[%d]", path, i), "unknown event %q (known events: %s)", ev, strings.Join(KnownEvents, ", "))
		}
	}
	if d := ch.Digest; d != nil && !d.Off {
		if d.Window.D() < 0 || d.Window.D() > 10*time.Minute {
			l.errAt(path+".digest.window", "window %s is out of range (use 1s to 10m)", d.Window)
		}
		if d.Max < 0 {
			l.errAt(path+".digest.max", "max %d is negative", d.Max)
		}
	}
	l.blockMatch(path, ch.Type, l.validateChannelBlocks(ch, path))

	if w := ch.Webhook; w != nil && ch.Type == "webhook" {
		p := path + ".webhook"
		if w.URL == "" {
			l.errAt(p+".url", "url is required")
		} else {
			l.httpURL(p+".url", w.URL)
		}
		for name := range w.Headers {
			if !validHeaderName(name) {
				l.errAt(p+".headers."+name, "invalid header name %q", name)
			}
		}
		l.positive(p+".timeout", w.Timeout)
	}
	if e := ch.Email; e != nil && ch.Type == "email" {
		p := path + ".email"
		if e.Host == "" {
			l.errAt(p+".host", "host is required (the SMTP server to send through)")
		}
		if e.Port < 1 || e.Port > 65535 {
			l.errAt(p+".port", "port %d is out of range 1-65535", e.Port)
		}
		switch e.TLS {
		case "starttls", "tls", "none":
		default:
			l.errAt(p+".tls", "unknown tls mode %q (use starttls, tls or none)", e.TLS)
		}
		if e.From == "" {
			l.errAt(p+".from", "from is required (the sender address)")
		} else if _, err := mail.ParseAddress(e.From); err != nil {
			l.errAt(p+".from", "invalid email address %q", e.From)
		}
		if len(e.To) == 0 && len(e.People) == 0 && len(e.Teams) == 0 {
			l.errAt(p, "no recipients: set at least one of to, people or teams")
		}
		for i, to := range e.To {
			if _, err := mail.ParseAddress(to); err != nil {
				l.errAt(fmt.Sprintf("%s.to[%d]", p, i), "invalid email address %q", to)
			}
		}
		l.refs(p+".people", e.People, "person", people, func(i int, id string) {
			if person, ok := cfg.Person(id); ok && person.Email == "" {
				l.errAt(fmt.Sprintf("%s.people[%d]", p, i), "person %q has no email address", id)
			}
		})
		l.refs(p+".teams", e.Teams, "team", teams, nil)
		l.positive(p+".timeout", e.Timeout)
	}
}

// blockMatch checks that exactly the block named by typ is set. Blocks
// written in the file but left empty are reported as missing content.
func (l *loader) blockMatch(path, typ string, set map[string]bool) {
	names := make([]string, 0, len(set))
	for name := range set {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if set[name] && name != typ && typ != "" {
			l.errAt(path+"."+name, "the %q block does not belong to type %q; remove it or change the type", name, typ)
		}
	}
	if known, ok := set[typ]; ok && !known {
		if l.ix.has(path + "." + typ) {
			return // written but not decodable; the decoder said why
		}
		if l.ix.byPath[path+"."+typ] != nil {
			l.errAt(path+"."+typ, "the %q block is empty", typ)
			return
		}
		l.errAt(path, "type %q needs its %q block", typ, typ)
	}
}

func (l *loader) validateMonitor(m *Monitor, path string, services, channels map[string]string) {
	types := l.kinds.Names()
	blocks := l.blocks(m)
	switch {
	case m.Type == "" && len(blocks) == 0:
		l.errAt(path+".type", "type is required (%s)", strings.Join(types, ", "))
	case m.Type == "":
		l.errAt(path+".type", "type is required: more than one block is given (%s)", strings.Join(blockNames(blocks), ", "))
	case !slices.Contains(types, m.Type):
		l.errAt(path+".type", "unknown monitor type %q (known types: %s)", m.Type, strings.Join(types, ", "))
	}
	if m.Service != "" {
		if _, ok := services[m.Service]; !ok {
			l.errAt(path+".service", "undefined service %q", m.Service)
		}
	}
	l.refs(path+".channels", m.Channels, "channel", channels, nil)
	l.validateLocations(m, path)

	intervalOK := l.positive(path+".interval", m.Interval)
	if l.positive(path+".timeout", m.Timeout) && intervalOK && m.Timeout > m.Interval {
		l.errAt(path+".timeout", "timeout %s is longer than the interval %s; a run must end before the next one starts", m.Timeout, m.Interval)
	}
	if m.FailureThreshold < 1 {
		l.errAt(path+".failure_threshold", "failure_threshold must be at least 1, not %d", m.FailureThreshold)
	}
	if m.SuccessThreshold < 1 {
		l.errAt(path+".success_threshold", "success_threshold must be at least 1, not %d", m.SuccessThreshold)
	}

	if !slices.Contains(types, m.Type) {
		return
	}
	set := make(map[string]bool, len(types))
	for _, name := range types {
		set[name] = false
	}
	var fes []FieldError
	for _, b := range blocks {
		set[b.name] = true
		if b.name != m.Type {
			continue
		}
		fes = b.block.Validate(m)
	}
	l.blockMatch(path, m.Type, set)
	for _, fe := range fes {
		p := path + "." + m.Type
		if fe.Field != "" {
			if strings.HasPrefix(fe.Field, "[") {
				p += fe.Field
			} else {
				p += "." + fe.Field
			}
		}
		l.errAt(p, "%s", fe.Message)
	}
}

// positive reports a zero or negative duration at path. Zero here means it
// was written out as 0, since defaults fill in what was left out.
func (l *loader) positive(path string, d Duration) bool {
	if d <= 0 {
		l.errAt(path, "must be longer than zero, not %s", d)
		return false
	}
	return true
}

func (l *loader) positiveInt(path string, n int) {
	if n < 1 {
		l.errAt(path, "must be at least 1, not %d", n)
	}
}

// hostPort checks a listen-style address: host:port with a numeric port.
// The host may be empty (all interfaces).
func (l *loader) hostPort(path, addr, what string) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			l.errAt(path, "%s %q has no port; write host:port, such as 127.0.0.1:8080", what, addr)
		} else {
			l.errAt(path, "invalid %s %q: write host:port, such as 127.0.0.1:8080", what, addr)
		}
		return
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		l.errAt(path, "invalid port %q in %s %q: use a number from 0 to 65535", port, what, addr)
	}
}

// httpURL checks an absolute http or https URL.
func (l *loader) httpURL(path, raw string) {
	u, err := url.Parse(raw)
	if err != nil {
		l.errAt(path, "invalid URL %q", redact.Target(raw))
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		l.errAt(path, "URL %q must start with http:// or https://", redact.Target(raw))
		return
	}
	if u.Host == "" {
		l.errAt(path, "URL %q has no host", redact.Target(raw))
	}
}

// validHeaderName reports whether name is a valid HTTP header field name.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r > 0x7e || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return http.CanonicalHeaderKey(name) != ""
}
