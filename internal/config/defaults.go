package config

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by Load and Parse to anything left out. docs/configuration.md
// lists them for users.
const (
	DefaultListen               = "127.0.0.1:8080"
	DefaultConcurrency          = 256
	DefaultPerHostConcurrency   = 16
	DefaultWatchdogInterval     = 60 * time.Second
	DefaultReadyMaxLag          = 30 * time.Second
	DefaultSessionTTL           = 720 * time.Hour
	DefaultAgentSilentAfter     = 60 * time.Second
	DefaultDriver               = "sqlite"
	DefaultSQLiteDSN            = "tocsin.db"
	DefaultRawRetention         = 168 * time.Hour
	DefaultResultBuffer         = 100_000
	DefaultRollupRetention      = 8760 * time.Hour
	DefaultInterval             = 60 * time.Second
	DefaultTimeout              = 10 * time.Second
	DefaultWebhookTimeout       = 10 * time.Second
	DefaultEmailPort            = 587
	DefaultEmailTLSPort         = 465
	DefaultEmailTLS             = "starttls"
	DefaultEmailTimeout         = 30 * time.Second
	DefaultTLSCertMinDays       = 7
	DefaultTLSCertWarnDays      = 21
	DefaultSMTPMaxMessageSize   = 1 << 20
	DefaultSMTPMaxRecipients    = 10
	DefaultSMTPMaxConnections   = 50
	DefaultSMTPTimeout          = 60 * time.Second
	DefaultHeartbeatPeriod      = 24 * time.Hour
	DefaultHeartbeatGrace       = time.Hour
	DefaultPingBodyLimit        = 100_000
	DefaultPingHeartbeatRate    = 10
	DefaultPingClientRate       = 100
	DefaultMaxHeartbeatsPerKey  = 1000
	DefaultPingCreateRate       = 60
	DefaultPingClientCreateRate = 20
	DefaultReadTimeout          = 10 * time.Second
	DefaultWriteTimeout         = 60 * time.Second
	DefaultIdleTimeout          = 60 * time.Second
	DefaultLeaseTTL             = 15 * time.Second
)

// Bounds of server.lease_ttl: renewals run every third of it, so a lease
// shorter than MinLeaseTTL would renew faster than a database round trip
// under load can be trusted to take; one longer than MaxLeaseTTL would
// leave a dead replica's monitors unwatched for too long.
const (
	MinLeaseTTL = 3 * time.Second
	MaxLeaseTTL = 5 * time.Minute
)

// MinResultBuffer is the smallest storage.result_buffer: fewer results
// than a busy flush holds would drop results at every write that fails.
const MinResultBuffer = 100

// Upper bounds of server.max_connections and
// server.pings.max_heartbeats_per_key.
const (
	MaxMaxConnections      = 1_000_000
	MaxMaxHeartbeatsPerKey = 100_000
)

// applyDefaults fills in every value left out. Values written as zero where
// zero is not allowed are left alone so that validate can report them.
func (l *loader) applyDefaults(cfg *Config) {
	s := &cfg.Server
	if s.Listen == "" {
		s.Listen = DefaultListen
	}
	if s.BaseURL == "" {
		s.BaseURL = baseURLFor(s.Listen)
	}
	s.BaseURL = strings.TrimRight(s.BaseURL, "/")
	setInt(&s.Concurrency, DefaultConcurrency, l.ix.has("server.concurrency"))
	setInt(&s.PerHostConcurrency, DefaultPerHostConcurrency, l.ix.has("server.per_host_concurrency"))
	setDuration(&s.WatchdogInterval, DefaultWatchdogInterval, l.ix.has("server.watchdog_interval"))
	setDuration(&s.ReadyMaxLag, DefaultReadyMaxLag, l.ix.has("server.ready_max_lag"))
	setDuration(&s.SessionTTL, DefaultSessionTTL, l.ix.has("server.session_ttl"))
	setDuration(&s.AgentSilentAfter, DefaultAgentSilentAfter, l.ix.has("server.agent_silent_after"))
	setDuration(&s.ReadTimeout, DefaultReadTimeout, l.ix.has("server.read_timeout"))
	setDuration(&s.WriteTimeout, DefaultWriteTimeout, l.ix.has("server.write_timeout"))
	setDuration(&s.IdleTimeout, DefaultIdleTimeout, l.ix.has("server.idle_timeout"))
	setDuration(&s.LeaseTTL, DefaultLeaseTTL, l.ix.has("server.lease_ttl"))
	if s.SMTPDomain == "" {
		if u, err := url.Parse(s.BaseURL); err == nil {
			s.SMTPDomain = u.Hostname()
		}
	}
	setInt(&s.SMTPMaxMessageSize, DefaultSMTPMaxMessageSize, l.ix.has("server.smtp_max_message_size"))
	setInt(&s.SMTPMaxRecipients, DefaultSMTPMaxRecipients, l.ix.has("server.smtp_max_recipients"))
	setInt(&s.SMTPMaxConnections, DefaultSMTPMaxConnections, l.ix.has("server.smtp_max_connections"))
	setDuration(&s.SMTPTimeout, DefaultSMTPTimeout, l.ix.has("server.smtp_timeout"))
	if s.Metrics.PerMonitor == nil {
		perMonitor := true
		s.Metrics.PerMonitor = &perMonitor
	}
	if s.SecureCookies == nil {
		secure := strings.HasPrefix(strings.ToLower(s.BaseURL), "https://")
		s.SecureCookies = &secure
	}

	if s.UnknownPing == "" && !l.ix.has("server.unknown_ping") {
		s.UnknownPing = UnknownPingOK
	}
	setInt(&s.Pings.BodyLimit, DefaultPingBodyLimit, l.ix.has("server.pings.body_limit"))
	setInt(&s.Pings.HeartbeatRate, DefaultPingHeartbeatRate, l.ix.has("server.pings.heartbeat_rate"))
	setInt(&s.Pings.ClientRate, DefaultPingClientRate, l.ix.has("server.pings.client_rate"))
	setInt(&s.Pings.MaxHeartbeatsPerKey, DefaultMaxHeartbeatsPerKey, l.ix.has("server.pings.max_heartbeats_per_key"))
	setInt(&s.Pings.CreateRate, DefaultPingCreateRate, l.ix.has("server.pings.create_rate"))
	setInt(&s.Pings.ClientCreateRate, DefaultPingClientCreateRate, l.ix.has("server.pings.client_create_rate"))

	st := &cfg.Storage
	if st.Driver == "" {
		st.Driver = DefaultDriver
	}
	if st.Driver == "sqlite" && st.DSN == "" && st.DSNFile == "" {
		st.DSN = DefaultSQLiteDSN
	}
	setDuration(&st.RawRetention, DefaultRawRetention, l.ix.has("storage.raw_retention"))
	setDuration(&st.RollupRetention, DefaultRollupRetention, l.ix.has("storage.rollup_retention"))
	setInt(&st.ResultBuffer, DefaultResultBuffer, l.ix.has("storage.result_buffer"))

	for i := range cfg.People {
		if cfg.People[i].Name == "" {
			cfg.People[i].Name = cfg.People[i].ID
		}
	}
	for i := range cfg.Teams {
		if cfg.Teams[i].Name == "" {
			cfg.Teams[i].Name = cfg.Teams[i].ID
		}
	}
	for i := range cfg.Services {
		if cfg.Services[i].Name == "" {
			cfg.Services[i].Name = cfg.Services[i].ID
		}
	}
	for i := range cfg.Channels {
		p := "channels[" + strconv.Itoa(i) + "]"
		ch := &cfg.Channels[i]
		l.channelDefaults(ch, p)
		if ch.Type == "" && (ch.Webhook == nil) != (ch.Email == nil) && len(l.channelBlocks(ch)) == 0 {
			// With exactly one block the type is plain from it.
			ch.Type = "email"
			if ch.Webhook != nil {
				ch.Type = "webhook"
			}
		}
		if w := ch.Webhook; w != nil {
			setDuration(&w.Timeout, DefaultWebhookTimeout, l.ix.has(p+".webhook.timeout"))
		}
		if e := ch.Email; e != nil {
			if e.TLS == "" {
				e.TLS = DefaultEmailTLS
			}
			if e.Port == 0 && !l.ix.has(p+".email.port") {
				e.Port = DefaultEmailPort
				if e.TLS == "tls" {
					e.Port = DefaultEmailTLSPort
				}
			}
			setDuration(&e.Timeout, DefaultEmailTimeout, l.ix.has(p+".email.timeout"))
		}
	}
	l.oncallDefaults(cfg)
	l.incidentDefaults(cfg)
	l.alertmanagerDefaults(cfg)
	defaultAuth(cfg)
	for i := range cfg.Monitors {
		l.monitorDefaults(&cfg.Monitors[i], "monitors["+strconv.Itoa(i)+"]")
	}
	for i := range cfg.Heartbeats {
		HeartbeatDefaults(&cfg.Heartbeats[i], func(key string) bool {
			return l.ix.has("heartbeats[" + strconv.Itoa(i) + "]." + key)
		})
	}
}

// HeartbeatDefaults fills in what h leaves out; written reports whether a
// key was given (the API passes one for the fields of its request).
func HeartbeatDefaults(h *Heartbeat, written func(key string) bool) {
	if h.Name == "" {
		h.Name = h.ID
	}
	h.UUID = strings.ToLower(strings.TrimSpace(h.UUID))
	if h.Cron == "" {
		setDuration(&h.Period, DefaultHeartbeatPeriod, written("period"))
	}
	setDuration(&h.Grace, DefaultHeartbeatGrace, written("grace"))
}

func (l *loader) monitorDefaults(m *Monitor, p string) {
	if m.Name == "" {
		m.Name = m.ID
	}
	// With exactly one block the type is plain from it.
	blocks := l.blocks(m)
	if m.Type == "" && len(blocks) == 1 {
		m.Type = blocks[0].name
	}
	m.Block = l.blockSet[m][m.Type]
	setDuration(&m.Interval, DefaultInterval, l.ix.has(p+".interval"))
	if m.Timeout == 0 && !l.ix.has(p+".timeout") {
		m.Timeout = Duration(min(DefaultTimeout, m.Interval.D()))
		if m.Interval <= 0 {
			m.Timeout = Duration(DefaultTimeout)
		}
	}
	setInt(&m.FailureThreshold, 1, l.ix.has(p+".failure_threshold"))
	setInt(&m.SuccessThreshold, 1, l.ix.has(p+".success_threshold"))

	for _, b := range blocks {
		b.block.Defaults(m, func(key string) bool { return l.ix.has(p + "." + key) })
	}
}

// setInt applies a default to an int left out of the file. A zero written
// out is kept, for validate to report.
func setInt(v *int, def int, written bool) {
	if *v == 0 && !written {
		*v = def
	}
}

// setDuration applies a default to a duration left out of the file.
func setDuration(v *Duration, def time.Duration, written bool) {
	if *v == 0 && !written {
		*v = Duration(def)
	}
}

// baseURLFor derives the public URL from the listen address; a wildcard
// host becomes localhost, which is at least reachable from the machine.
func baseURLFor(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return ""
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
