package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/incident"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Incident is an incident as the API shows it.
type Incident struct {
	ID              int64          `json:"id"`
	Title           string         `json:"title"`
	State           string         `json:"state"`
	Severity        string         `json:"severity"`
	Services        []string       `json:"services"`
	OpenedAt        time.Time      `json:"opened_at"`
	DetectedAt      *time.Time     `json:"detected_at,omitempty"`
	AcknowledgedAt  *time.Time     `json:"acknowledged_at,omitempty"`
	MonitoringSince *time.Time     `json:"monitoring_since,omitempty"`
	ResolvedAt      *time.Time     `json:"resolved_at,omitempty"`
	ResolvedBy      string         `json:"resolved_by,omitempty"`
	ReportedBy      Reporter       `json:"reported_by"`
	ReportedAt      *time.Time     `json:"reported_at,omitempty"`
	DeclaredBy      string         `json:"declared_by,omitempty"`
	Alerts          []int64        `json:"alerts"`
	Roles           []IncidentRole `json:"roles,omitempty"`
	// Timeline is only in GET /incidents/{id}, oldest first.
	Timeline []TimelineEntry `json:"timeline,omitempty"`
	// Suspects are only in GET /incidents/{id}: the changes made in the
	// 24 hours before the incident started to its services and what
	// they depend on, newest first.
	Suspects []Suspect `json:"suspects,omitzero"`
}

// Reporter says who reported an incident.
type Reporter struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// IncidentRole is one person holding one role for a while.
type IncidentRole struct {
	Role       string     `json:"role"`
	Holder     string     `json:"holder"`
	AssignedBy string     `json:"assigned_by"`
	From       time.Time  `json:"from"`
	Until      *time.Time `json:"until,omitempty"`
}

// TimelineEntry is one line of an incident's timeline.
type TimelineEntry struct {
	ID         int64     `json:"id,omitempty"`
	Time       time.Time `json:"time"`
	Kind       string    `json:"kind"`
	Text       string    `json:"text"`
	Who        string    `json:"who"`
	Key        bool      `json:"key"`
	Misleading bool      `json:"misleading"`
	AlertID    int64     `json:"alert_id,omitempty"`
	ActionID   int64     `json:"action_id,omitempty"`
}

func toAPIIncident(in store.Incident) Incident {
	out := Incident{ID: in.ID, Title: in.Title, State: in.State, Severity: in.Severity, Services: in.Services, OpenedAt: in.OpenedAt.UTC(),
		DetectedAt: optTime(in.DetectedAt), AcknowledgedAt: optTime(in.AcknowledgedAt), MonitoringSince: optTime(in.MonitoringSince),
		ResolvedAt: optTime(in.ResolvedAt), ResolvedBy: in.ResolvedBy, ReportedBy: Reporter{Name: in.ReportedName, Kind: in.ReportedKind},
		ReportedAt: optTime(in.ReportedAt), DeclaredBy: in.DeclaredBy, Alerts: in.Alerts}
	if out.Services == nil {
		out.Services = []string{}
	}
	if out.Alerts == nil {
		out.Alerts = []int64{}
	}
	for _, r := range in.Roles {
		out.Roles = append(out.Roles, IncidentRole{Role: r.Role, Holder: r.Holder, AssignedBy: r.AssignedBy, From: r.From.UTC(), Until: optTime(r.Until)})
	}
	for _, e := range in.Timeline {
		out.Timeline = append(out.Timeline, TimelineEntry{ID: e.ID, Time: e.Time.UTC(), Kind: e.Kind, Text: e.Text, Who: e.Who, Key: e.Key,
			Misleading: e.Misleading, AlertID: e.AlertID, ActionID: e.ActionID})
	}
	return out
}

func incidentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Errorf(errs.ENOTFOUND, "no incident %q: incident ids are positive numbers", r.PathValue("id"))
	}
	return id, nil
}

// storeErr keeps the store's coded errors and wraps the others.
func storeErr(err error, what string) error {
	switch errs.Code(err) {
	case errs.EINVALID, errs.ENOTFOUND, errs.ECONFLICT:
		return err
	}
	return fmt.Errorf("%s: %w", what, err)
}

// serveIncidents serves GET /api/v1/incidents: newest first, ?state= one
// of the states or active.
func (s *API) serveIncidents(w http.ResponseWriter, r *http.Request, _ store.User) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	list, err := s.d.Store.Incidents(r.Context(), r.URL.Query().Get("state"), p)
	if err != nil {
		return storeErr(err, "reading incidents")
	}
	webcore.WriteJSON(w, http.StatusOK, pageList(list, p.Limit, toAPIIncident, func(in store.Incident) int64 { return in.ID }))
	return nil
}

// serveIncident serves GET /api/v1/incidents/{id} with its timeline.
func (s *API) serveIncident(w http.ResponseWriter, r *http.Request, _ store.User) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	in, err := s.d.Store.Incident(r.Context(), id)
	if err != nil {
		return storeErr(err, "reading an incident")
	}
	sus, err := s.d.IncidentSuspects(r.Context(), in)
	if err != nil {
		return err
	}
	out := toAPIIncident(in)
	out.Suspects = []Suspect{}
	for _, su := range sus {
		out.Suspects = append(out.Suspects, Suspect{Change: toAPIChange(su.Change), Touches: su.Touches})
	}
	webcore.WriteJSON(w, http.StatusOK, One[Incident]{Data: out})
	return nil
}

// declareRequest is the body of POST /api/v1/incidents.
type declareRequest struct {
	Title      string    `json:"title"`
	Services   []string  `json:"services"`
	Severity   string    `json:"severity"`
	ReportedBy Reporter  `json:"reported_by"`
	ReportedAt time.Time `json:"reported_at"`
}

// serveIncidentDeclare serves POST /api/v1/incidents: an incident
// declared by hand, by the signed-in user.
func (s *API) serveIncidentDeclare(w http.ResponseWriter, r *http.Request, u store.User) error {
	var req declareRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	d := incident.Declaration{Title: req.Title, Services: req.Services, Severity: req.Severity,
		ReportedName: req.ReportedBy.Name, ReportedKind: req.ReportedBy.Kind, ReportedAt: req.ReportedAt}
	in, err := s.d.DeclareIncident(r.Context(), d, u.Name)
	if err != nil {
		return storeErr(err, "declaring an incident")
	}
	webcore.WriteJSON(w, http.StatusCreated, One[Incident]{Data: toAPIIncident(in)})
	return nil
}

// noteRequest is the body of POST /api/v1/incidents/{id}/timeline: a note
// with its own time (zero: now), or marks on an entry (entry_id or
// action_id with key and/or misleading).
type noteRequest struct {
	Text       string    `json:"text"`
	Time       time.Time `json:"time"`
	Key        *bool     `json:"key"`
	Misleading *bool     `json:"misleading"`
	EntryID    int64     `json:"entry_id"`
	ActionID   int64     `json:"action_id"`
}

// serveIncidentTimeline serves POST /api/v1/incidents/{id}/timeline.
func (s *API) serveIncidentTimeline(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var req noteRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	if req.EntryID != 0 || req.ActionID != 0 {
		if req.Text != "" {
			return errs.Errorf(errs.EINVALID, "either add a note (text) or mark an entry (entry_id or action_id), not both")
		}
		if req.Key == nil && req.Misleading == nil {
			return errs.Errorf(errs.EINVALID, "marking an entry needs key or misleading")
		}
		if err := s.d.Store.MarkTimelineEntry(ctx, id, store.TimelineMark{EntryID: req.EntryID, ActionID: req.ActionID, Key: req.Key, Misleading: req.Misleading}); err != nil {
			return storeErr(err, "marking a timeline entry")
		}
	} else {
		e, err := incident.Note(store.TimelineEntry{Text: req.Text, Time: req.Time, Who: u.Name, Key: req.Key != nil && *req.Key,
			Misleading: req.Misleading != nil && *req.Misleading}, s.d.Now())
		if err != nil {
			return err
		}
		if _, err := s.d.Store.AddTimelineEntry(ctx, id, e); err != nil {
			return storeErr(err, "adding a note")
		}
	}
	return s.writeIncident(w, r, id, http.StatusCreated)
}

func (s *API) writeIncident(w http.ResponseWriter, r *http.Request, id int64, status int) error {
	in, err := s.d.Store.Incident(r.Context(), id)
	if err != nil {
		return storeErr(err, "reading an incident")
	}
	webcore.WriteJSON(w, status, One[Incident]{Data: toAPIIncident(in)})
	return nil
}

// serveIncidentSeverity serves POST /api/v1/incidents/{id}/severity
// {"severity": "p1"}.
func (s *API) serveIncidentSeverity(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var req struct {
		Severity string `json:"severity"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	levels := config.SeverityIDs(s.d.Runtime.Config().Incidents.Severities)
	if !slices.Contains(levels, req.Severity) {
		return errs.Errorf(errs.EINVALID, "severity %q is not one of %s", req.Severity, strings.Join(levels, ", "))
	}
	in, err := s.d.Store.SetIncidentSeverity(r.Context(), id, req.Severity, u.Name, s.d.Now())
	if err != nil {
		return storeErr(err, "changing the severity")
	}
	webcore.WriteJSON(w, http.StatusOK, One[Incident]{Data: toAPIIncident(in)})
	return nil
}

// serveIncidentState serves POST /api/v1/incidents/{id}/state
// {"state": "identified", "text": "why"}.
func (s *API) serveIncidentState(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var req struct {
		State string `json:"state"`
		Text  string `json:"text"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if len(req.Text) > 2000 {
		return errs.Errorf(errs.EINVALID, "the text is longer than 2000 bytes")
	}
	now := s.d.Now()
	c := store.IncidentChange{ID: id, State: req.State, At: now, Who: u.Name, Text: strings.TrimSpace(req.Text)}
	if req.State == store.IncidentMonitoring {
		c.MonitoringSince = now
	}
	in, err := s.d.ChangeIncidentState(r.Context(), c)
	if err != nil {
		return storeErr(err, "changing the state")
	}
	webcore.WriteJSON(w, http.StatusOK, One[Incident]{Data: toAPIIncident(in)})
	return nil
}

// serveIncidentRoles serves POST /api/v1/incidents/{id}/roles
// {"role": "lead", "holder": "ann"}: a handover when someone holds it.
func (s *API) serveIncidentRoles(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var req struct {
		Role   string `json:"role"`
		Holder string `json:"holder"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	roles := s.d.Runtime.Config().Incidents.Roles
	if !slices.ContainsFunc(roles, func(x config.IncidentRole) bool { return x.ID == req.Role }) {
		ids := make([]string, len(roles))
		for i, x := range roles {
			ids[i] = x.ID
		}
		return errs.Errorf(errs.EINVALID, "role %q is not one of %s", req.Role, strings.Join(ids, ", "))
	}
	req.Holder = strings.TrimSpace(req.Holder)
	if req.Holder == "" || len(req.Holder) > 200 {
		return errs.Errorf(errs.EINVALID, "holder must be a name of 1 to 200 bytes")
	}
	in, err := s.d.Store.AssignIncidentRole(r.Context(), id, req.Role, req.Holder, u.Name, s.d.Now())
	if err != nil {
		return storeErr(err, "assigning a role")
	}
	webcore.WriteJSON(w, http.StatusOK, One[Incident]{Data: toAPIIncident(in)})
	return nil
}

// IncidentUpdate is one update of an incident as the API shows it.
type IncidentUpdate struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"incident_id"`
	Time       time.Time `json:"time"`
	Status     string    `json:"status"`
	Message    string    `json:"message"`
	Public     bool      `json:"public"`
	Who        string    `json:"who"`
}

// serveIncidentUpdate serves POST /api/v1/incidents/{id}/updates
// {"message": "...", "status": "identified", "public": true}: stored and
// recorded on the timeline; public ones appear on the status pages.
func (s *API) serveIncidentUpdate(w http.ResponseWriter, r *http.Request, u store.User) error {
	id, err := incidentID(r)
	if err != nil {
		return err
	}
	var req struct {
		Message string `json:"message"`
		Status  string `json:"status"`
		Public  bool   `json:"public"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	p, err := s.d.PostIncidentUpdate(r.Context(), store.IncidentUpdate{IncidentID: id, Message: req.Message, Status: req.Status, Public: req.Public, Who: u.Name})
	if err != nil {
		return storeErr(err, "adding an update")
	}
	up := p.Update
	webcore.WriteJSON(w, http.StatusCreated, One[IncidentUpdate]{Data: IncidentUpdate{ID: up.ID, IncidentID: up.IncidentID, Time: up.Time.UTC(),
		Status: up.Status, Message: up.Message, Public: up.Public, Who: up.Who}})
	return nil
}
