// Package notify delivers notifications: the Notifier interface, the channel
// implementations (webhook, email) and the durable outbox dispatcher that
// claims due messages from the store, sends them, retries with backoff and
// records every attempt.
package notify

import (
	"context"
	"time"
)

// Event is one notification, in the shape of the webhook payload documented
// in ARCHITECTURE.md. It is rendered once, stored in the outbox, and every
// channel type renders its own format from it. ID is unique per
// notification and the same on every retry.
type Event struct {
	ID             string    `json:"id"`
	Event          string    `json:"event"` // monitor.down, monitor.up, monitor.warning, ...
	MonitorID      string    `json:"monitor_id"`
	MonitorName    string    `json:"monitor_name,omitempty"`
	ServiceID      string    `json:"service_id"`
	ServiceName    string    `json:"service_name,omitempty"`
	Status         string    `json:"status"` // the monitor status after the transition
	PreviousStatus string    `json:"previous_status,omitempty"`
	Reason         string    `json:"reason"`
	Time           time.Time `json:"time"` // RFC 3339, UTC
	// URL links to the monitor's page in the UI, when server.base_url is known.
	URL string `json:"url,omitempty"`
}

// Notifier sends one event to one destination. retry says whether a failure
// is worth trying again (a 5xx or timeout is; a 4xx or a bad address is not).
type Notifier interface {
	Notify(ctx context.Context, e Event) (retry bool, err error)
}
