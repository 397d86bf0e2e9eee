package api

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Postmortem is an incident's postmortem as the API shows it.
type Postmortem struct {
	IncidentID int64  `json:"incident_id"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	State      string `json:"state"`
	// Stored is false for a draft not yet saved: GET then answers with
	// the generated draft.
	Stored     bool       `json:"stored"`
	CreatedAt  *time.Time `json:"created_at,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
	UpdatedAt  *time.Time `json:"updated_at,omitempty"`
	UpdatedBy  string     `json:"updated_by,omitempty"`
	ApprovedBy string     `json:"approved_by,omitempty"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
}

func toAPIPostmortem(p store.Postmortem) Postmortem {
	return Postmortem{IncidentID: p.IncidentID, Title: p.Title, Body: p.Body, State: p.State, Stored: true, CreatedAt: optTime(p.CreatedAt),
		CreatedBy: p.CreatedBy, UpdatedAt: optTime(p.UpdatedAt), UpdatedBy: p.UpdatedBy, ApprovedBy: p.ApprovedBy, ApprovedAt: optTime(p.ApprovedAt)}
}

// serveIncidentPostmortemDraft serves GET
// /api/v1/incidents/{id}/postmortem.md: the stored postmortem's Markdown
// when there is one, else the generated draft.
func (s *API) serveIncidentPostmortemDraft(w http.ResponseWriter, r *http.Request, _ store.User) error {
	p, err := s.postmortemOrDraft(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=\"incident-%d-postmortem.md\"", p.IncidentID))
	_, _ = io.WriteString(w, p.Body)
	return nil
}

func (s *API) postmortemOrDraft(r *http.Request) (Postmortem, error) {
	id, err := incidentID(r)
	if err != nil {
		return Postmortem{}, err
	}
	p, stored, err := s.d.PostmortemOrDraft(r.Context(), id)
	if err != nil {
		return Postmortem{}, err
	}
	if !stored {
		return Postmortem{IncidentID: p.IncidentID, Title: p.Title, Body: p.Body, State: p.State}, nil
	}
	return toAPIPostmortem(p), nil
}

// serveIncidentPostmortem serves GET /api/v1/incidents/{id}/postmortem.
func (s *API) serveIncidentPostmortem(w http.ResponseWriter, r *http.Request, _ store.User) error {
	p, err := s.postmortemOrDraft(r)
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, One[Postmortem]{Data: p})
	return nil
}

// serveIncidentPostmortemPut serves PUT /api/v1/incidents/{id}/postmortem
// {"title", "body"}: the first save stores it as a draft.
func (s *API) serveIncidentPostmortemPut(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var req struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := webcore.CheckPostmortem(req.Title, req.Body); err != nil {
		return err
	}
	p, err := s.d.Store.SavePostmortem(r.Context(), store.Postmortem{IncidentID: id, Title: req.Title, Body: req.Body}, u.Name)
	if err != nil {
		return storeErr(err, "saving a postmortem")
	}
	webcore.WriteJSON(w, http.StatusOK, One[Postmortem]{Data: toAPIPostmortem(p)})
	return nil
}

// serveIncidentPostmortemState serves POST
// /api/v1/incidents/{id}/postmortem/state {"state": "in_review"}.
func (s *API) serveIncidentPostmortemState(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var req struct {
		State string `json:"state"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	p, err := s.d.Store.SetPostmortemState(r.Context(), id, req.State, u.Name)
	audit.Annotate(r.Context(), "", "postmortem state "+req.State)
	if err != nil {
		return storeErr(err, "moving a postmortem")
	}
	webcore.WriteJSON(w, http.StatusOK, One[Postmortem]{Data: toAPIPostmortem(p)})
	return nil
}

// servePostmortems serves GET /api/v1/postmortems?q=: published
// postmortems whose title or body contains q, newest incident first.
func (s *API) servePostmortems(w http.ResponseWriter, r *http.Request, _ store.User) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	list, err := s.d.Store.PublishedPostmortems(r.Context(), r.URL.Query().Get("q"), p)
	if err != nil {
		return storeErr(err, "reading postmortems")
	}
	webcore.WriteJSON(w, http.StatusOK, pageList(list, p.Limit, toAPIPostmortem, func(x store.Postmortem) int64 { return x.IncidentID }))
	return nil
}
