package ui

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// actionFilters are the status filters of /actions, in order.
var actionFilters = []string{store.FollowUpsOpen, store.FollowUpsOverdue, store.FollowUpsDone, store.FollowUpsAll}

// actionView is one follow-up action in a table.
type actionView struct {
	ID, IncidentID                                    int64
	Title, Owner, Due, Timezone, Priority, Type, Link string
	Status                                            string
	Overdue                                           bool
}

// actionChoices are the values the forms offer.
type actionChoices struct {
	Statuses, Priorities, Types []string
}

var choices = actionChoices{Statuses: store.FollowUpStatuses, Priorities: store.FollowUpPriorities, Types: store.FollowUpTypes}

type actionsData struct {
	Status, Owner string
	Filters       []alertFilter
	Rows          []actionView
	Choices       actionChoices
	NextURL       string
	PrevHint      bool
	Back          string
	// Editable shows the controls that change an action's status, for
	// the roles that may.
	Editable bool
}

func (s *UI) actionView(f store.FollowUp) actionView {
	dl := f.Deadline()
	return actionView{ID: f.ID, IncidentID: f.IncidentID, Title: f.Title, Owner: f.Owner, Due: f.Due, Timezone: f.Timezone, Priority: f.Priority,
		Type: f.Type, Link: f.Link, Status: f.Status, Overdue: !f.Finished() && !dl.IsZero() && !s.d.Now().Before(dl)}
}

// incidentActions are the follow-up actions of an incident's page,
// oldest first.
func (s *UI) incidentActions(ctx context.Context, id int64) ([]actionView, error) {
	fs, err := s.d.Store.FollowUpList(ctx, store.FollowUpFilter{IncidentID: id, Status: store.FollowUpsAll, Page: store.Page{Limit: 1000}})
	if err != nil {
		return nil, fmt.Errorf("reading the follow-up actions of incident %d: %w", id, err)
	}
	out := make([]actionView, len(fs))
	for i, f := range fs {
		out[len(fs)-1-i] = s.actionView(f)
	}
	return out, nil
}

// handleActions serves /actions: the follow-up actions of every incident,
// open ones by default, overdue ones highlighted; ?status= and ?owner=
// filter.
func (s *UI) handleActions(w http.ResponseWriter, r *http.Request, u store.User) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	data := actionsData{Status: q.Get("status"), Owner: strings.TrimSpace(q.Get("owner")), Choices: choices, PrevHint: p.Before > 0, Editable: u.Can(store.RoleResponder)}
	if data.Status == "" {
		data.Status = store.FollowUpsOpen
	}
	fs, err := s.d.Store.FollowUpList(r.Context(), store.FollowUpFilter{Status: data.Status, Owner: data.Owner, Page: p})
	if err != nil {
		if errs.Code(err) == errs.EINVALID {
			return err
		}
		return fmt.Errorf("reading follow-up actions: %w", err)
	}
	for _, st := range actionFilters {
		data.Filters = append(data.Filters, alertFilter{Label: strings.ReplaceAll(st, "_", " "), URL: actionsURL(st, data.Owner, 0), Current: st == data.Status})
	}
	for _, f := range fs {
		data.Rows = append(data.Rows, s.actionView(f))
	}
	if n := len(fs); n > 0 {
		if c := webcore.NextCursor(n, p.Limit, fs[n-1].ID); c != nil {
			before, _ := strconv.ParseInt(*c, 10, 64)
			data.NextURL = actionsURL(data.Status, data.Owner, before)
		}
	}
	data.Back = actionsURL(data.Status, data.Owner, p.Before)
	s.Render(w, r, http.StatusOK, "actions.html", &u, "Follow-up actions", data)
	return nil
}

func actionsURL(status, owner string, before int64) string {
	q := url.Values{}
	if status != "" && status != store.FollowUpsOpen {
		q.Set("status", status)
	}
	if owner != "" {
		q.Set("owner", owner)
	}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	if len(q) == 0 {
		return "/actions"
	}
	return "/actions?" + q.Encode()
}

// handleActionCreate adds a follow-up action from the form of an
// incident's page; bad input is answered on the page.
func (s *UI) handleActionCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := pathIncidentID(r)
	if err != nil {
		return err
	}
	if err := s.readForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	owner := strings.TrimSpace(f.Get("owner"))
	_, err = s.d.Store.CreateFollowUp(r.Context(), store.FollowUp{IncidentID: id, Title: f.Get("title"), Owner: owner, Due: strings.TrimSpace(f.Get("due")),
		Timezone: webcore.FollowUpTimezone(s.d.Runtime.Catalog(), owner), Priority: f.Get("priority"), Type: f.Get("type"), Link: f.Get("link")}, u.Name)
	switch errs.Code(err) {
	case "":
		s.d.FollowUpsTouched()
		http.Redirect(w, r, fmt.Sprintf("/incidents/%d#actions", id), http.StatusSeeOther)
		return nil
	case errs.EINVALID:
		return s.renderIncident(w, r, u, http.StatusBadRequest, "Follow-up action not added: "+err.Error())
	case errs.ENOTFOUND:
		return err
	}
	return fmt.Errorf("adding a follow-up action to incident %d: %w", id, err)
}

// handleActionStatus changes an action's status, from an incident's page
// or the overview, and goes back there.
func (s *UI) handleActionStatus(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.Errorf(errs.ENOTFOUND, "There is no follow-up action %q.", r.PathValue("id"))
	}
	if err := s.readForm(w, r); err != nil {
		return err
	}
	status := r.PostForm.Get("status")
	a, err := s.d.Store.UpdateFollowUp(r.Context(), id, store.FollowUpPatch{Status: &status}, u.Name)
	if err != nil {
		if c := errs.Code(err); c == errs.EINVALID || c == errs.ENOTFOUND {
			return err
		}
		return fmt.Errorf("changing follow-up action %d: %w", id, err)
	}
	s.d.FollowUpsTouched()
	back := r.PostForm.Get("back")
	if !strings.HasPrefix(back, "/actions") {
		back = fmt.Sprintf("/incidents/%d#actions", a.IncidentID)
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
	return nil
}
