// Package importer holds what the importers from other monitoring tools
// share: the configuration fragment they produce (the part of Tocsin's
// configuration format an importer writes, each type mirroring a section
// of docs/configuration.md), the notes on what could not be mapped, the
// ids made from the source's names, and the YAML writer. One subpackage
// per source (gatus, uptimekuma, healthchecks) reads that source and maps
// it to a Fragment; the mapping is a pure function of what was read.
package importer

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// Fragment is a configuration file holding only lists, which validates
// on its own and can be included from the main file.
type Fragment struct {
	// Source says what the fragment was imported from, for its heading
	// ("Gatus configuration config.yaml").
	Source      string
	Channels    []Channel
	Services    []Service
	Monitors    []Monitor
	Heartbeats  []Heartbeat
	Maintenance []Maintenance
}

// Note says that an item of the source, or part of it, was not mapped,
// and why. Item names it as the source does (`endpoint "core/api"`).
type Note struct {
	Item   string
	Reason string
}

func (n Note) String() string { return n.Item + ": " + n.Reason }

// Notes collects notes in the order they were made.
type Notes []Note

// Add appends a note about item.
func (ns *Notes) Add(item, format string, args ...any) {
	*ns = append(*ns, Note{Item: item, Reason: fmt.Sprintf(format, args...)})
}

// Channel is an entry of `channels:`. Block is written under the key
// named after Type (none for an inbox).
type Channel struct {
	ID      string `yaml:"id"`
	Type    string `yaml:"type"`
	Block   any    `yaml:"-"`
	Comment string `yaml:"-"`
}

// WebhookBlock is a channel's `webhook:` block.
type WebhookBlock struct {
	URL     string            `yaml:"url"`
	Headers map[string]string `yaml:"headers,omitempty"`
}

// EmailBlock is a channel's `email:` block.
type EmailBlock struct {
	Host               string   `yaml:"host"`
	Port               int      `yaml:"port,omitempty"`
	TLS                string   `yaml:"tls,omitempty"`
	InsecureSkipVerify bool     `yaml:"insecure_skip_verify,omitempty"`
	Username           string   `yaml:"username,omitempty"`
	Password           string   `yaml:"password,omitempty"`
	From               string   `yaml:"from"`
	To                 []string `yaml:"to,flow"`
}

// ChatBlock is the block of a chat or push channel (slack, discord,
// telegram, ntfy, ...).
type ChatBlock struct {
	URL        string   `yaml:"url,omitempty"`
	WebhookURL string   `yaml:"webhook_url,omitempty"`
	Server     string   `yaml:"server,omitempty"`
	Topic      string   `yaml:"topic,omitempty"`
	Token      string   `yaml:"token,omitempty"`
	Chats      []string `yaml:"chats,omitempty,flow"`
	User       string   `yaml:"user,omitempty"`
	Insecure   bool     `yaml:"insecure,omitempty"`
}

// PagerDutyBlock is a channel's `pagerduty:` block.
type PagerDutyBlock struct {
	RoutingKey string `yaml:"routing_key"`
	URL        string `yaml:"url,omitempty"`
}

// TwilioBlock is a channel's `twilio:` block.
type TwilioBlock struct {
	AccountSID string   `yaml:"account_sid"`
	AuthToken  string   `yaml:"auth_token"`
	From       string   `yaml:"from"`
	To         []string `yaml:"to,flow"`
}

// Service is an entry of `services:`.
type Service struct {
	ID          string   `yaml:"id"`
	Name        string   `yaml:"name,omitempty"`
	Description string   `yaml:"description,omitempty"`
	Channels    []string `yaml:"channels,omitempty,flow"`
	Comment     string   `yaml:"-"`
}

// Monitor is an entry of `monitors:`. Block is written under the key
// named after Type.
type Monitor struct {
	ID               string   `yaml:"id"`
	Name             string   `yaml:"name,omitempty"`
	Service          string   `yaml:"service,omitempty"`
	Type             string   `yaml:"type"`
	Interval         Duration `yaml:"interval,omitempty"`
	Timeout          Duration `yaml:"timeout,omitempty"`
	FailureThreshold int      `yaml:"failure_threshold,omitempty"`
	SuccessThreshold int      `yaml:"success_threshold,omitempty"`
	Tags             []string `yaml:"tags,omitempty,flow"`
	Channels         []string `yaml:"channels,omitempty,flow"`
	Paused           bool     `yaml:"paused,omitempty"`
	Block            any      `yaml:"-"`
	Comment          string   `yaml:"-"`
}

// HTTPBlock is a monitor's `http:` block.
type HTTPBlock struct {
	URL             string            `yaml:"url"`
	Method          string            `yaml:"method,omitempty"`
	Headers         map[string]string `yaml:"headers,omitempty"`
	Body            string            `yaml:"body,omitempty"`
	FollowRedirects *bool             `yaml:"follow_redirects,omitempty"`
	TLS             *TLSClient        `yaml:"tls,omitempty"`
	Expect          *HTTPExpect       `yaml:"expect,omitempty"`
}

// TLSClient is the TLS client block of a check.
type TLSClient struct {
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty"`
}

// HTTPExpect is the `expect:` block of an http check.
type HTTPExpect struct {
	Status          []string     `yaml:"status,omitempty,flow"`
	BodyContains    string       `yaml:"body_contains,omitempty"`
	BodyRegex       string       `yaml:"body_regex,omitempty"`
	JSON            []JSONExpect `yaml:"json,omitempty"`
	MaxResponseTime Duration     `yaml:"max_response_time,omitempty"`
	CertMinDays     int          `yaml:"cert_min_days,omitempty"`
	CertWarnDays    int          `yaml:"cert_warn_days,omitempty"`
}

// Empty reports whether e sets nothing.
func (e *HTTPExpect) Empty() bool {
	return len(e.Status) == 0 && e.BodyContains == "" && e.BodyRegex == "" && len(e.JSON) == 0 &&
		e.MaxResponseTime == 0 && e.CertMinDays == 0 && e.CertWarnDays == 0
}

// JSONExpect is one entry of `expect.json`.
type JSONExpect struct {
	Path   string  `yaml:"path"`
	Equals *string `yaml:"equals,omitempty"`
	Exists *bool   `yaml:"exists,omitempty"`
}

// TCPBlock is a monitor's `tcp:` block.
type TCPBlock struct {
	Address string `yaml:"address"`
}

// TLSBlock is a monitor's `tls:` block.
type TLSBlock struct {
	Address     string `yaml:"address"`
	StartTLS    string `yaml:"starttls,omitempty"`
	CertMinDays int    `yaml:"cert_min_days,omitempty"`
}

// DNSBlock is a monitor's `dns:` block.
type DNSBlock struct {
	Name   string   `yaml:"name"`
	Type   string   `yaml:"type,omitempty"`
	Server string   `yaml:"server,omitempty"`
	RCode  string   `yaml:"rcode,omitempty"`
	Expect []string `yaml:"expect,omitempty,flow"`
}

// ICMPBlock is a monitor's `icmp:` block.
type ICMPBlock struct {
	Host    string   `yaml:"host"`
	Count   int      `yaml:"count,omitempty"`
	CritRTT Duration `yaml:"crit_rtt,omitempty"`
}

// SSHBlock is a monitor's `ssh:` block.
type SSHBlock struct {
	Address  string     `yaml:"address"`
	User     string     `yaml:"user,omitempty"`
	Password string     `yaml:"password,omitempty"`
	Command  string     `yaml:"command,omitempty"`
	Expect   *SSHExpect `yaml:"expect,omitempty"`
}

// SSHExpect is the `expect:` block of an ssh check.
type SSHExpect struct {
	ExitStatus *int `yaml:"exit_status,omitempty"`
}

// Heartbeat is an entry of `heartbeats:`.
type Heartbeat struct {
	ID       string   `yaml:"id"`
	Name     string   `yaml:"name,omitempty"`
	UUID     string   `yaml:"uuid"`
	Slug     string   `yaml:"slug,omitempty"`
	Service  string   `yaml:"service,omitempty"`
	Channels []string `yaml:"channels,omitempty,flow"`
	Period   Duration `yaml:"period,omitempty"`
	Cron     string   `yaml:"cron,omitempty"`
	Timezone string   `yaml:"timezone,omitempty"`
	Grace    Duration `yaml:"grace,omitempty"`
	Paused   bool     `yaml:"paused,omitempty"`
	Comment  string   `yaml:"-"`
}

// Maintenance is an entry of `maintenance:`: one-off (Start, End) or
// recurring (Cron, Duration).
type Maintenance struct {
	ID       string   `yaml:"id"`
	Reason   string   `yaml:"reason"`
	Match    Match    `yaml:"match"`
	Start    string   `yaml:"start,omitempty"`
	End      string   `yaml:"end,omitempty"`
	Cron     string   `yaml:"cron,omitempty"`
	Duration Duration `yaml:"duration,omitempty"`
	Timezone string   `yaml:"timezone,omitempty"`
	Comment  string   `yaml:"-"`
}

// Match is what a maintenance window covers.
type Match struct {
	Services []string `yaml:"services,omitempty,flow"`
	Monitors []string `yaml:"monitors,omitempty,flow"`
}

// Duration is written as Tocsin writes durations: 30s, 5m, 1h30m, 2d.
type Duration time.Duration

// MarshalYAML writes d in its shortest exact form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// IsZero lets omitempty leave a zero duration out.
func (d Duration) IsZero() bool { return d == 0 }

func (d Duration) String() string {
	t := time.Duration(d)
	if t <= 0 {
		return "0"
	}
	if t%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(t/(24*time.Hour)), 10) + "d"
	}
	if t%time.Second != 0 {
		return t.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		d    time.Duration
		unit string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := t / u.d; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.unit)
			t -= n * u.d
		}
	}
	return b.String()
}

// Seconds is a Duration of n seconds.
func Seconds(n float64) Duration { return Duration(time.Duration(n * float64(time.Second))) }

// maxID is the longest id Tocsin accepts (^[a-z0-9][a-z0-9_.-]{0,62}$).
const maxID = 63

// IDs makes ids from the source's names: lowercase, only the characters
// ids may hold, unique within one namespace (monitors and heartbeats
// share one), with Prefix before each.
type IDs struct {
	Prefix string
	taken  map[string]bool
}

// Make returns an id for name not returned before, else fallback's.
func (ids *IDs) Make(name, fallback string) string {
	if ids.taken == nil {
		ids.taken = make(map[string]bool)
	}
	base := Slug(name)
	if base == "" {
		base = Slug(fallback)
	}
	if base == "" {
		base = "item"
	}
	base = trimID(ids.Prefix+base, maxID)
	id := base
	for n := 2; ids.taken[id]; n++ {
		suffix := "-" + strconv.Itoa(n)
		id = trimID(base, maxID-len(suffix)) + suffix
	}
	ids.taken[id] = true
	return id
}

func trimID(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimRight(s, "-_.")
}

// Slug turns a name into lowercase letters, digits and single dashes.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	return b.String()
}

// Tag turns a source's tag (and value, when it has one) into a Tocsin
// tag: no spaces or commas, name=value.
func Tag(name, value string) string {
	clean := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) || r == ',' {
				return '-'
			}
			return r
		}, strings.TrimSpace(s))
	}
	t := clean(name)
	if v := clean(value); v != "" {
		t += "=" + v
	}
	if len(t) > 64 {
		t = t[:64]
	}
	return t
}

// Literal escapes the dollar signs of a value read from a source that
// does not expand environment variables, so that Tocsin, which expands
// ${NAME} and reads $$ as $, keeps it as it is.
func Literal(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && (s[i+1] == '$' || s[i+1] == '{') {
			b.WriteString("$$")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// importNamespace seeds the UUIDs made for imported heartbeats that had
// none in their source, so the same source gives the same UUID on every
// import.
var importNamespace = uuid.MustParse("6f1d7c52-3f0a-4b8e-9d41-2a5c8e7b9f13")

// StableUUID returns a UUID derived from key: the same key, the same UUID.
func StableUUID(key string) string {
	return uuid.NewSHA1(importNamespace, []byte(key)).String()
}
