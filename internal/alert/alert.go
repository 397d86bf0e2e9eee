// Package alert turns confirmed monitor transitions into notifications: it
// decides which transitions are worth telling anyone about, names the event,
// and routes it to the channels of the monitor and of its service. It is a
// pure function of the configuration and the transition; the app stores what
// it returns in the outbox, in the same transaction as the transition.
package alert

import (
	"net/url"
	"slices"
	"strings"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// Notifications returns one pending outbox message per channel that wants
// to hear about t, or nil when t is not notified. Each message gets its own
// id from newID, used as the notification id on every retry. baseURL, when
// set, is the server's public URL; each event links to the monitor's page
// under it.
//
// The channels are the service's channels followed by the monitor's own,
// without duplicates, each kept only when its `events` list is empty or
// names the event. Channels or monitors missing from cfg are skipped.
func Notifications(cfg *config.Config, t monitor.Transition, newID func() string, baseURL string) []store.OutboxMessage {
	if cfg == nil {
		return nil
	}
	name, ok := EventName(t)
	if !ok {
		return nil
	}
	m, ok := cfg.Monitor(t.MonitorID)
	if !ok {
		return nil
	}

	at := t.Time.UTC()
	ev := notify.Event{
		Event:          name,
		MonitorID:      m.ID,
		MonitorName:    m.Name,
		ServiceID:      m.Service,
		Status:         string(t.To),
		PreviousStatus: string(t.From),
		Reason:         t.Reason,
		Flapping:       t.Flapping,
		Time:           at,
		URL:            MonitorURL(baseURL, m.ID),
	}
	if svc, ok := cfg.Service(m.Service); ok && m.Service != "" {
		ev.ServiceName = svc.Name
		ev.ServiceDescription = svc.Description
		ev.Owners = catalog.ServiceOwners(cfg, m.Service)
	}

	var out []store.OutboxMessage
	for _, id := range cfg.ChannelsFor(m) {
		ch, ok := cfg.Channel(id)
		if !ok || !Subscribed(ch.Events, name) {
			continue
		}
		e := ev
		e.ID = newID()
		out = append(out, store.OutboxMessage{
			ID:          e.ID,
			Channel:     ch.ID,
			Event:       e,
			State:       notify.StatePending,
			NextAttempt: at,
			CreatedAt:   at,
		})
	}
	return out
}

// EventName names the event a transition raises, and reports false when the
// transition is not notified: the first confirmed state of a new monitor
// when it is up (pending → up), pausing and resuming, and anything that
// ends in pending.
func EventName(t monitor.Transition) (string, bool) {
	if t.From == monitor.StatusPaused || t.To == monitor.StatusPaused {
		return "", false
	}
	if t.From == t.To {
		// Flapping starts and stops keep the status and flip the flag.
		return notify.EventMonitorFlapping, true
	}
	switch t.To {
	case monitor.StatusDown:
		return notify.EventMonitorDown, true
	case monitor.StatusWarning:
		return notify.EventMonitorWarning, true
	case monitor.StatusUp:
		if t.From == monitor.StatusDown || t.From == monitor.StatusWarning {
			return notify.EventMonitorUp, true
		}
	}
	return "", false
}

// Subscribed reports whether a channel with the given `events` list wants
// event: an empty list means every event.
func Subscribed(events []string, event string) bool {
	return len(events) == 0 || slices.Contains(events, event)
}

// MonitorURL returns the link to a monitor's page under baseURL, or "" when
// baseURL is empty.
func MonitorURL(baseURL, monitorID string) string {
	if baseURL == "" {
		return ""
	}
	return strings.TrimRight(baseURL, "/") + "/monitors/" + url.PathEscape(monitorID)
}
