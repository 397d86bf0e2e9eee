package webcore

import (
	"context"
	"fmt"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/postmortem"
	"github.com/tocsin/tocsin/internal/store"
)

// Limits of a stored postmortem, so one save cannot fill the database.
const (
	MaxPostmortemBody  = 1 << 20
	MaxPostmortemTitle = 500
)

// PostmortemOrDraft returns an incident's stored postmortem with stored
// true, or, when none is saved yet, the draft written for it with the
// incident's title, in state draft. It returns ENOTFOUND when the
// incident does not exist and EINVALID when the configured template
// fails.
func (d Deps) PostmortemOrDraft(ctx context.Context, id int64) (p store.Postmortem, stored bool, err error) {
	in, err := d.Store.Incident(ctx, id)
	if err != nil {
		if errs.Code(err) == errs.ENOTFOUND {
			return p, false, errs.Errorf(errs.ENOTFOUND, "There is no incident %d.", id)
		}
		return p, false, fmt.Errorf("reading incident %d: %w", id, err)
	}
	p, err = d.Store.Postmortem(ctx, id)
	switch {
	case err == nil:
		return p, true, nil
	case errs.Code(err) != errs.ENOTFOUND:
		return p, false, fmt.Errorf("reading the postmortem of incident %d: %w", id, err)
	}
	md, err := d.PostmortemDraft(ctx, in)
	if err != nil {
		return p, false, err
	}
	return store.Postmortem{IncidentID: id, Title: in.Title, Body: md, State: store.PostmortemDraft}, false, nil
}

// PostmortemDraft writes the draft of an incident's postmortem from the
// template incidents.postmortem_template names (read each time) or the
// built-in one, with the changes made in the 24 hours before it started
// to its services and what they depend on.
func (d Deps) PostmortemDraft(ctx context.Context, in store.Incident) (string, error) {
	cfg := d.Runtime.Config()
	path, sev := "", postmortem.Severity{}
	if cfg != nil {
		path = cfg.Incidents.PostmortemTemplate
		for _, l := range cfg.Incidents.Severities {
			if l.ID == in.Severity {
				sev = postmortem.Severity{ID: l.ID, Name: l.Name, Description: l.Description}
			}
		}
	}
	tp, err := postmortem.Load(path)
	if err != nil {
		return "", errs.Errorf(errs.EINVALID, "incidents.postmortem_template: %v", err)
	}
	suspects, err := d.IncidentSuspects(ctx, in)
	if err != nil {
		return "", err
	}
	actions, err := d.Store.FollowUpList(ctx, store.FollowUpFilter{IncidentID: in.ID, Status: store.FollowUpsAll, Page: store.Page{Limit: 1000}})
	if err != nil {
		return "", fmt.Errorf("listing the incident's follow-up actions: %w", err)
	}
	md, err := tp.Draft(postmortem.Build(in, sev, suspects, d.Now()).WithActions(actions))
	if err != nil {
		return "", errs.Errorf(errs.EINVALID, "incidents.postmortem_template: %v", err)
	}
	return md, nil
}

// CheckPostmortem refuses a title or body over the limits with EINVALID.
func CheckPostmortem(title, body string) error {
	if len(body) > MaxPostmortemBody || len(title) > MaxPostmortemTitle {
		return errs.Errorf(errs.EINVALID, "a postmortem's body is at most %d bytes and its title %d", MaxPostmortemBody, MaxPostmortemTitle)
	}
	return nil
}
