// Package config reads Tocsin's YAML configuration strictly (unknown keys are
// errors, with line numbers), fills in defaults and validates the whole file,
// cross-references included. The structs here, with the blocks the probe
// kinds declare (config.Block), are the documented format:
// docs/configuration.md describes every field.
package config

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is one whole configuration file.
type Config struct {
	Server   Server    `yaml:"server"`
	Storage  Storage   `yaml:"storage"`
	People   []Person  `yaml:"people"`
	Teams    []Team    `yaml:"teams"`
	Channels []Channel `yaml:"channels"`
	Services []Service `yaml:"services"`
	Monitors []Monitor `yaml:"monitors"`
	// Heartbeats are jobs that ping Tocsin; a missing ping is a failure.
	Heartbeats []Heartbeat `yaml:"heartbeats"`
	// Schedules say who is on call when (docs/oncall.md).
	Schedules []Schedule `yaml:"schedules"`
	// EscalationPolicies say whom to page, in which order, until someone
	// acknowledges (docs/oncall.md).
	EscalationPolicies []EscalationPolicy `yaml:"escalation_policies"`
	// Hosts and Components are what services depend on besides each
	// other: servers, network links, vendors (docs/oncall.md).
	Hosts      []Host      `yaml:"hosts"`
	Components []Component `yaml:"components"`
	// Alerting tunes how failing monitors are grouped into alerts.
	Alerting Alerting `yaml:"alerting"`
	// Maintenance windows: results are recorded, nothing pages.
	Maintenance []Maintenance `yaml:"maintenance"`
	// StatusPages are public pages of chosen services (docs/status-pages.md).
	StatusPages []StatusPage `yaml:"status_pages"`
	// Incidents configures the incident process (docs/incidents.md).
	Incidents Incidents `yaml:"incidents"`
	// Agents are the remote agents declared in the file (docs/agents.md).
	Agents []Agent `yaml:"agents"`
	// Alertmanager configures the alerts Prometheus Alertmanager sends
	// (docs/alertmanager.md).
	Alertmanager Alertmanager `yaml:"alertmanager"`
	// Audit configures the audit log (docs/security.md).
	Audit Audit `yaml:"audit"`
	// Auth configures sign-in through OIDC (docs/security.md).
	Auth Auth `yaml:"auth"`

	// Include lists the files whose lists (monitors, heartbeats, services,
	// ...) are added to this file's: names or globs, relative to the
	// folder of the file that includes them (docs/configuration.md,
	// "Large installs").
	Include []string `yaml:"include"`
	// Defaults fill in the fields the monitors and heartbeats of the same
	// file leave out; applied while the file is read.
	Defaults *FileDefaults `yaml:"defaults"`

	// Path is the file the config was read from ("" when built in code).
	Path string `yaml:"-"`
	// Included names the files read through Include, in the order read.
	Included []string `yaml:"-"`
	// IncludeGlobs are the absolute include patterns of every file read,
	// for Stamp.
	IncludeGlobs []string `yaml:"-"`
	// Expanded maps each string the loader expanded from ${NAME}
	// references to the string as written ("Bearer ${API_TOKEN}"), so that
	// tocsin export writes the reference back instead of the secret.
	// Replacing a value by its written form is exact wherever the same
	// environment is set, even for an equal value that was written out.
	Expanded map[string]string `yaml:"-" json:"-"`
}

// Server configures the HTTP listener, the web UI and process-wide limits.
type Server struct {
	// Listen is the address of the HTTP server. Default "127.0.0.1:8080".
	Listen string `yaml:"listen"`
	// LogFormat is how `tocsin serve` writes its log on standard error:
	// "text" (the default, key=value lines) or "json" (one JSON object
	// per line). The --log-format flag overrides it.
	LogFormat string `yaml:"log_format"`
	// Location names the server's own location, where it runs monitors
	// that list none and the one monitors list to run from the server.
	// Default LocalLocation ("local"); see Home.
	Location string `yaml:"location"`
	// BaseURL is the public URL of this server, used in links inside
	// notifications. Default "http://" + Listen.
	BaseURL string `yaml:"base_url"`
	// MetricsToken, when set, is required as a bearer token on /metrics.
	MetricsToken string `yaml:"metrics_token"`
	// MetricsTokenFile reads MetricsToken from a file.
	MetricsTokenFile string `yaml:"metrics_token_file"`
	// Metrics chooses the series /metrics exports.
	Metrics ServerMetrics `yaml:"metrics"`
	// Concurrency is how many probes may run at once. Default 256.
	Concurrency int `yaml:"concurrency"`
	// PerHostConcurrency is how many probes may run at once against one
	// host. Default 16.
	PerHostConcurrency int `yaml:"per_host_concurrency"`
	// WatchdogURL, when set, is fetched with GET every WatchdogInterval
	// while the scheduler and the outbox are healthy (dead man's switch).
	WatchdogURL string `yaml:"watchdog_url"`
	// WatchdogInterval defaults to 60s.
	WatchdogInterval Duration `yaml:"watchdog_interval"`
	// ReadyMaxLag is the scheduler lateness above which /readyz fails.
	// Default 30s.
	ReadyMaxLag Duration `yaml:"ready_max_lag"`
	// AgentSilentAfter is how long an agent may stay silent before its
	// `agent:<id>` monitor fails. Default 60s.
	AgentSilentAfter Duration `yaml:"agent_silent_after"`
	// SessionTTL is how long a login lasts. Default 720h (30 days).
	SessionTTL Duration `yaml:"session_ttl"`
	// SecureCookies forces the Secure flag on cookies. Default: on when
	// BaseURL is https.
	SecureCookies *bool `yaml:"secure_cookies"`
	// DemoTarget, when set to an address such as "127.0.0.1:8081", starts a
	// small built-in HTTP target there whose health can be toggled from the
	// UI, so a first run has something to watch fail and recover.
	DemoTarget string `yaml:"demo_target"`
	// TrustedProxies lists the reverse proxies in front of Tocsin, as IP
	// addresses or CIDR ranges. A request from one of them counts as coming
	// from the client address it names in X-Forwarded-For, for the ping and
	// login rate limits and the recorded source of a ping. Default none:
	// the connecting address counts and X-Forwarded-For is ignored.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// MaxConnections bounds the HTTP connections open at once; further
	// clients wait in the kernel's accept queue until one closes. 0 (the
	// default) means as many as the process's file limit allows after a
	// reserve for probes, the database and the outbox; a larger number is
	// lowered to that too.
	MaxConnections int `yaml:"max_connections"`
	// ReadTimeout bounds reading one whole request, headers and body.
	// Default 10s.
	ReadTimeout Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response, from the end of its
	// request's headers. Default 60s.
	WriteTimeout Duration `yaml:"write_timeout"`
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request. Default 60s.
	IdleTimeout Duration `yaml:"idle_timeout"`

	// SMTPListen, when set (host:port), starts an SMTP listener there that
	// takes heartbeat pings by mail (docs/heartbeats.md, "Email pings").
	SMTPListen string `yaml:"smtp_listen"`
	// SMTPDomain is the domain of heartbeat mail addresses,
	// {uuid}@{domain} and {slug}+{ping_key}@{domain}. Default: the host
	// of BaseURL.
	SMTPDomain string `yaml:"smtp_domain"`
	// SMTPMaxMessageSize in bytes; larger mails are refused. Default 1 MiB.
	SMTPMaxMessageSize int `yaml:"smtp_max_message_size"`
	// SMTPMaxRecipients per mail. Default 10.
	SMTPMaxRecipients int `yaml:"smtp_max_recipients"`
	// SMTPMaxConnections open at once. Default 50.
	SMTPMaxConnections int `yaml:"smtp_max_connections"`
	// SMTPTimeout bounds each SMTP command and a message's transfer.
	// Default 60s.
	SMTPTimeout Duration `yaml:"smtp_timeout"`
	// Keywords looked for, case-insensitively, in a mail's subject and
	// text. With none, every mail is a success; with some, a failure
	// keyword wins over a success keyword, which wins over a start
	// keyword, and a mail matching none is only logged.
	SMTPSuccessKeywords []string `yaml:"smtp_success_keywords"`
	SMTPFailureKeywords []string `yaml:"smtp_failure_keywords"`
	SMTPStartKeywords   []string `yaml:"smtp_start_keywords"`
	// Pings configures the heartbeat ping API (/ping/...).
	Pings Pings `yaml:"pings"`
	// ReplicaID names this process among the replicas sharing one
	// PostgreSQL database (docs/high-availability.md): in the replica
	// list, in the leases it holds on monitors and outbox messages.
	// Default: the host name (ReplicaName). Each replica needs its own.
	ReplicaID string `yaml:"replica_id"`
	// LeaseTTL is how long a replica's leases on monitors last without a
	// renewal: the time a dead replica's monitors wait before another
	// takes them over. Default 15s; from 3s to 5m.
	LeaseTTL Duration `yaml:"lease_ttl"`
	// UnknownPing is how a ping to a UUID or slug no heartbeat has is
	// answered: "ok" (default; 200 "OK", as Healthchecks does) or
	// "not_found" (404, so `curl -fsS` in a job fails on a mistyped URL).
	UnknownPing string `yaml:"unknown_ping"`
}

// ServerMetrics chooses the series /metrics exports.
type ServerMetrics struct {
	// PerMonitor exports the series of each monitor (tocsin_monitor_up,
	// _status, _latency_seconds, _cert_expiry_timestamp_seconds and
	// tocsin_monitor_metric). Default true; an install of many monitors
	// may keep the aggregate series only. Applies on reload.
	PerMonitor *bool `yaml:"per_monitor"`
}

// PerMonitorSeries tells whether /metrics exports the series of each
// monitor: PerMonitor, true when unset.
func (m ServerMetrics) PerMonitorSeries() bool { return m.PerMonitor == nil || *m.PerMonitor }

// Pings configures how heartbeat pings are received.
type Pings struct {
	// Key is the ping key of slug URLs (/ping/{key}/{slug}); slug URLs
	// answer "not found" while it is empty.
	Key string `yaml:"key"`
	// KeyFile reads Key from a file.
	KeyFile string `yaml:"key_file"`
	// AutoCreate lets /ping/{key}/{slug}?create=1 create a heartbeat for
	// an unknown slug (period 24h, grace 1h), stored in the database.
	AutoCreate bool `yaml:"auto_create"`
	// BodyLimit is how many bytes of a ping's body are stored; the rest is
	// cut and the ping marked as truncated. Default 100000.
	BodyLimit int `yaml:"body_limit"`
	// HeartbeatRate is how many pings per second one heartbeat may send
	// (bursts of twice as many pass). Default 10; 0 means no limit.
	HeartbeatRate int `yaml:"heartbeat_rate"`
	// ClientRate is how many pings per second one client address may
	// send. Default 100; 0 means no limit.
	ClientRate int `yaml:"client_rate"`
	// MaxHeartbeatsPerKey bounds the heartbeats that may have a slug, and
	// so be reached with the ping key; auto_create refuses to make more.
	// Default 1000.
	MaxHeartbeatsPerKey int `yaml:"max_heartbeats_per_key"`
	// CreateRate is how many heartbeats pings may create per minute with
	// the ping key (bursts of as many pass). Default 60; 0 means no limit.
	CreateRate int `yaml:"create_rate"`
	// ClientCreateRate is how many heartbeats pings from one client
	// address may create per minute. Default 20; 0 means no limit.
	ClientCreateRate int `yaml:"client_create_rate"`
}

// How pings to an unknown heartbeat are answered (server.unknown_ping).
const (
	UnknownPingOK       = "ok"
	UnknownPingNotFound = "not_found"
)

// Heartbeat is a job that pings Tocsin. A schedule says when: either a
// simple Period, or Cron read in Timezone; Grace is how late a ping may
// still arrive. A ping missing past the grace time, a failure ping or a run
// longer than MaxRuntime is a failed result of the monitor with the same id.
type Heartbeat struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name,omitempty"`
	// UUID names the heartbeat in ping URLs (/ping/{uuid}); required, and
	// kept when anything else changes.
	UUID string `yaml:"uuid" json:"uuid"`
	// Slug names it in slug URLs (/ping/{key}/{slug}); optional.
	Slug     string   `yaml:"slug" json:"slug,omitempty"`
	Service  string   `yaml:"service" json:"service,omitempty"`
	Channels []string `yaml:"channels" json:"channels,omitempty"`
	// Period between pings of a simple schedule. Default 24h when Cron is
	// empty.
	Period Duration `yaml:"period" json:"period,omitzero"`
	// Cron is a cron expression (five fields, six with seconds first, or a
	// macro such as @daily) for the times a ping is expected.
	Cron string `yaml:"cron" json:"cron,omitempty"`
	// Timezone is the IANA timezone Cron is read in. Default UTC.
	Timezone string `yaml:"timezone" json:"timezone,omitempty"`
	// Grace is how long after the expected time a ping may still arrive.
	// Default 1h.
	Grace Duration `yaml:"grace" json:"grace,omitzero"`
	// MaxRuntime bounds a run after /start. Default: the grace time.
	MaxRuntime Duration `yaml:"max_runtime" json:"max_runtime,omitzero"`
	// Paused heartbeats record pings but raise nothing.
	Paused bool `yaml:"paused" json:"paused,omitempty"`
}

// Storage selects and tunes the database.
type Storage struct {
	// Driver is "sqlite" (default) or "postgres".
	Driver string `yaml:"driver"`
	// DSN is the SQLite file path (default "tocsin.db", relative to the
	// config file's folder) or a PostgreSQL connection string.
	DSN string `yaml:"dsn"`
	// DSNFile reads DSN from a file (for PostgreSQL passwords).
	DSNFile string `yaml:"dsn_file"`
	// RawRetention is how long raw results are kept. Default 168h (7 days).
	RawRetention Duration `yaml:"raw_retention"`
	// RollupRetention is how long hourly rollups are kept. Default 8760h.
	RollupRetention Duration `yaml:"rollup_retention"`
	// ResultBuffer is how many check results are kept in memory while
	// the database cannot write them (an outage, a failover); past it
	// the oldest are dropped. Default 100,000; at least MinResultBuffer.
	ResultBuffer int `yaml:"result_buffer"`
}

// Person is someone who can be notified or own a service.
type Person struct {
	ID       string `yaml:"id"`
	Name     string `yaml:"name"`
	Email    string `yaml:"email"`
	Timezone string `yaml:"timezone"`
	// Phone is free text shown on the who-to-contact page.
	Phone string `yaml:"phone"`
	// Contacts are the person's notification rules, in order: when a page
	// reaches them, each rule's channel is told After the page, if the
	// alert is still unacknowledged by then. An email channel sends to
	// the person's own Email. No contacts means the first email channel,
	// at once, when the person has an address.
	Contacts []ContactRule `yaml:"contacts"`
}

// ContactRule is one of a person's notification rules.
type ContactRule struct {
	Channel string   `yaml:"channel"`
	After   Duration `yaml:"after"`
}

// Team is a named group of people.
type Team struct {
	ID      string   `yaml:"id"`
	Name    string   `yaml:"name"`
	Members []string `yaml:"members"` // person ids
	// Channels are the team's own rooms, told whenever the team is paged.
	Channels []string `yaml:"channels"`
	// EscalationPolicy is the default policy of the services the team
	// owns (the first owning team's, when a service names none).
	EscalationPolicy string `yaml:"escalation_policy"`
}

// Channel is a destination for notifications. Type selects which of the
// type-specific blocks applies.
type Channel struct {
	ID string `yaml:"id"`
	// Type is "webhook", "email", "inbox" or the name of a channel kind
	// (slack, pagerduty, twilio, ...). An inbox keeps its notifications in
	// Tocsin, on the Inbox page; it has no block.
	Type string `yaml:"type"`
	// Events limits the channel to these events (e.g. ["monitor.down"]).
	// Empty means all events.
	Events []string `yaml:"events"`
	// Digest groups the monitor events that come together into one
	// notification. Nil: the type's default (on for email and chat, off
	// for the others).
	Digest  *ChannelDigest `yaml:"digest"`
	Webhook *WebhookConfig `yaml:"webhook"`
	Email   *EmailConfig   `yaml:"email"`

	// Block is the block of the channel's type when a channel kind
	// declares it (ChannelKinds.NewChannelBlock): a pointer to the kind's
	// block struct, decoded from the key named after the type.
	Block ChannelBlock `yaml:"-" json:"-"`
	// Raw holds, while the file is read, the channel's keys that are not
	// common fields: the blocks the channel kinds declare, and keys
	// nothing knows, which the loader reports. The loader empties it.
	Raw map[string]yaml.Node `yaml:",inline" json:"-"`
}

// WebhookConfig configures a webhook channel.
type WebhookConfig struct {
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers"`
	// Secret, when set, signs each body with HMAC-SHA256 in the
	// X-Tocsin-Signature header ("sha256=<hex>").
	Secret     string   `yaml:"secret"`
	SecretFile string   `yaml:"secret_file"`
	Timeout    Duration `yaml:"timeout"` // default 10s
}

// EmailConfig configures an email channel.
type EmailConfig struct {
	Host string `yaml:"host"`
	Port int    `yaml:"port"` // default 587
	// TLS is "starttls" (default; required, not opportunistic), "tls"
	// (implicit TLS, usually port 465) or "none".
	TLS                string   `yaml:"tls"`
	InsecureSkipVerify bool     `yaml:"insecure_skip_verify"`
	Username           string   `yaml:"username"`
	Password           string   `yaml:"password"`
	PasswordFile       string   `yaml:"password_file"`
	From               string   `yaml:"from"`
	To                 []string `yaml:"to"`      // addresses
	People             []string `yaml:"people"`  // person ids whose email is used
	Teams              []string `yaml:"teams"`   // team ids whose members' emails are used
	Timeout            Duration `yaml:"timeout"` // default 30s
}

// Service is something users depend on; monitors belong to one.
type Service struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name"`
	Description string   `yaml:"description"`
	Owners      []string `yaml:"owners"`   // person or team ids
	Channels    []string `yaml:"channels"` // channel ids notified for its monitors
	// Runbook is a URL or a short text: what to do first.
	Runbook string `yaml:"runbook"`
	// Tier is the service's importance, 1 (most) to 4; 0 when unset.
	Tier int `yaml:"tier"`
	// Contacts are free-text ways to reach people outside Tocsin: phone
	// numbers, ticket queues, vendor hotlines.
	Contacts []string `yaml:"contacts"`
	// DependsOn names what the service needs: other services by id, and
	// hosts and components as "host:ID" and "component:ID".
	DependsOn []string `yaml:"depends_on"`
	// EscalationPolicy is the id of the policy that pages for the
	// service; "" falls back to its first owning team's policy.
	EscalationPolicy string `yaml:"escalation_policy"`
	// Tags select the service in maintenance windows and silences.
	Tags []string `yaml:"tags"`
}

// Monitor is one check run on an interval. Type selects which of the
// type-specific blocks applies; exactly that one must be set.
type Monitor struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	Service string `yaml:"service"`
	Type    string `yaml:"type"` // one of Kinds.Names: http, tcp, tls, dns, mailloop, smtp, imap, pop3, ssh, sftp, icmp, command, process, systemd, load, memory, swap
	// Interval between runs. Default 60s.
	Interval Duration `yaml:"interval"`
	// Timeout of one run. Default 10s, or the interval when shorter.
	Timeout Duration `yaml:"timeout"`
	// FailureThreshold consecutive failures confirm down. Default 1.
	FailureThreshold int `yaml:"failure_threshold"`
	// SuccessThreshold consecutive successes confirm up. Default 1.
	SuccessThreshold int `yaml:"success_threshold"`
	// Channels notified in addition to the service's channels.
	Channels []string `yaml:"channels"`
	// Paused monitors are defined but not run.
	Paused bool `yaml:"paused"`
	// Tags select the monitor in maintenance windows and silences.
	Tags []string `yaml:"tags"`
	// Agent names the agent that runs this monitor on its host (host
	// checks: disk, files, process ...); "" runs it on the server.
	Agent string `yaml:"agent"`
	// Locations run the monitor from each place listed, independently:
	// server.location (default "local") is the server, any other name the agents of that
	// location. Empty means the server alone (or Agent's host).
	Locations []string `yaml:"locations"`
	// DownWhen is the quorum of Locations that must fail for the monitor
	// to be down; default any.
	DownWhen DownWhen `yaml:"down_when"`

	// Block is the block of the monitor's type when its kind declares it
	// (Kinds.NewBlock): a pointer to the kind's block struct, decoded from
	// the key named after the type.
	Block Block `yaml:"-"`
	// Raw holds, while the file is read, the monitor's keys that are not
	// common fields: the blocks the kinds declare, from which the loader
	// decodes Block, and keys nothing knows, which it reports. The loader
	// empties it.
	Raw map[string]yaml.Node `yaml:",inline"`

	// Stored is set on a monitor created through the API, which the
	// database holds rather than a file; the loader never sets it.
	Stored bool `yaml:"-" json:"-"`
}

// Duration is a time.Duration written in YAML as "30s", "5m", "1h30m" or
// "2d" (days are accepted for convenience).
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }
