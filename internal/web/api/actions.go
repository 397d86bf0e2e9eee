package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Action is a follow-up action as the API shows it.
type Action struct {
	ID         int64  `json:"id"`
	IncidentID int64  `json:"incident_id"`
	Title      string `json:"title"`
	Owner      string `json:"owner"`
	// Due is the due date (YYYY-MM-DD) in Timezone; "" for none.
	Due      string `json:"due"`
	Timezone string `json:"timezone"`
	// DueAt is the end of the due day, the instant it becomes overdue.
	DueAt     *time.Time `json:"due_at,omitempty"`
	Overdue   bool       `json:"overdue"`
	Priority  string     `json:"priority"`
	Type      string     `json:"type"`
	Status    string     `json:"status"`
	Link      string     `json:"link"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedBy string     `json:"updated_by"`
	UpdatedAt time.Time  `json:"updated_at"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
}

func (s *API) toAPIAction(f store.FollowUp) Action {
	dl := f.Deadline()
	return Action{ID: f.ID, IncidentID: f.IncidentID, Title: f.Title, Owner: f.Owner, Due: f.Due, Timezone: f.Timezone, DueAt: optTime(dl),
		Overdue: !f.Finished() && !dl.IsZero() && !s.d.Now().Before(dl), Priority: f.Priority, Type: f.Type, Status: f.Status, Link: f.Link,
		CreatedBy: f.CreatedBy, CreatedAt: f.CreatedAt.UTC(), UpdatedBy: f.UpdatedBy, UpdatedAt: f.UpdatedAt.UTC(), DoneAt: optTime(f.DoneAt)}
}

// actionRequest is the body of POST and PATCH: absent fields are left
// as they are (PATCH) or take their defaults (POST).
type actionRequest struct {
	Title    *string `json:"title"`
	Owner    *string `json:"owner"`
	Due      *string `json:"due"`
	Timezone *string `json:"timezone"`
	Priority *string `json:"priority"`
	Type     *string `json:"type"`
	Status   *string `json:"status"`
	Link     *string `json:"link"`
}

func (r actionRequest) patch() store.FollowUpPatch {
	return store.FollowUpPatch{Title: r.Title, Owner: r.Owner, Due: r.Due, Timezone: r.Timezone, Priority: r.Priority, Type: r.Type, Status: r.Status, Link: r.Link}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// serveIncidentActions serves GET /api/v1/incidents/{id}/actions: the
// incident's follow-up actions, newest first.
func (s *API) serveIncidentActions(w http.ResponseWriter, r *http.Request, _ store.User) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	if _, err := s.d.Store.Incident(r.Context(), id); err != nil {
		return storeErr(err, "reading an incident")
	}
	return s.listActions(w, r, store.FollowUpFilter{IncidentID: id, Status: r.URL.Query().Get("status")})
}

// serveActions serves GET /api/v1/actions?status=open|overdue|done|all&owner=:
// follow-up actions of every incident, newest first; open by default.
func (s *API) serveActions(w http.ResponseWriter, r *http.Request, _ store.User) error {
	q := r.URL.Query()
	st := q.Get("status")
	if st == "" {
		st = store.FollowUpsOpen
	}
	return s.listActions(w, r, store.FollowUpFilter{Status: st, Owner: q.Get("owner")})
}

func (s *API) listActions(w http.ResponseWriter, r *http.Request, f store.FollowUpFilter) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	f.Page = p
	list, err := s.d.Store.FollowUpList(r.Context(), f)
	if err != nil {
		return storeErr(err, "reading follow-up actions")
	}
	webcore.WriteJSON(w, http.StatusOK, pageList(list, p.Limit, s.toAPIAction, func(x store.FollowUp) int64 { return x.ID }))
	return nil
}

// serveIncidentActionCreate serves POST /api/v1/incidents/{id}/actions.
// The due date is read in the owner's timezone unless one is given.
func (s *API) serveIncidentActionCreate(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var req actionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	f := store.FollowUp{IncidentID: id, Title: deref(req.Title), Owner: deref(req.Owner), Due: deref(req.Due), Timezone: deref(req.Timezone),
		Priority: deref(req.Priority), Type: deref(req.Type), Status: deref(req.Status), Link: deref(req.Link)}
	if f.Timezone == "" {
		f.Timezone = webcore.FollowUpTimezone(s.d.Runtime.Catalog(), f.Owner)
	}
	f, err = s.d.Store.CreateFollowUp(r.Context(), f, u.Name)
	if err != nil {
		return storeErr(err, "adding a follow-up action")
	}
	s.d.FollowUpsTouched()
	webcore.WriteJSON(w, http.StatusCreated, One[Action]{Data: s.toAPIAction(f)})
	return nil
}

// serveActionPatch serves PATCH /api/v1/actions/{id}: the fields given
// change. A new owner without a timezone brings the owner's timezone.
func (s *API) serveActionPatch(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.Errorf(errs.ENOTFOUND, "no follow-up action %q: action ids are positive numbers", r.PathValue("id"))
	}
	var req actionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Owner != nil && req.Timezone == nil {
		tz := webcore.FollowUpTimezone(s.d.Runtime.Catalog(), *req.Owner)
		req.Timezone = &tz
	}
	f, err := s.d.Store.UpdateFollowUp(r.Context(), id, req.patch(), u.Name)
	if err != nil {
		return storeErr(err, "changing a follow-up action")
	}
	s.d.FollowUpsTouched()
	webcore.WriteJSON(w, http.StatusOK, One[Action]{Data: s.toAPIAction(f)})
	return nil
}
