package web

import (
	"math"
	"time"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// The JSON shapes of the API. Durations are milliseconds in fields named
// *_ms; times are RFC 3339 in UTC; absent times are null.

// list is every list response: one page of data and the cursor of the next.
type list[T any] struct {
	Data []T     `json:"data"`
	Next *string `json:"next"`
}

// pageList turns one page of store items into a list, with the cursor of
// the next page when this one is full.
func pageList[T, U any](items []T, limit int, conv func(T) U, id func(T) int64) list[U] {
	out := list[U]{Data: make([]U, 0, len(items))}
	for _, it := range items {
		out.Data = append(out.Data, conv(it))
	}
	if n := len(items); n > 0 {
		out.Next = nextCursor(n, limit, id(items[n-1]))
	}
	return out
}

// one is every single-object response.
type one[T any] struct {
	Data T `json:"data"`
}

type apiMonitor struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Type       string     `json:"type"`
	Service    string     `json:"service"`
	Target     string     `json:"target"`
	IntervalMS float64    `json:"interval_ms"`
	TimeoutMS  float64    `json:"timeout_ms"`
	State      apiState   `json:"state"`
	LastResult *apiResult `json:"last_result"`
	Uptime24h  *float64   `json:"uptime_24h"`
	Uptime7d   *float64   `json:"uptime_7d,omitempty"`
	Uptime30d  *float64   `json:"uptime_30d,omitempty"`
	// The service's name, description and owners.
	apiServiceInfo
}

type apiState struct {
	Status               string     `json:"status"`
	Since                *time.Time `json:"since"`
	Flapping             bool       `json:"flapping"`
	ConsecutiveFailures  int        `json:"consecutive_failures"`
	ConsecutiveSuccesses int        `json:"consecutive_successes"`
	LastResultAt         *time.Time `json:"last_result_at"`
}

type apiTiming struct {
	DNSMS       float64 `json:"dns_ms"`
	ConnectMS   float64 `json:"connect_ms"`
	TLSMS       float64 `json:"tls_ms"`
	FirstByteMS float64 `json:"first_byte_ms"`
}

type apiResult struct {
	ID         int64          `json:"id,omitempty"`
	MonitorID  string         `json:"monitor_id"`
	Time       time.Time      `json:"time"`
	DurationMS float64        `json:"duration_ms"`
	Status     string         `json:"status"`
	Failed     bool           `json:"failed"`
	Reason     string         `json:"reason"`
	Timing     apiTiming      `json:"timing"`
	CertExpiry *time.Time     `json:"cert_expiry"`
	Metrics    []probe.Metric `json:"metrics"`
}

type apiTransition struct {
	ID        int64     `json:"id"`
	MonitorID string    `json:"monitor_id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Time      time.Time `json:"time"`
	Reason    string    `json:"reason"`
	Flapping  bool      `json:"flapping"`
}

type apiAttempt struct {
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

type apiMessage struct {
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

type apiToken struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	// Token is the secret, present only in the response that created it.
	Token string `json:"token,omitempty"`
}

type apiStatus struct {
	Version string          `json:"version"`
	Config  apiConfigStatus `json:"config"`
}

type apiConfigStatus struct {
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

func toAPIMonitor(m MonitorView) apiMonitor {
	c := m.Config
	out := apiMonitor{
		ID: c.ID, Name: c.Name, Type: c.Type, Service: c.Service,
		IntervalMS: millis(c.Interval.D()), TimeoutMS: millis(c.Timeout.D()),
		State: apiState{
			Status:               statusOf(m.State),
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
	return out
}

func toAPIResult(id int64, r probe.Result) apiResult {
	metrics := r.Metrics
	if metrics == nil {
		metrics = []probe.Metric{}
	}
	return apiResult{
		ID: id, MonitorID: r.MonitorID, Time: r.Time.UTC(), DurationMS: millis(r.Duration),
		Status: r.Status.String(), Failed: r.Failed(), Reason: r.Reason,
		Timing: apiTiming{
			DNSMS: millis(r.Timing.DNS), ConnectMS: millis(r.Timing.Connect),
			TLSMS: millis(r.Timing.TLS), FirstByteMS: millis(r.Timing.FirstByte),
		},
		CertExpiry: timePtr(r.CertExpiry),
		Metrics:    metrics,
	}
}

func toAPITransition(t store.StoredTransition) apiTransition {
	return apiTransition{ID: t.ID, MonitorID: t.MonitorID, From: string(t.From), To: string(t.To), Time: t.Time.UTC(), Reason: t.Reason, Flapping: t.Flapping}
}

func toAPIAttempt(a notify.Attempt) apiAttempt {
	return apiAttempt{ID: a.ID, MessageID: a.MessageID, Channel: a.Channel, MonitorID: a.MonitorID, Event: a.Event,
		Time: a.Time.UTC(), DurationMS: millis(a.Duration), Outcome: a.Outcome, Error: a.Error}
}

func toAPIMessage(m notify.OutboxMessage) apiMessage {
	out := apiMessage{ID: m.ID, Channel: m.Channel, Event: m.Event.Event, MonitorID: m.Event.MonitorID, Status: m.Event.Status,
		Reason: m.Event.Reason, EventTime: m.Event.Time.UTC(), State: m.State, Attempts: m.Attempts,
		LastError: m.LastError, CreatedAt: m.CreatedAt.UTC()}
	if m.State == "pending" {
		out.NextAttempt = timePtr(m.NextAttempt)
	}
	return out
}

func toAPIToken(t store.APIToken) apiToken {
	return apiToken{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt.UTC(), LastUsedAt: timePtr(t.LastUsedAt)}
}
