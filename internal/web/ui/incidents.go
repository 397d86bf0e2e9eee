package ui

import (
	"fmt"
	"html/template"
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

// incidentStates are the filters of /incidents; "" is all.
var incidentStates = append([]string{"active", ""}, store.IncidentStates...)

type incidentRow struct {
	ID                        int64
	Title, State, Severity    string
	Services                  []string
	Opened, Detected, Acked   template.HTML
	Resolved                  template.HTML
	ReportedName, ReportedKin string
	DeclaredBy                string
	Alerts                    []int64
}

type incidentsData struct {
	State    string
	States   []alertFilter
	Rows     []incidentRow
	NextURL  string
	PrevHint bool
	// The declaration form.
	Severities []config.Severity
	Services   []config.Service
	Error      string
	Form       map[string]string
}

type timelineView struct {
	ID, ActionID, AlertID int64
	Time                  template.HTML
	Kind, Who, Text       string
	Key, Misleading       bool
}

type roleView struct {
	Role, Name, Holder, AssignedBy string
	From, Until                    template.HTML
}

type incidentData struct {
	Incident   incidentRow
	Roles      []roleView
	Current    map[string]string
	Timeline   []timelineView
	Severities []config.Severity
	RoleDefs   []config.IncidentRole
	States     []string
	Error      string
	// Suspects are the changes of the day before the incident started
	// to its services and their dependencies.
	Suspects []changeRow
	// Actions are the incident's follow-up actions, oldest first.
	Actions actionsData
}

func (s *UI) incidentRow(in store.Incident, clk clock) incidentRow {
	r := incidentRow{ID: in.ID, Title: in.Title, State: in.State, Severity: in.Severity, Services: in.Services, Opened: clk.since(in.OpenedAt),
		ReportedName: in.ReportedName, ReportedKin: in.ReportedKind, DeclaredBy: in.DeclaredBy, Alerts: in.Alerts}
	if !in.DetectedAt.IsZero() {
		r.Detected = clk.when(in.DetectedAt)
	}
	if !in.AcknowledgedAt.IsZero() {
		r.Acked = clk.when(in.AcknowledgedAt)
	}
	if !in.ResolvedAt.IsZero() {
		r.Resolved = clk.when(in.ResolvedAt)
	}
	return r
}

// handleIncidents renders "/incidents": newest first, ?state= filtered,
// with the form to declare one.
func (s *UI) handleIncidents(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderIncidents(w, r, u, http.StatusOK, "", nil)
}

func (s *UI) renderIncidents(w http.ResponseWriter, r *http.Request, u store.User, status int, msg string, form map[string]string) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	state := r.URL.Query().Get("state")
	list, err := s.d.Store.Incidents(r.Context(), state, p)
	if err != nil {
		if errs.Code(err) == errs.EINVALID {
			return err
		}
		return fmt.Errorf("reading incidents: %w", err)
	}
	cfg := s.d.Runtime.Config()
	clk := clock{now: s.d.Now(), loc: viewerZone(r)}
	data := incidentsData{State: state, Severities: cfg.Incidents.Severities, Services: cfg.Services, Error: msg, Form: form}
	if data.Form == nil {
		data.Form = map[string]string{"kind": store.ReportedByStaff, "severity": cfg.Incidents.Severity}
	}
	for _, in := range list {
		data.Rows = append(data.Rows, s.incidentRow(in, clk))
	}
	var last int64
	if n := len(list); n > 0 {
		last = list[n-1].ID
	}
	data.States, data.NextURL = listNav("/incidents", incidentStates, state, p, len(list), last)
	data.PrevHint = p.Before > 0
	s.Render(w, r, status, "incidents.html", &u, "Incidents", data)
	return nil
}

// formTime reads a time typed in a form: RFC 3339, or "2006-01-02 15:04"
// (or the browser's "2006-01-02T15:04") in the viewer's zone.
func formTime(v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("the time %q is not one such as 2026-12-07 09:05", v)
}

// handleIncidentDeclare declares an incident from the form of /incidents.
func (s *UI) handleIncidentDeclare(w http.ResponseWriter, r *http.Request, u store.User) error {
	if err := s.readForm(w, r); err != nil {
		return err
	}
	f := map[string]string{}
	for _, k := range []string{"title", "service", "severity", "reported_by", "kind", "reported_at"} {
		f[k] = r.PostForm.Get(k)
	}
	at, err := formTime(f["reported_at"], viewerZone(r))
	if err != nil {
		return s.renderIncidents(w, r, u, http.StatusBadRequest, err.Error(), f)
	}
	var services []string
	if f["service"] != "" {
		services = []string{f["service"]}
	}
	in, err := s.d.DeclareIncident(r.Context(), incident.Declaration{Title: f["title"], Services: services,
		Severity: f["severity"], ReportedName: strings.TrimSpace(f["reported_by"]), ReportedKind: f["kind"], ReportedAt: at}, u.Name)
	if errs.Code(err) == errs.EINVALID {
		return s.renderIncidents(w, r, u, http.StatusBadRequest, err.Error(), f)
	}
	if err != nil {
		return fmt.Errorf("declaring an incident: %w", err)
	}
	http.Redirect(w, r, fmt.Sprintf("/incidents/%d", in.ID), http.StatusSeeOther)
	return nil
}

func pathIncidentID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Errorf(errs.ENOTFOUND, "There is no incident %q: incident numbers are positive whole numbers.", r.PathValue("id"))
	}
	return id, nil
}

// handleIncident renders "/incidents/{id}".
func (s *UI) handleIncident(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderIncident(w, r, u, http.StatusOK, "")
}

func (s *UI) renderIncident(w http.ResponseWriter, r *http.Request, u store.User, status int, msg string) error {
	id, err := pathIncidentID(r)
	if err != nil {
		return err
	}
	in, err := s.d.Store.Incident(r.Context(), id)
	if err != nil {
		if errs.Code(err) == errs.ENOTFOUND {
			return errs.Errorf(errs.ENOTFOUND, "There is no incident %d.", id)
		}
		return fmt.Errorf("reading incident %d: %w", id, err)
	}
	cfg := s.d.Runtime.Config()
	clk := clock{now: s.d.Now(), loc: viewerZone(r)}
	data := incidentData{Incident: s.incidentRow(in, clk), Current: map[string]string{}, Severities: cfg.Incidents.Severities,
		RoleDefs: cfg.Incidents.Roles, States: store.IncidentStates, Error: msg}
	names := map[string]string{}
	for _, d := range cfg.Incidents.Roles {
		names[d.ID] = d.Name
	}
	for _, ro := range in.Roles {
		v := roleView{Role: ro.Role, Name: orDefault(names[ro.Role], ro.Role), Holder: ro.Holder, AssignedBy: ro.AssignedBy, From: clk.when(ro.From)}
		if ro.Until.IsZero() {
			data.Current[ro.Role] = ro.Holder
		} else {
			v.Until = clk.when(ro.Until)
		}
		data.Roles = append(data.Roles, v)
	}
	for _, e := range in.Timeline {
		data.Timeline = append(data.Timeline, timelineView{ID: e.ID, ActionID: e.ActionID, AlertID: e.AlertID, Time: clk.when(e.Time),
			Kind: e.Kind, Who: s.who(e.Who), Text: e.Text, Key: e.Key, Misleading: e.Misleading})
	}
	sus, err := s.d.IncidentSuspects(r.Context(), in)
	if err != nil {
		return err
	}
	data.Suspects = suspectRows(sus, clk)
	if data.Actions.Rows, err = s.incidentActions(r.Context(), in.ID); err != nil {
		return err
	}
	data.Actions.Choices = choices
	data.Actions.Editable = u.Can(store.RoleResponder)
	s.Render(w, r, status, "incident.html", &u, fmt.Sprintf("Incident %d", in.ID), data)
	return nil
}

// handleIncidentPost applies one form of an incident's page: a note, a
// mark, a severity, a state or a role; then shows the page again. Bad
// input is answered on the page, with nothing changed.
func (s *UI) handleIncidentPost(what string) Handler {
	return func(w http.ResponseWriter, r *http.Request, u store.User) error {
		id, err := pathIncidentID(r)
		if err != nil {
			return err
		}
		if err := s.readForm(w, r); err != nil {
			return err
		}
		ctx, now, f := r.Context(), s.d.Now(), r.PostForm
		cfg := s.d.Runtime.Config()
		switch what {
		case "note":
			at, terr := formTime(f.Get("time"), viewerZone(r))
			if terr != nil {
				err = errs.Errorf(errs.EINVALID, "%v", terr)
				break
			}
			var e store.TimelineEntry
			e, err = incident.Note(store.TimelineEntry{Text: f.Get("text"), Time: at, Who: u.Name, Key: f.Get("key") != "", Misleading: f.Get("misleading") != ""}, now)
			if err == nil {
				_, err = s.d.Store.AddTimelineEntry(ctx, id, e)
			}
		case "mark":
			entry, _ := strconv.ParseInt(f.Get("entry_id"), 10, 64)
			action, _ := strconv.ParseInt(f.Get("action_id"), 10, 64)
			v := f.Get("value") == "on"
			m := store.TimelineMark{EntryID: entry, ActionID: action}
			switch f.Get("mark") {
			case "key":
				m.Key = &v
			case "misleading":
				m.Misleading = &v
			default:
				err = errs.Errorf(errs.EINVALID, "mark an entry as key or misleading")
			}
			if err == nil {
				err = s.d.Store.MarkTimelineEntry(ctx, id, m)
			}
		case "severity":
			sev := f.Get("severity")
			if !slices.Contains(config.SeverityIDs(cfg.Incidents.Severities), sev) {
				err = errs.Errorf(errs.EINVALID, "severity %q is not one of %s", sev, strings.Join(config.SeverityIDs(cfg.Incidents.Severities), ", "))
				break
			}
			_, err = s.d.Store.SetIncidentSeverity(ctx, id, sev, u.Name, now)
		case "state":
			c := store.IncidentChange{ID: id, State: f.Get("state"), At: now, Who: u.Name, Text: strings.TrimSpace(f.Get("text"))}
			if len(c.Text) > 2000 {
				err = errs.Errorf(errs.EINVALID, "the reason is longer than 2000 bytes")
				break
			}
			_, err = s.d.ChangeIncidentState(ctx, c)
		case "role":
			role, holder := f.Get("role"), strings.TrimSpace(f.Get("holder"))
			switch {
			case !slices.ContainsFunc(cfg.Incidents.Roles, func(x config.IncidentRole) bool { return x.ID == role }):
				err = errs.Errorf(errs.EINVALID, "there is no role %q", role)
			case holder == "" || len(holder) > 200:
				err = errs.Errorf(errs.EINVALID, "name who takes the role (1 to 200 characters)")
			default:
				_, err = s.d.Store.AssignIncidentRole(ctx, id, role, holder, u.Name, now)
			}
		case "update":
			_, err = s.d.PostIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: id, Message: f.Get("message"), Status: f.Get("status"),
				Public: f.Get("public") != "", Who: u.Name})
		}
		switch errs.Code(err) {
		case errs.EFORBIDDEN:
			return s.renderIncident(w, r, u, http.StatusForbidden, err.Error())
		case "":
			http.Redirect(w, r, fmt.Sprintf("/incidents/%d", id), http.StatusSeeOther)
			return nil
		case errs.EINVALID, errs.ECONFLICT:
			return s.renderIncident(w, r, u, http.StatusBadRequest, err.Error())
		case errs.ENOTFOUND:
			return err
		}
		return fmt.Errorf("incident %d: %w", id, err)
	}
}
