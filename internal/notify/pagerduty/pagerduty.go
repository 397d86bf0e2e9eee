// Package pagerduty is the channel type that hands alerts to PagerDuty
// through its Events API v2: a down monitor or an opened or escalated
// alert triggers a PagerDuty alert, an acknowledgement acknowledges it and
// a recovery resolves it, all under one dedup key per Tocsin alert (or per
// monitor, for events outside an alert).
package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify"
)

// DefaultURL is the Events API v2 endpoint.
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

// DefaultTimeout bounds one request.
const DefaultTimeout = 10 * time.Second

// Block is the `pagerduty:` block of a channel.
type Block struct {
	// RoutingKey is the integration key of a PagerDuty service (Events API
	// v2 integration).
	RoutingKey     string `yaml:"routing_key"`
	RoutingKeyFile string `yaml:"routing_key_file"`
	// URL replaces the Events API endpoint (a proxy, or a test server).
	URL string `yaml:"url"`
	// Severity of triggered alerts: critical (default), error, warning or
	// info.
	Severity string          `yaml:"severity"`
	Timeout  config.Duration `yaml:"timeout"` // default 10s
}

// Files reads the routing key from routing_key_file.
func (b *Block) Files(f *config.Files) {
	f.Secret("routing_key_file", &b.RoutingKey, &b.RoutingKeyFile)
}

// Defaults fills in the endpoint, severity and timeout.
func (b *Block) Defaults(written func(string) bool) {
	if b.URL == "" {
		b.URL = DefaultURL
	}
	if b.Severity == "" {
		b.Severity = "critical"
	}
	if b.Timeout == 0 && !written("timeout") {
		b.Timeout = config.Duration(DefaultTimeout)
	}
}

// Validate checks the block.
func (b *Block) Validate() []config.FieldError {
	var out []config.FieldError
	bad := func(f, format string, args ...any) {
		out = append(out, config.FieldError{Field: f, Message: fmt.Sprintf(format, args...)})
	}
	if b.RoutingKey == "" && b.RoutingKeyFile != "" {
		// The file could not be read; the loader said why.
	} else if b.RoutingKey == "" {
		bad("routing_key", "routing_key is required (the integration key of an Events API v2 integration; or routing_key_file)")
	} else if len(b.RoutingKey) != 32 {
		bad("routing_key", "routing_key must be the 32-character integration key of an Events API v2 integration, not %d characters", len(b.RoutingKey))
	}
	if u, err := url.Parse(b.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("url", "url must be an http:// or https:// URL")
	}
	switch b.Severity {
	case "critical", "error", "warning", "info":
	default:
		bad("severity", "unknown severity %q (use critical, error, warning or info)", b.Severity)
	}
	if b.Timeout <= 0 {
		bad("timeout", "must be longer than zero, not %s", b.Timeout)
	}
	return out
}

// Kind is the pagerduty channel type.
func Kind() notify.Kind {
	return notify.Kind{
		Name:  "pagerduty",
		Block: func() config.ChannelBlock { return &Block{} },
		Build: func(ch *config.Channel, _ *config.Config) (notify.Notifier, error) {
			b, ok := ch.Block.(*Block)
			if !ok || b == nil {
				return nil, fmt.Errorf("channel %q: the pagerduty block is missing", ch.ID)
			}
			return New(b, &http.Client{Timeout: b.Timeout.D()}), nil
		},
	}
}

// Notifier sends events to one PagerDuty service. It is safe for
// concurrent use.
type Notifier struct {
	b      *Block
	client *http.Client
}

// New returns the notifier of a validated block.
func New(b *Block, client *http.Client) *Notifier { return &Notifier{b: b, client: client} }

// Action is the Events API event_action for e: "trigger", "acknowledge",
// "resolve", or "" when e is not sent to PagerDuty.
func Action(e notify.Event) string {
	switch e.Event {
	case notify.EventMonitorDown, "alert.opened", "alert.escalated", notify.EventTest:
		return "trigger"
	case "alert.acknowledged":
		return "acknowledge"
	case notify.EventMonitorUp, "alert.resolved":
		return "resolve"
	}
	return ""
}

// DedupKey is the key that ties the trigger, acknowledgement and resolve
// of one problem together: the alert's id, else the monitor's.
func DedupKey(e notify.Event) string {
	if id := e.Field("alert_id"); id != "" {
		return "tocsin-alert-" + id
	}
	if e.Event == notify.EventTest {
		return "tocsin-test-" + e.ID
	}
	return "tocsin-monitor-" + e.MonitorID
}

// Request is the body of an Events API v2 request.
type Request struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload describes a triggered alert.
type Payload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity"`
	Timestamp     string            `json:"timestamp,omitempty"`
	Component     string            `json:"component,omitempty"`
	Group         string            `json:"group,omitempty"`
	Class         string            `json:"class,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

// Link is a link shown on the PagerDuty alert.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Body builds the request for e; ok is false when e is not sent.
func (n *Notifier) Body(e notify.Event) (r Request, ok bool) {
	action := Action(e)
	if action == "" {
		return Request{}, false
	}
	r = Request{RoutingKey: n.b.RoutingKey, EventAction: action, DedupKey: DedupKey(e), Client: "Tocsin", ClientURL: e.URL}
	if action != "trigger" {
		return r, true
	}
	t := notify.Render(e)
	sev := n.b.Severity
	if e.Event == notify.EventTest {
		sev = "info"
	}
	source := e.ServiceID
	if source == "" {
		source = e.MonitorID
	}
	if source == "" {
		source = "tocsin"
	}
	r.Payload = &Payload{
		Summary:   notify.Truncate(t.Title, 1024),
		Source:    source,
		Severity:  sev,
		Component: e.MonitorID,
		Group:     e.ServiceID,
		Class:     e.Event,
		CustomDetails: map[string]string{
			"details": t.Body,
		},
	}
	if !e.Time.IsZero() {
		r.Payload.Timestamp = e.Time.UTC().Format(time.RFC3339)
	}
	if e.URL != "" {
		r.Links = append(r.Links, Link{Href: e.URL, Text: "Open in Tocsin"})
	}
	if ack := e.Field("ack_url"); ack != "" {
		r.Links = append(r.Links, Link{Href: ack, Text: "Acknowledge in Tocsin"})
	}
	if rb := e.Field("runbook"); rb != "" {
		if u, err := url.Parse(rb); err == nil && (u.Scheme == "https" || u.Scheme == "http") {
			r.Links = append(r.Links, Link{Href: rb, Text: "Runbook"})
		} else {
			r.Payload.CustomDetails["runbook"] = rb
		}
	}
	return r, true
}

// Notify sends e to the Events API. Events PagerDuty has no use for
// (warnings, flapping) are accepted without a request.
func (n *Notifier) Notify(ctx context.Context, e notify.Event) (retry bool, err error) {
	r, ok := n.Body(e)
	if !ok {
		return false, nil
	}
	body, err := json.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("pagerduty: encoding the event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.b.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("pagerduty: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tocsin")
	resp, err := n.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, fmt.Errorf("pagerduty: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	var answer struct {
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	_ = json.Unmarshal(data, &answer)
	msg := answer.Message
	for _, e := range answer.Errors {
		msg += "; " + e
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	retry = resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout
	return retry, fmt.Errorf("pagerduty: HTTP %d: %s", resp.StatusCode, msg)
}

var _ notify.Notifier = (*Notifier)(nil)
