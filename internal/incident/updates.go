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
// its severity is listed in incidents.auto_notice. name turns a service
// id into the name the public knows (nil: the id).
func Notice(cfg config.Incidents, in store.Incident, name func(string) string) (store.IncidentUpdate, bool) {
	if !slices.Contains(cfg.AutoNotice, in.Severity) {
		return store.IncidentUpdate{}, false
	}
	names := make([]string, 0, len(in.Services))
	for _, s := range in.Services {
		if name != nil {
			s = name(s)
		}
		names = append(names, s)
	}
	what := "one of our services"
	switch len(names) {
	case 0:
	case 1:
		what = names[0]
	default:
		what = strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	}
	tmpl := cfg.NoticeTemplate
	if tmpl == "" {
		tmpl = config.DefaultNoticeTemplate
	}
	return store.IncidentUpdate{IncidentID: in.ID, Time: in.OpenedAt, Status: store.IncidentInvestigating, Public: true, Who: System,
		Message: strings.ReplaceAll(tmpl, "{{services}}", what)}, true
}

// PublishNotice stores the automatic first public update of a new
// incident when its severity asks for one.
func PublishNotice(ctx context.Context, s store.IncidentUpdates, cfg config.Incidents, in store.Incident) error {
	u, ok := Notice(cfg, in, nil)
	if !ok {
		return nil
	}
	_, err := s.AddIncidentUpdate(ctx, u)
	return err
}
