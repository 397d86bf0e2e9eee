package incident

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// maxUpdate bounds an update's message.
const maxUpdate = 5000

// CommsRole is the role allowed to post updates when incidents.updates_by
// is comms.
const CommsRole = "comms"

// CheckUpdate validates an incident update a person writes.
func CheckUpdate(u store.IncidentUpdate, now time.Time) (store.IncidentUpdate, error) {
	u.Message = strings.TrimSpace(u.Message)
	switch {
	case u.Message == "":
		return u, errs.Errorf(errs.EINVALID, "an update needs a message")
	case len(u.Message) > maxUpdate:
		return u, errs.Errorf(errs.EINVALID, "the message is longer than %d bytes", maxUpdate)
	case !slices.Contains(store.UpdateStatuses, u.Status):
		return u, errs.Errorf(errs.EINVALID, "status %q is not one of %s", u.Status, strings.Join(store.UpdateStatuses, ", "))
	}
	u.Time = now
	return u, nil
}

// MayUpdate reports whether who may post updates to an incident: anyone
// by default, only the current holders of the comms role when
// incidents.updates_by is comms.
func MayUpdate(cfg config.Incidents, in store.Incident, who string) error {
	if cfg.UpdatesBy != config.UpdatesByComms {
		return nil
	}
	for _, r := range in.Roles {
		if r.Role == CommsRole && r.Holder == who && r.Until.IsZero() {
			return nil
		}
	}
	return errs.Errorf(errs.EFORBIDDEN, "only the communications lead of incident %d may post updates (incidents.updates_by: comms)", in.ID)
}

// Notice returns the automatic first public update of a new incident, if
// its severity is listed in incidents.auto_notice. In the template,
// {{services}} becomes the services' names ("Web shop and API"),
// {{service_ids}} their ids ("web, api") and {{severity}} the severity
// id. name turns a service id into the name the public knows (nil, or
// "" for an unknown service: the id).
func Notice(cfg config.Incidents, in store.Incident, name func(string) string) (store.IncidentUpdate, bool) {
	if !slices.Contains(cfg.AutoNotice, in.Severity) {
		return store.IncidentUpdate{}, false
	}
	names := make([]string, 0, len(in.Services))
	for _, s := range in.Services {
		if name != nil && name(s) != "" {
			s = name(s)
		}
		names = append(names, s)
	}
	ids := "one of our services"
	if len(in.Services) > 0 {
		ids = strings.Join(in.Services, ", ")
	}
	tmpl := cfg.NoticeTemplate
	if tmpl == "" {
		tmpl = config.DefaultNoticeTemplate
	}
	msg := strings.NewReplacer("{{services}}", listed(names), "{{service_ids}}", ids, "{{severity}}", in.Severity).Replace(tmpl)
	return store.IncidentUpdate{IncidentID: in.ID, Time: in.OpenedAt, Status: store.IncidentInvestigating, Public: true, Who: System,
		Message: msg}, true
}

// listed writes "a", "a and b", "a, b and c"; "one of our services" for
// none.
func listed(names []string) string {
	switch len(names) {
	case 0:
		return "one of our services"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// PublishNotice stores the automatic first public update of a new
// incident when its severity asks for one; name as for Notice.
func PublishNotice(ctx context.Context, s store.IncidentUpdates, cfg config.Incidents, in store.Incident, name func(string) string) error {
	u, ok := Notice(cfg, in, name)
	if !ok {
		return nil
	}
	_, err := s.AddIncidentUpdate(ctx, u)
	return err
}

// UpdateChange decides the state change an update brings: the incident
// moves to the status the update reports, recorded as the update's
// author. An update naming the state the incident is in changes nothing,
// nor does "resolved" on an incident already in its postmortem.
func UpdateChange(in store.Incident, u store.IncidentUpdate) (store.IncidentChange, bool) {
	if u.Status == in.State || (u.Status == store.IncidentResolved && in.State == store.IncidentPostmortem) {
		return store.IncidentChange{}, false
	}
	c := store.IncidentChange{ID: in.ID, State: u.Status, At: u.Time, Who: u.Who, Text: "by an update"}
	if u.Status == store.IncidentMonitoring {
		c.MonitoringSince = u.Time
	}
	return c, true
}

// Posted is what posting an update did.
type Posted struct {
	Update store.IncidentUpdate
	// Incident is the incident after the update; Changed says whether
	// the update moved its state.
	Incident store.Incident
	Changed  bool
}

// UpdateStore is what posting an update needs of the store.
type UpdateStore interface {
	Incident(ctx context.Context, id int64) (store.Incident, error)
	AddIncidentUpdate(ctx context.Context, u store.IncidentUpdate) (store.IncidentUpdate, error)
	ChangeIncident(ctx context.Context, c store.IncidentChange) (store.Incident, error)
}

// Post checks an update a person writes, whether they may, stores it and
// moves the incident to the state it reports (UpdateChange). Another
// writer moving the incident to that state first is no error.
func Post(ctx context.Context, s UpdateStore, cfg config.Incidents, u store.IncidentUpdate, now time.Time) (Posted, error) {
	u, err := CheckUpdate(u, now)
	if err != nil {
		return Posted{}, err
	}
	in, err := s.Incident(ctx, u.IncidentID)
	if err != nil {
		return Posted{}, err
	}
	if err := MayUpdate(cfg, in, u.Who); err != nil {
		return Posted{}, err
	}
	if u, err = s.AddIncidentUpdate(ctx, u); err != nil {
		return Posted{}, err
	}
	p := Posted{Update: u, Incident: in}
	if c, ok := UpdateChange(in, u); ok {
		out, err := s.ChangeIncident(ctx, c)
		switch errs.Code(err) {
		case "":
			p.Incident, p.Changed = out, true
			return p, nil
		case errs.ECONFLICT:
		default:
			return p, err
		}
	}
	p.Incident, err = s.Incident(ctx, in.ID)
	return p, err
}
