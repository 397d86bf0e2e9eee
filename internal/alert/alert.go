// Package alert is the second stage of the evaluation pipeline
// (internal/engine): it turns confirmed monitor transitions into alerts. It
// decides which transitions are worth telling anyone about, names the event,
// and routes it to the channels of the monitor and of its service. It is a
// pure function of the configuration and the transition and knows nothing
// of the outbox: the engine hands the alerts on, and the notify stage turns
// them into outbox messages, stored in the same transaction as the
// transition. Grouping, dependency suppression, maintenance windows and
// silences belong here.
package alert

import (
	"net/url"
	"slices"
	"strings"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
)

// Alert is a transition worth telling someone about: the event it raises,
// rendered once, and the channels that want to hear it.
type Alert struct {
	// Event is the notification without its id (Event.ID is empty): each
	// delivery to a channel gets an id of its own in the notify stage.
	Event notify.Event
	// Channels are the ids of the channels to tell, in order, each once;
	// empty when nobody listens.
	Channels []string
}

// Raise returns the alert t raises, and false when t is not notified or
// its monitor is not in cfg (or cfg is nil). baseURL, when set, is the
// server's public URL; the event links to the monitor's page under it.
//
// The channels are the service's channels followed by the monitor's own,
// without duplicates, each kept only when its `events` list is empty or
// names the event. Channels missing from cfg are skipped.
func Raise(cfg *config.Config, t monitor.Transition, baseURL string) (Alert, bool) {
	if cfg == nil {
		return Alert{}, false
	}
	m, ok := cfg.Monitor(t.MonitorID)
	if !ok {
		return Alert{}, false
	}
	return RaiseFor(cfg, m, t, baseURL)
}

// RaiseFor is Raise for a caller that holds t's monitor m, the one of cfg
// with t's MonitorID: looking it up in a large configuration costs more
// than the rest.
func RaiseFor(cfg *config.Config, m *config.Monitor, t monitor.Transition, baseURL string) (Alert, bool) {
	name, ok := EventName(t)
	if !ok {
		return Alert{}, false
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

	a := Alert{Event: ev}
	for _, id := range cfg.ChannelsFor(m) {
		ch, ok := cfg.Channel(id)
		if !ok || !Subscribed(ch.Events, name) {
			continue
		}
		a.Channels = append(a.Channels, ch.ID)
	}
	return a, true
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
