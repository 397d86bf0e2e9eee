package api

import (
	"math"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// The JSON shapes of the API. Durations are milliseconds in fields named
// *_ms; times are RFC 3339 in UTC; absent times are null.

// List is every list response: one page of data and the cursor of the next.
type List[T any] struct {
	Data []T     `json:"data"`
	Next *string `json:"next"`
}

// pageList turns one page of store items into a list, with the cursor of
// the next page when this one is full.
func pageList[T, U any](items []T, limit int, conv func(T) U, id func(T) int64) List[U] {
	out := List[U]{Data: make([]U, 0, len(items))}
	for _, it := range items {
		out.Data = append(out.Data, conv(it))
	}
	if n := len(items); n > 0 {
		out.Next = webcore.NextCursor(n, limit, id(items[n-1]))
	}
	return out
}

// One is every single-object response.
type One[T any] struct {
	Data T `json:"data"`
}

// Monitor is a monitor as GET /api/v1/monitors shows it.
type Monitor struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	Type       string  `json:"type"`
	Service    string  `json:"service"`
	Target     string  `json:"target"`
	IntervalMS float64 `json:"interval_ms"`
	TimeoutMS  float64 `json:"timeout_ms"`
	// Source is "config" for a monitor of the configuration file, "api"
	// for one created through the API.
	Source     string   `json:"source"`
	State      State    `json:"state"`
	LastResult *Result  `json:"last_result"`
	Uptime24h  *float64 `json:"uptime_24h"`
	Uptime7d   *float64 `json:"uptime_7d,omitempty"`
	Uptime30d  *float64 `json:"uptime_30d,omitempty"`
	// Locations is each location of a monitor run from several, in the
	// configured order; absent for the others.
	Locations []MonitorLocation `json:"locations,omitempty"`
	// The service's name, description and owners.
	ServiceInfo
}

// State is a monitor's live state.
type State struct {
	Status               string     `json:"status"`
	Since                *time.Time `json:"since"`
	Flapping             bool       `json:"flapping"`
	ConsecutiveFailures  int        `json:"consecutive_failures"`
	ConsecutiveSuccesses int        `json:"consecutive_successes"`
	LastResultAt         *time.Time `json:"last_result_at"`
}

// MonitorLocation is one location of a monitor run from several: its state
// (up, warning, down, or unknown when it cannot be counted) and its newest
// result.
type MonitorLocation struct {
	Location  string     `json:"location"`
	State     string     `json:"state"`
	Since     *time.Time `json:"since"`
	LatencyMS *float64   `json:"latency_ms"`
	Reason    string     `json:"reason"`
	Time      *time.Time `json:"time"`
}

// Timing is one phase of a probe run.
type Timing struct {
	DNSMS       float64 `json:"dns_ms"`
	ConnectMS   float64 `json:"connect_ms"`
	TLSMS       float64 `json:"tls_ms"`
	FirstByteMS float64 `json:"first_byte_ms"`
}

// Result is one stored probe result.
type Result struct {
	ID         int64          `json:"id,omitempty"`
	MonitorID  string         `json:"monitor_id"`
	Time       time.Time      `json:"time"`
	DurationMS float64        `json:"duration_ms"`
	Status     string         `json:"status"`
	Failed     bool           `json:"failed"`
	Reason     string         `json:"reason"`
	Timing     Timing         `json:"timing"`
	CertExpiry *time.Time     `json:"cert_expiry"`
	Metrics    []probe.Metric `json:"metrics"`
	Location   string         `json:"location,omitempty"`
}

// Transition is one stored change of a monitor's status.
type Transition struct {
	ID        int64     `json:"id"`
	MonitorID string    `json:"monitor_id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Time      time.Time `json:"time"`
	Reason    string    `json:"reason"`
	Flapping  bool      `json:"flapping"`
}

// Attempt is one delivery attempt of a notification.
type Attempt struct {
	ID         int64     `json:"id"`
	MessageID  string    `json:"message_id"`
	Channel    string    `json:"channel"`
	MonitorID  string    `json:"monitor_id"`
	Event      string    `json:"event"`
	Time       time.Time `json:"time"`
	DurationMS float64   `json:"duration_ms"`
	Outcome    string    `json:"outcome"`
	Error      string    `json:"error"`
}

// Message is one notification in the outbox.
type Message struct {
	ID          string     `json:"id"`
	Channel     string     `json:"channel"`
	Event       string     `json:"event"`
	MonitorID   string     `json:"monitor_id"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason"`
	EventTime   time.Time  `json:"event_time"`
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	NextAttempt *time.Time `json:"next_attempt"`
	LastError   string     `json:"last_error"`
	CreatedAt   time.Time  `json:"created_at"`
}

// Token is an API token as the API lists it.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Role       store.Role `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Token is the secret, present only in the response that created it.
	Token string `json:"token,omitempty"`
}

// Status is what GET /api/v1/status answers.
type Status struct {
	Version string       `json:"version"`
	Config  ConfigStatus `json:"config"`
}

// ConfigStatus is the running configuration and the last rejected reload.
type ConfigStatus struct {
	Path       string     `json:"path"`
	LoadedAt   *time.Time `json:"loaded_at"`
	Errors     []string   `json:"errors"`
	RejectedAt *time.Time `json:"rejected_at"`
}

// millis converts d to milliseconds, to the microsecond.
func millis(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Microsecond)) / 1000
}

// timePtr returns t in UTC, or nil for the zero time.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// ratioPtr returns an uptime ratio, or nil when there were no results.
func ratioPtr(u store.Uptime) *float64 {
	r := u.Ratio()
	if r < 0 {
		return nil
	}
	return &r
}

// MonitorSource is where a monitor is defined: "api" for one created
// through the API, "config" for one of the configuration file.
func MonitorSource(m config.Monitor) string {
	if m.Stored {
		return "api"
	}
	return "config"
}

func toAPIMonitor(m webcore.MonitorView) Monitor {
	c := m.Config
	out := Monitor{
		ID: c.ID, Name: c.Name, Type: c.Type, Service: c.Service,
		IntervalMS: millis(c.Interval.D()), TimeoutMS: millis(c.Timeout.D()), Source: MonitorSource(c),
		State: State{
			Status:               webcore.StatusOf(m.State),
			Since:                timePtr(m.State.Since),
			Flapping:             m.State.Flapping,
			ConsecutiveFailures:  m.State.ConsecutiveFailures,
			ConsecutiveSuccesses: m.State.ConsecutiveSuccesses,
			LastResultAt:         timePtr(m.State.LastResultAt),
		},
	}
	if m.LastResult != nil {
		r := toAPIResult(0, *m.LastResult)
		out.LastResult = &r
	}
	for _, l := range m.Locations {
		ml := MonitorLocation{Location: l.Location, State: string(l.Status), Since: timePtr(l.Since)}
		if l.Last != nil {
			ms := millis(l.Last.Duration)
			ml.LatencyMS, ml.Reason, ml.Time = &ms, l.Last.Reason, timePtr(l.Last.Time)
		}
		out.Locations = append(out.Locations, ml)
	}
	return out
}

func toAPIResult(id int64, r probe.Result) Result {
	metrics := r.Metrics
	if metrics == nil {
		metrics = []probe.Metric{}
	}
	return Result{
		ID: id, MonitorID: r.MonitorID, Time: r.Time.UTC(), DurationMS: millis(r.Duration),
		Status: r.Status.String(), Failed: r.Failed(), Reason: r.Reason,
		Timing: Timing{
			DNSMS: millis(r.Timing.DNS), ConnectMS: millis(r.Timing.Connect),
			TLSMS: millis(r.Timing.TLS), FirstByteMS: millis(r.Timing.FirstByte),
		},
		CertExpiry: timePtr(r.CertExpiry),
		Metrics:    metrics,
		Location:   r.Location,
	}
}

func toAPITransition(t store.StoredTransition) Transition {
	return Transition{ID: t.ID, MonitorID: t.MonitorID, From: string(t.From), To: string(t.To), Time: t.Time.UTC(), Reason: t.Reason, Flapping: t.Flapping}
}

func toAPIAttempt(a notify.Attempt) Attempt {
	return Attempt{ID: a.ID, MessageID: a.MessageID, Channel: a.Channel, MonitorID: a.MonitorID, Event: a.Event,
		Time: a.Time.UTC(), DurationMS: millis(a.Duration), Outcome: a.Outcome, Error: a.Error}
}

func toAPIMessage(m notify.OutboxMessage) Message {
	out := Message{ID: m.ID, Channel: m.Channel, Event: m.Event.Event, MonitorID: m.Event.MonitorID, Status: m.Event.Status,
		Reason: m.Event.Reason, EventTime: m.Event.Time.UTC(), State: m.State, Attempts: m.Attempts,
		LastError: m.LastError, CreatedAt: m.CreatedAt.UTC()}
	if m.State == "pending" {
		out.NextAttempt = timePtr(m.NextAttempt)
	}
	return out
}

func toAPIToken(t store.APIToken) Token {
	return Token{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Role: t.Role, CreatedAt: t.CreatedAt.UTC(), LastUsedAt: timePtr(t.LastUsedAt)}
}

// ServiceInfo is what the API tells of a monitor's or heartbeat's
// service besides its id, in the names of the webhook payload.
type ServiceInfo struct {
	ServiceName        string          `json:"service_name,omitempty"`
	ServiceDescription string          `json:"service_description,omitempty"`
	Owners             []catalog.Owner `json:"owners"`
}

// service returns the API's view of the service with the given id;
// owners is an empty list, never null.
func (s *API) service(id string) ServiceInfo {
	info := webcore.Service(s.d.Runtime, id)
	out := ServiceInfo{ServiceDescription: info.Description, Owners: info.Owners}
	if id != "" {
		out.ServiceName = info.Name
	}
	if out.Owners == nil {
		out.Owners = []catalog.Owner{}
	}
	return out
}
