package app

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/incident"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// buildIncidents makes the incident runner: it opens an incident for each
// new paged alert, follows the alerts' recoveries and resolves incidents
// after incidents.resolve_after, all from what the store holds.
func (a *App) buildIncidents() {
	a.inc = incident.New(incident.Options{
		Store:  a.store,
		Config: func() config.Incidents { return a.config().Incidents },
		Now:    a.now,
		Logger: a.log,
		// Short enough that an incident opens within seconds of its
		// alert; a step is a few small reads when nothing changed.
		PollInterval: 2 * time.Second,
		Event:        func(event string, in store.Incident) { a.incidentEvent(event, in, "") },
		ServiceName:  a.serviceName,
	})
}

// serviceName is a service's name in the running catalog; "" when unknown.
func (a *App) serviceName(id string) string {
	if s, ok := a.catalog().Service(id); ok {
		return s.Name
	}
	return ""
}

// incidentChannels are the channels an incident event goes to: those
// whose events list names it, and the channels of the incident's services
// unless their events list leaves it out.
func incidentChannels(cfg *config.Config, event string, services []string) []string {
	var out []string
	mine := map[string]bool{}
	for _, s := range cfg.Services {
		if slices.Contains(services, s.ID) {
			for _, ch := range s.Channels {
				mine[ch] = true
			}
		}
	}
	for _, ch := range cfg.Channels {
		if slices.Contains(ch.Events, event) || (mine[ch.ID] && len(ch.Events) == 0) {
			out = append(out, ch.ID)
		}
	}
	return out
}

// incidentEvent queues an incident event for its channels, through the
// outbox like every notification, with the message a person wrote ("" for
// none). Its notifications' ids start with the incident's, so the
// incident's timeline shows what became of them.
func (a *App) incidentEvent(event string, in store.Incident, message string) {
	a.log.Info(event, "incident", in.ID, "state", in.State, "severity", in.Severity, "title", in.Title)
	cfg := a.config()
	chans := incidentChannels(cfg, event, in.Services)
	if len(chans) == 0 {
		return
	}
	ev := notify.Event{Event: event, Status: in.State, Reason: in.Title, Time: a.now().UTC(), IncidentID: in.ID, Severity: in.Severity, Message: message,
		URL: cfg.Server.BaseURL + "/incidents/" + strconv.FormatInt(in.ID, 10)}
	if len(in.Services) > 0 {
		ev.ServiceID = in.Services[0]
		ev.ServiceName = a.serviceName(ev.ServiceID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.store.SaveBatch(ctx, store.Batch{Outbox: notify.Messages(ev, chans, func() string { return store.IncidentMessageID(in.ID, uuid.NewString()) })}); err != nil {
		a.log.Error("incidents: could not queue a notification", "event", event, "incident", in.ID, "err", err)
		return
	}
	a.disp.Wake()
}
