package webcore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/change"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/incident"
	"github.com/tocsin/tocsin/internal/store"
)

// The incident actions below are taken the same way from the pages and
// the API: the store changes, then the channels subscribed to incident
// events hear of it.

func (d Deps) incidentEvent(event string, in store.Incident, message string) {
	if d.IncidentEvent != nil {
		d.IncidentEvent(event, in, message)
	}
}

func (d Deps) catalog() *catalog.Catalog {
	if cat := d.Runtime.Catalog(); cat != nil {
		return cat
	}
	return catalog.New(nil)
}

// ServiceName returns a service's name in the running catalog; "" for
// an unknown service.
func (d Deps) ServiceName(id string) string {
	if s, ok := d.catalog().Service(id); ok {
		return s.Name
	}
	return ""
}

// DeclareIncident opens an incident a person declared, publishes its
// first notice when its severity asks for one and sends incident.opened.
func (d Deps) DeclareIncident(ctx context.Context, decl incident.Declaration, who string) (store.Incident, error) {
	cfg := d.Runtime.Config()
	known := func(id string) bool {
		return slices.ContainsFunc(cfg.Services, func(s config.Service) bool { return s.ID == id })
	}
	in, err := incident.Declare(ctx, d.Store, cfg.Incidents, known, decl, who, d.Now())
	if err != nil {
		return in, err
	}
	if err := incident.PublishNotice(ctx, d.Store, cfg.Incidents, in, d.ServiceName); err != nil {
		return in, fmt.Errorf("publishing the first notice: %w", err)
	}
	if in, err = d.Store.Incident(ctx, in.ID); err != nil {
		return in, err
	}
	d.incidentEvent(incident.EventOpened, in, "")
	audit.Annotate(ctx, strconv.FormatInt(in.ID, 10), fmt.Sprintf("declared %q (%s)", in.Title, in.Severity))
	return in, nil
}

// PostIncidentUpdate stores a person's update, moves the incident to the
// state it reports (incident.Post) and sends incident.updated with the
// message, and incident.resolved too when the update resolved it.
func (d Deps) PostIncidentUpdate(ctx context.Context, u store.IncidentUpdate) (incident.Posted, error) {
	p, err := incident.Post(ctx, d.Store, d.Runtime.Config().Incidents, u, d.Now())
	if err != nil {
		return p, err
	}
	d.incidentEvent(incident.EventUpdated, p.Incident, p.Update.Message)
	audit.Annotate(ctx, "", fmt.Sprintf("update posted, state %s: %s", p.Incident.State, clipSummary(p.Update.Message)))
	if p.Changed && p.Incident.State == store.IncidentResolved {
		d.incidentEvent(incident.EventResolved, p.Incident, p.Update.Message)
	}
	return p, nil
}

// ChangeIncidentState moves an incident as a person asked and sends
// incident.resolved when it is resolved now, incident.updated otherwise.
func (d Deps) ChangeIncidentState(ctx context.Context, c store.IncidentChange) (store.Incident, error) {
	in, err := d.Store.ChangeIncident(ctx, c)
	if err != nil {
		return in, err
	}
	event := incident.EventUpdated
	if in.State == store.IncidentResolved {
		event = incident.EventResolved
	}
	d.incidentEvent(event, in, c.Text)
	audit.Annotate(ctx, "", "state "+in.State)
	return in, nil
}

// clipSummary keeps the start of a message for an audit entry.
func clipSummary(s string) string {
	const most = 200
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "…"
	}
	return s
}

// IncidentSuspects returns the changes made in the change.SuspectWindow
// before the incident started (its detection, else its opening) to its
// services and what they depend on, newest first.
func (d Deps) IncidentSuspects(ctx context.Context, in store.Incident) ([]change.Suspect, error) {
	start := IncidentStart(in)
	cs, err := d.Store.ChangeList(ctx, store.ChangeFilter{Since: start.Add(-change.SuspectWindow), Until: start.Add(time.Nanosecond),
		Page: store.Page{Limit: 1000}})
	if err != nil {
		return nil, fmt.Errorf("listing changes before the incident: %w", err)
	}
	return change.Suspects(cs, change.Scope(d.catalog(), in.Services), start), nil
}

// IncidentStart is when an incident began: when it was detected, else
// when it opened.
func IncidentStart(in store.Incident) time.Time {
	if !in.DetectedAt.IsZero() && (in.OpenedAt.IsZero() || in.DetectedAt.Before(in.OpenedAt)) {
		return in.DetectedAt
	}
	return in.OpenedAt
}
