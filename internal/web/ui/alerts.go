package ui

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// viaUI is how the log says an action was taken on these pages.
const viaUI = "the web UI"

// activeAlertsShown bounds the active alerts read for the overview's
// banner and a service's page; more are counted as "at least".
const activeAlertsShown = 100

// alertStates are the filters of the Alerts page, in their order; ""
// lists every alert.
var alertStates = []string{"", "active", store.AlertOpen, store.AlertAcknowledged, store.AlertResolved}

// alertRow is one alert in a list.
type alertRow struct {
	ID                 int64
	State              string
	Service, ServiceID string
	// Monitors are the alert's monitors, each with its name.
	Monitors     []alertMonitorView
	Opened       template.HTML
	Step, Round  int
	AckBy        string
	AckAt        template.HTML
	SnoozedUntil template.HTML
	ResolvedBy   string
	ResolvedAt   template.HTML
}

// alertMonitorView is one monitor of an alert.
type alertMonitorView struct {
	ID, Name, URL string
	// Status is the monitor's status within the alert (down, up, moved);
	// Now its status in the running monitors ("" when none runs).
	Status, Now string
	Reason      string
	Joined      template.HTML
	ImpactedBy  string
}

type alertsData struct {
	State    string
	States   []alertFilter
	Rows     []alertRow
	NextURL  string
	PrevHint bool
}

type alertFilter struct {
	Label, URL string
	Current    bool
}

func (alertsData) refresh() bool { return true }

// who says in words who acted: "admin", "ann (by link)", "token ci",
// "Tocsin".
func (s *UI) who(w string) string {
	kind, id, ok := strings.Cut(w, ":")
	if !ok {
		if w == "system" {
			return "Tocsin"
		}
		return w
	}
	switch kind {
	case "user":
		return id
	case "link":
		return webcore.PersonName(s.d.Runtime, id) + " (by link)"
	case "token":
		return "API token " + id
	case "person":
		return webcore.PersonName(s.d.Runtime, id)
	}
	return w
}

// alertRow describes an alert for a list.
func (s *UI) alertRow(a store.Alert, clk clock, cat *catalog.Catalog) alertRow {
	row := alertRow{ID: a.ID, State: a.State, ServiceID: a.ServiceID, Service: a.ServiceID, Opened: clk.since(a.OpenedAt),
		Step: a.Step, Round: a.Round + 1}
	if a.ServiceID == "" {
		row.Service = ""
	} else if svc, ok := cat.Service(a.ServiceID); ok {
		row.Service = svc.Name
	}
	for _, m := range a.Monitors {
		row.Monitors = append(row.Monitors, s.alertMonitor(m, clk))
	}
	if a.AcknowledgedBy != "" {
		row.AckBy = s.who(a.AcknowledgedBy)
	}
	if !a.AcknowledgedAt.IsZero() {
		row.AckAt = clk.when(a.AcknowledgedAt)
	}
	if !a.SnoozedUntil.IsZero() {
		row.SnoozedUntil = clk.when(a.SnoozedUntil)
	}
	if a.ResolvedBy != "" {
		row.ResolvedBy = s.who(a.ResolvedBy)
	}
	if !a.ResolvedAt.IsZero() {
		row.ResolvedAt = clk.when(a.ResolvedAt)
	}
	return row
}

func (s *UI) alertMonitor(m store.AlertMonitor, clk clock) alertMonitorView {
	v := alertMonitorView{ID: m.MonitorID, Name: m.MonitorID, Status: m.Status, Reason: m.Reason, Joined: clk.when(m.JoinedAt), ImpactedBy: m.ImpactedBy}
	if mv, ok := s.d.Runtime.Monitor(m.MonitorID); ok {
		v.URL = "/monitors/" + url.PathEscape(m.MonitorID)
		v.Name = orDefault(mv.Config.Name, m.MonitorID)
		v.Now = webcore.StatusOf(mv.State)
	} else if hv, ok := s.d.Heartbeats.Heartbeat(m.MonitorID); ok {
		v.URL = heartbeatURL(m.MonitorID)
		v.Name = orDefault(hv.Config.Name, m.MonitorID)
		v.Now = hv.DisplayStatus()
	}
	return v
}

// handleAlerts renders "/alerts": paged alerts newest first, filtered by
// ?state= (active, open, acknowledged, resolved; all when empty).
func (s *UI) handleAlerts(w http.ResponseWriter, r *http.Request, u store.User) error {
	p, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	state := r.URL.Query().Get("state")
	as, err := s.d.Store.Alerts(r.Context(), state, p)
	if err != nil {
		if errs.Code(err) == errs.EINVALID {
			return err
		}
		return fmt.Errorf("reading alerts: %w", err)
	}
	clk := clock{now: s.d.Now(), loc: viewerZone(r)}
	cat := s.d.Runtime.Catalog()
	data := alertsData{State: state}
	for _, st := range alertStates {
		label := st
		if st == "" {
			label = "all"
		}
		data.States = append(data.States, alertFilter{Label: label, URL: alertsURL(st, 0), Current: st == state})
	}
	for _, a := range as {
		data.Rows = append(data.Rows, s.alertRow(a, clk, cat))
	}
	if n := len(as); n > 0 {
		if c := webcore.NextCursor(n, p.Limit, as[n-1].ID); c != nil {
			before, _ := strconv.ParseInt(*c, 10, 64)
			data.NextURL = alertsURL(state, before)
		}
	}
	data.PrevHint = p.Before > 0
	s.Render(w, r, http.StatusOK, "alerts.html", &u, "Alerts", data)
	return nil
}

func alertsURL(state string, before int64) string { return listURL("/alerts", "state", state, before) }

// listURL is the address of a paged list at path: filtered by key=value
// when value is set, from the cursor before when it is positive.
func listURL(path, key, value string, before int64) string {
	q := url.Values{}
	if value != "" {
		q.Set(key, value)
	}
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// pathStep is one step of an alert's escalation policy, with what it did.
type pathStep struct {
	N      int
	After  string
	Due    template.HTML
	Notify []string
	// Fired lists when the step ran ("round 1 at 12:00 UTC").
	Fired []template.HTML
	// Next is set on the step that runs next.
	Next template.HTML
}

// logEntry is one line of an alert's log.
type logEntry struct {
	Time                     template.HTML
	Kind, Who                string
	Step, Round              int
	Target, Channel, Address string
	Detail                   string
	Problem                  bool
}

type alertData struct {
	Alert    alertRow
	GroupKey string
	Monitors []alertMonitorView
	PolicyID string
	Policy   *config.EscalationPolicy
	Path     []pathStep
	// NextStep says when the next escalation step fires; "" when none is
	// pending (acknowledged, resolved, or the policy ran out).
	NextStep template.HTML
	NextN    int
	Log      []logEntry
	Problems []logEntry
	Error    string
	// Snooze is the custom snooze the form last held.
	Snooze string
	// SnoozeChoices are the spans offered as one-click buttons.
	SnoozeChoices []string
}

func (alertData) script() bool { return true }

// handleAlert renders "/alerts/{id}".
func (s *UI) handleAlert(w http.ResponseWriter, r *http.Request, u store.User) error {
	return s.renderAlert(w, r, u, http.StatusOK, "", "")
}

func pathAlertID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Errorf(errs.ENOTFOUND, "There is no alert %q: alert numbers are positive whole numbers.", r.PathValue("id"))
	}
	return id, nil
}

func (s *UI) renderAlert(w http.ResponseWriter, r *http.Request, u store.User, status int, msg, snooze string) error {
	id, err := pathAlertID(r)
	if err != nil {
		return err
	}
	a, err := s.d.Store.Alert(r.Context(), id)
	if err != nil {
		if errs.Code(err) == errs.ENOTFOUND {
			return errs.Errorf(errs.ENOTFOUND, "There is no alert %d.", id)
		}
		return fmt.Errorf("reading alert %d: %w", id, err)
	}
	now := s.d.Now()
	clk := clock{now: now, loc: viewerZone(r)}
	cat := s.d.Runtime.Catalog()
	row := s.alertRow(a, clk, cat)
	data := alertData{Alert: row, GroupKey: a.GroupKey, Monitors: row.Monitors, PolicyID: a.PolicyID, Error: msg, Snooze: snooze, SnoozeChoices: snoozeChoices}
	for _, x := range a.Actions {
		e := logEntry{Time: clk.when(x.Time), Kind: x.Kind, Who: s.who(x.Who), Step: x.Step, Round: x.Round + 1,
			Target: x.Target, Channel: x.Channel, Address: x.Address, Detail: x.Detail, Problem: x.Kind == store.ActionProblem}
		data.Log = append(data.Log, e)
		if e.Problem {
			data.Problems = append(data.Problems, e)
		}
	}
	next, err := s.nextStep(r.Context(), a)
	if err != nil {
		return err
	}
	if !next.DueAt.IsZero() {
		data.NextStep, data.NextN = clk.due(next.DueAt), next.Step
	}
	if a.PolicyID != "" {
		if p, ok := cat.Policy(a.PolicyID); ok {
			data.Policy = &p
			for i, st := range p.Steps {
				ps := pathStep{N: i + 1, After: afterWords(st.After.D()), Due: clk.when(a.OpenedAt.Add(st.After.D())), Notify: st.Notify}
				for _, x := range a.Actions {
					if x.Kind == store.ActionEscalated && x.Step == i+1 {
						ps.Fired = append(ps.Fired, template.HTML(fmt.Sprintf("round %d at ", x.Round+1))+clk.when(x.Time))
					}
				}
				if next.Step == i+1 && !next.DueAt.IsZero() {
					ps.Next = clk.due(next.DueAt)
				}
				data.Path = append(data.Path, ps)
			}
		}
	}
	s.Render(w, r, status, "alert.html", &u, fmt.Sprintf("Alert %d", a.ID), data)
	return nil
}

// nextStep returns the alert's earliest pending escalation step; a zero
// timer when none is pending.
func (s *UI) nextStep(ctx context.Context, a store.Alert) (store.AlertTimer, error) {
	if a.State != store.AlertOpen {
		return store.AlertTimer{}, nil
	}
	ts, err := s.d.Store.AlertTimers(ctx, a.ID)
	if err != nil {
		return store.AlertTimer{}, fmt.Errorf("reading the timers of alert %d: %w", a.ID, err)
	}
	for _, t := range ts {
		if t.Kind == store.TimerStep {
			return t, nil
		}
	}
	return store.AlertTimer{}, nil
}

// handleAlertAct records the signed-in user's action on an alert from the
// buttons of its page, then shows the page again. An action the alert's
// state no longer allows (someone else acknowledged it a moment before)
// is answered on the page with what happened, and nothing is done.
func (s *UI) handleAlertAct(kind string) Handler {
	return func(w http.ResponseWriter, r *http.Request, u store.User) error {
		id, err := pathAlertID(r)
		if err != nil {
			return err
		}
		if err := s.readForm(w, r); err != nil {
			return err
		}
		now := s.d.Now()
		act := store.AlertAct{Kind: kind, Who: "user:" + u.Name, At: now, Via: viaUI}
		snooze := ""
		if kind == store.ActSnooze {
			snooze = strings.TrimSpace(r.PostForm.Get("for"))
			d, err := config.ParseDuration(snooze)
			if err != nil || d <= 0 {
				return s.renderAlert(w, r, u, http.StatusBadRequest, fmt.Sprintf("Invalid snooze %q: write how long, such as 30m, 4h or 1d.", snooze), snooze)
			}
			act.Until = now.Add(d)
		}
		if _, err := s.d.Store.Act(r.Context(), id, act); err != nil {
			switch errs.Code(err) {
			case errs.ENOTFOUND:
				return errs.Errorf(errs.ENOTFOUND, "There is no alert %d.", id)
			case errs.ECONFLICT:
				return s.renderAlert(w, r, u, http.StatusConflict, errs.Message(err), snooze)
			case errs.EINVALID:
				return s.renderAlert(w, r, u, http.StatusBadRequest, errs.Message(err), snooze)
			}
			return fmt.Errorf("alert %d: %w", id, err)
		}
		if s.d.AlertActed != nil {
			s.d.AlertActed()
		}
		http.Redirect(w, r, "/alerts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return nil
	}
}

// activeAlerts sums up the alerts not yet resolved, for the overview's
// banner and a service's page.
type activeAlerts struct {
	Open, Acknowledged int
	// More is true when there are more than activeAlertsShown.
	More bool
	Rows []alertRow
}

// Total is the number of active alerts read.
func (a activeAlerts) Total() int { return a.Open + a.Acknowledged }

// activeAlerts reads the active alerts, of one service when serviceID is
// set.
func (s *UI) activeAlerts(ctx context.Context, serviceID string, clk clock) (activeAlerts, error) {
	as, err := s.d.Store.Alerts(ctx, "active", store.Page{Limit: activeAlertsShown + 1})
	if err != nil {
		return activeAlerts{}, fmt.Errorf("reading active alerts: %w", err)
	}
	var out activeAlerts
	if len(as) > activeAlertsShown {
		as, out.More = as[:activeAlertsShown], true
	}
	cat := s.d.Runtime.Catalog()
	for _, a := range as {
		if serviceID != "" && a.ServiceID != serviceID {
			continue
		}
		if a.State == store.AlertOpen {
			out.Open++
		} else {
			out.Acknowledged++
		}
		if serviceID != "" {
			out.Rows = append(out.Rows, s.alertRow(a, clk, cat))
		}
	}
	return out, nil
}

// snoozeChoices are the snooze buttons of an alert's page.
var snoozeChoices = []string{"1h", "4h"}

// due is "14:15 UTC (in 12 min)": when something is due, as a <time>
// element; "(due now)" once the time has come.
func (c clock) due(t time.Time) template.HTML {
	if !t.After(c.now) {
		return c.timeTag(t, c.at(t)+" (due now)")
	}
	return c.timeTag(t, c.at(t)+" (in "+elapsed(t.Sub(c.now))+")")
}
