package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

const incidentCols = `id, title, state, severity, services, opened_at, detected_at, acknowledged_at, monitoring_since, resolved_at, resolved_by, reported_name, reported_kind, reported_at, declared_by`

// msOrZero stores the zero time as 0.
func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

// fromMSOrZero reads 0 as the zero time.
func fromMSOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func scanIncident(sc interface{ Scan(...any) error }) (store.Incident, error) {
	var in store.Incident
	var services string
	var opened, detected, acked, mon, resolved, reported int64
	if err := sc.Scan(&in.ID, &in.Title, &in.State, &in.Severity, &services, &opened, &detected, &acked, &mon, &resolved, &in.ResolvedBy,
		&in.ReportedName, &in.ReportedKind, &reported, &in.DeclaredBy); err != nil {
		return in, err
	}
	if err := json.Unmarshal([]byte(services), &in.Services); err != nil {
		return in, fmt.Errorf("incident %d: read its services: %w", in.ID, err)
	}
	in.OpenedAt, in.DetectedAt, in.AcknowledgedAt = fromMS(opened), fromMSOrZero(detected), fromMSOrZero(acked)
	in.MonitoringSince, in.ResolvedAt, in.ReportedAt = fromMSOrZero(mon), fromMSOrZero(resolved), fromMSOrZero(reported)
	return in, nil
}

func validIncidentState(s string) bool { return slices.Contains(store.IncidentStates, s) }

// OpenIncident stores a new incident, its first entries and its alert.
func (d *DB) OpenIncident(ctx context.Context, in store.Incident, alertID int64, entries []store.TimelineEntry) (store.Incident, error) {
	in, svc, err := newIncident(in, d.now())
	if err != nil {
		return in, err
	}
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		if alertID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, d.q("SELECT COUNT(*) FROM incident_alerts WHERE alert_id = ?"), alertID).Scan(&n); err != nil {
				return fmt.Errorf("read the incident of alert %d: %w", alertID, err)
			}
			if n > 0 {
				return errs.Errorf(errs.ECONFLICT, "alert %d belongs to an incident already", alertID)
			}
		}
		in.ID, err = d.insertIncident(ctx, tx, in, svc, alertID, entries)
		if isUniqueViolation(err) {
			// Another replica linked the alert since the read.
			return errs.Errorf(errs.ECONFLICT, "alert %d belongs to an incident already", alertID)
		}
		return err
	})
	if err != nil {
		return in, err
	}
	return d.Incident(ctx, in.ID)
}

// OpenIncidents opens incidents from alerts in one transaction: in an
// alert storm a transaction per incident (a flush of the log to disk, on
// PostgreSQL) and a read-back per incident made the incident runner the
// heaviest load on the database.
func (d *DB) OpenIncidents(ctx context.Context, os []store.IncidentOpening) ([]store.Incident, error) {
	type opening struct {
		in  store.Incident
		svc []byte
	}
	valid := make([]opening, len(os))
	var alerts []any
	for i, o := range os {
		in, svc, err := newIncident(o.Incident, d.now())
		if err != nil {
			return nil, err
		}
		if o.AlertID == 0 {
			return nil, errs.Errorf(errs.EINVALID, "open incidents: incident %q has no alert", in.Title)
		}
		valid[i] = opening{in, svc}
		alerts = append(alerts, o.AlertID)
	}
	if len(os) == 0 {
		return []store.Incident{}, nil
	}
	var out []store.Incident
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		linked := map[int64]bool{}
		if err := eachChunk(alerts, func(part []any) error {
			rows, err := tx.QueryContext(ctx, d.q("SELECT alert_id FROM incident_alerts WHERE alert_id IN ("+inList(len(part))+")"), part...)
			if err != nil {
				return err
			}
			ids, err := scanInt64s(rows)
			for _, id := range ids {
				linked[id] = true
			}
			return err
		}); err != nil {
			return fmt.Errorf("read the incidents of alerts: %w", err)
		}
		for i, o := range os {
			if linked[o.AlertID] {
				continue
			}
			linked[o.AlertID] = true
			in := valid[i].in
			id, err := d.insertIncident(ctx, tx, in, valid[i].svc, o.AlertID, o.Entries)
			if isUniqueViolation(err) {
				// Another replica linked the alert since the read.
				return errs.Errorf(errs.ECONFLICT, "alert %d belongs to an incident already", o.AlertID)
			}
			if err != nil {
				return err
			}
			in.ID, in.Alerts, in.Timeline = id, []int64{o.AlertID}, []store.TimelineEntry{}
			out = append(out, in)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// newIncident checks an incident to open and fills in its defaults; it
// returns its services encoded.
func newIncident(in store.Incident, now time.Time) (store.Incident, []byte, error) {
	if strings.TrimSpace(in.Title) == "" {
		return in, nil, errs.Errorf(errs.EINVALID, "an incident needs a title")
	}
	switch in.ReportedKind {
	case store.ReportedByMonitor, store.ReportedByCustomer, store.ReportedByStaff:
	default:
		return in, nil, errs.Errorf(errs.EINVALID, "reported_by kind %q is not one of monitor, customer, staff", in.ReportedKind)
	}
	if in.State == "" {
		in.State = store.IncidentInvestigating
	}
	if !validIncidentState(in.State) {
		return in, nil, errs.Errorf(errs.EINVALID, "incident state %q is not one of %s", in.State, strings.Join(store.IncidentStates, ", "))
	}
	if in.OpenedAt.IsZero() {
		in.OpenedAt = now
	}
	if in.Services == nil {
		in.Services = []string{}
	}
	svc, err := json.Marshal(validList(in.Services))
	if err != nil {
		return in, nil, fmt.Errorf("encode the services of an incident: %w", err)
	}
	return in, svc, nil
}

// insertIncident stores a checked incident, links alertID (unless 0) and
// adds entries, and returns the incident's id.
func (d *DB) insertIncident(ctx context.Context, tx *sql.Tx, in store.Incident, svc []byte, alertID int64, entries []store.TimelineEntry) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, d.q(`INSERT INTO incidents (title, state, severity, services, opened_at, detected_at, acknowledged_at, reported_name, reported_kind, reported_at, declared_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), textArgs(in.Title, in.State, in.Severity, string(svc), ms(in.OpenedAt), msOrZero(in.DetectedAt),
		msOrZero(in.AcknowledgedAt), in.ReportedName, in.ReportedKind, msOrZero(in.ReportedAt), in.DeclaredBy)...).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store an incident: %w", err)
	}
	if alertID != 0 {
		if _, err := tx.ExecContext(ctx, d.q("INSERT INTO incident_alerts (alert_id, incident_id, linked_at) VALUES (?, ?, ?)"), alertID, id, ms(in.OpenedAt)); err != nil {
			return 0, fmt.Errorf("link alert %d to incident %d: %w", alertID, id, err)
		}
	}
	for _, e := range entries {
		if _, err := d.insertEntry(ctx, tx, id, e); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func (d *DB) insertEntry(ctx context.Context, tx *sql.Tx, incidentID int64, e store.TimelineEntry) (store.TimelineEntry, error) {
	if e.Time.IsZero() {
		e.Time = d.now()
	}
	if e.Kind == "" {
		e.Kind = store.EntryNote
	}
	err := tx.QueryRowContext(ctx, d.q(`INSERT INTO incident_timeline (incident_id, t, kind, body, who, key_event, misleading, alert_id, action_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), textArgs(incidentID, ms(e.Time), e.Kind, e.Text, e.Who, b2i(e.Key), b2i(e.Misleading), e.AlertID, e.ActionID, ms(d.now()))...).Scan(&e.ID)
	if err != nil {
		return e, fmt.Errorf("add to the timeline of incident %d: %w", incidentID, err)
	}
	e.Text, e.Who, e.Kind = text(e.Text), text(e.Who), text(e.Kind)
	return e, nil
}

// Incident returns one incident with its alerts, roles and timeline: its
// own entries merged with the logs of its alerts, oldest first.
func (d *DB) Incident(ctx context.Context, id int64) (store.Incident, error) {
	in, err := scanIncident(d.read.QueryRowContext(ctx, d.q("SELECT "+incidentCols+" FROM incidents WHERE id = ?"), id))
	if err == sql.ErrNoRows {
		return in, errs.Errorf(errs.ENOTFOUND, "incident %d does not exist", id)
	}
	if err != nil {
		return in, fmt.Errorf("read incident %d: %w", id, err)
	}
	links, err := d.incidentAlerts(ctx, []int64{id})
	if err != nil {
		return in, err
	}
	in.Alerts = links[id]
	if in.Roles, err = d.incidentRoles(ctx, id); err != nil {
		return in, err
	}
	if in.Timeline, err = d.timeline(ctx, id, in.Alerts); err != nil {
		return in, err
	}
	return in, nil
}

func (d *DB) incidentAlerts(ctx context.Context, ids []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, v := range ids {
		args[i] = v
	}
	rows, err := d.read.QueryContext(ctx, d.q("SELECT incident_id, alert_id FROM incident_alerts WHERE incident_id IN ("+strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+") ORDER BY alert_id"), args...)
	if err != nil {
		return nil, fmt.Errorf("read the alerts of incidents: %w", err)
	}
	for rows.Next() {
		var inc, a int64
		if err := rows.Scan(&inc, &a); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the alerts of incidents: %w", err)
		}
		out[inc] = append(out[inc], a)
	}
	return out, rowsDone(rows)
}

func (d *DB) incidentRoles(ctx context.Context, id int64) ([]store.IncidentRoleSpan, error) {
	rows, err := d.read.QueryContext(ctx, d.q("SELECT role, holder, assigned_by, from_t, until_t FROM incident_roles WHERE incident_id = ? ORDER BY id"), id)
	if err != nil {
		return nil, fmt.Errorf("read the roles of incident %d: %w", id, err)
	}
	out := []store.IncidentRoleSpan{}
	for rows.Next() {
		var r store.IncidentRoleSpan
		var from, until int64
		if err := rows.Scan(&r.Role, &r.Holder, &r.AssignedBy, &from, &until); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the roles of incident %d: %w", id, err)
		}
		r.From, r.Until = fromMS(from), fromMSOrZero(until)
		out = append(out, r)
	}
	return out, rowsDone(rows)
}

// timeline merges the incident's own entries with its alerts' logs.
func (d *DB) timeline(ctx context.Context, id int64, alerts []int64) ([]store.TimelineEntry, error) {
	rows, err := d.read.QueryContext(ctx, d.q("SELECT id, t, kind, body, who, key_event, misleading, alert_id, action_id FROM incident_timeline WHERE incident_id = ? ORDER BY t, id"), id)
	if err != nil {
		return nil, fmt.Errorf("read the timeline of incident %d: %w", id, err)
	}
	out := []store.TimelineEntry{}
	for rows.Next() {
		var e store.TimelineEntry
		var t, key, mis int64
		if err := rows.Scan(&e.ID, &t, &e.Kind, &e.Text, &e.Who, &key, &mis, &e.AlertID, &e.ActionID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the timeline of incident %d: %w", id, err)
		}
		e.Time, e.Key, e.Misleading = fromMS(t), key != 0, mis != 0
		out = append(out, e)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the timeline of incident %d: %w", id, err)
	}
	marks := map[int64][2]bool{}
	rows, err = d.read.QueryContext(ctx, d.q("SELECT action_id, key_event, misleading FROM incident_marks WHERE incident_id = ?"), id)
	if err != nil {
		return nil, fmt.Errorf("read the marks of incident %d: %w", id, err)
	}
	for rows.Next() {
		var a, key, mis int64
		if err := rows.Scan(&a, &key, &mis); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the marks of incident %d: %w", id, err)
		}
		marks[a] = [2]bool{key != 0, mis != 0}
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the marks of incident %d: %w", id, err)
	}
	own := out
	out = []store.TimelineEntry{}
	as, err := d.AlertsByID(ctx, alerts)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		for _, x := range a.Actions {
			m := marks[x.ID]
			out = append(out, store.TimelineEntry{Time: x.Time, Kind: "alert." + x.Kind, Text: actionText(x), Who: x.Who,
				Key: m[0], Misleading: m[1], AlertID: a.ID, ActionID: x.ID})
		}
	}
	sent, err := d.deliveries(ctx, id, alerts)
	if err != nil {
		return nil, err
	}
	out = append(out, sent...)
	// At the same time, what happened (the alerts' logs) comes before
	// what the incident wrote about it.
	out = append(out, own...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}

// actionText says in words what an alert action was.
func actionText(x store.AlertAction) string {
	var b strings.Builder
	b.WriteString(x.Kind)
	if x.Target != "" {
		b.WriteString(" " + x.Target)
	}
	if x.Channel != "" {
		b.WriteString(" via " + x.Channel)
	}
	if x.Address != "" {
		b.WriteString(" to " + x.Address)
	}
	if x.Detail != "" {
		b.WriteString(": " + x.Detail)
	}
	return b.String()
}

// Incidents lists incidents newest first.
func (d *DB) Incidents(ctx context.Context, state string, p store.Page) ([]store.Incident, error) {
	limit, before := clampPage(p)
	q := "SELECT " + incidentCols + " FROM incidents WHERE id < ?"
	args := []any{before}
	switch {
	case state == "":
	case state == "active":
		q += " AND state NOT IN ('resolved', 'postmortem')"
	case validIncidentState(state):
		q += " AND state = ?"
		args = append(args, state)
	default:
		return nil, errs.Errorf(errs.EINVALID, "incident state %q is not one of %s, active", state, strings.Join(store.IncidentStates, ", "))
	}
	out, err := d.queryIncidents(ctx, q+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}
	ids := make([]int64, len(out))
	for i, in := range out {
		ids[i] = in.ID
	}
	links, err := d.incidentAlerts(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Alerts = links[out[i].ID]
	}
	return out, nil
}

// queryIncidents reads the incident rows q selects (incidentCols, with
// ? placeholders).
func (d *DB) queryIncidents(ctx context.Context, q string, args ...any) ([]store.Incident, error) {
	rows, err := d.read.QueryContext(ctx, d.q(q), args...)
	if err != nil {
		return nil, err
	}
	out := []store.Incident{}
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, in)
	}
	return out, rowsDone(rows)
}

// IncidentOfAlert returns the incident an alert is linked to.
func (d *DB) IncidentOfAlert(ctx context.Context, alertID int64) (store.Incident, error) {
	var id int64
	err := d.read.QueryRowContext(ctx, d.q("SELECT incident_id FROM incident_alerts WHERE alert_id = ?"), alertID).Scan(&id)
	if err == sql.ErrNoRows {
		return store.Incident{}, errs.Errorf(errs.ENOTFOUND, "alert %d belongs to no incident", alertID)
	}
	if err != nil {
		return store.Incident{}, fmt.Errorf("read the incident of alert %d: %w", alertID, err)
	}
	return d.Incident(ctx, id)
}

// LinkAlert links an alert to an incident.
func (d *DB) LinkAlert(ctx context.Context, incidentID, alertID int64, e store.TimelineEntry) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		if err := d.incidentExists(ctx, tx, incidentID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, d.q("SELECT COUNT(*) FROM incident_alerts WHERE alert_id = ?"), alertID).Scan(&n); err != nil {
			return fmt.Errorf("read the incident of alert %d: %w", alertID, err)
		}
		if n > 0 {
			return errs.Errorf(errs.ECONFLICT, "alert %d belongs to an incident already", alertID)
		}
		if e.Time.IsZero() {
			e.Time = d.now()
		}
		if _, err := tx.ExecContext(ctx, d.q("INSERT INTO incident_alerts (alert_id, incident_id, linked_at) VALUES (?, ?, ?)"), alertID, incidentID, ms(e.Time)); err != nil {
			return fmt.Errorf("link alert %d to incident %d: %w", alertID, incidentID, err)
		}
		if e.Kind == "" {
			e.Kind = store.EntryAlert
		}
		e.AlertID = alertID
		_, err := d.insertEntry(ctx, tx, incidentID, e)
		return err
	})
}

func (d *DB) incidentExists(ctx context.Context, tx *sql.Tx, id int64) error {
	var state string
	err := tx.QueryRowContext(ctx, d.q("SELECT state FROM incidents WHERE id = ?"), id).Scan(&state)
	if err == sql.ErrNoRows {
		return errs.Errorf(errs.ENOTFOUND, "incident %d does not exist", id)
	}
	if err != nil {
		return fmt.Errorf("read incident %d: %w", id, err)
	}
	return nil
}

// AddTimelineEntry adds an entry to an incident's timeline.
func (d *DB) AddTimelineEntry(ctx context.Context, incidentID int64, e store.TimelineEntry) (store.TimelineEntry, error) {
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := d.incidentExists(ctx, tx, incidentID); err != nil {
			return err
		}
		var err error
		e, err = d.insertEntry(ctx, tx, incidentID, e)
		return err
	})
	return e, err
}

// MarkTimelineEntry sets the marks of an entry of the incident's own or
// of an action of one of its alerts.
func (d *DB) MarkTimelineEntry(ctx context.Context, incidentID int64, m store.TimelineMark) error {
	if (m.EntryID == 0) == (m.ActionID == 0) {
		return errs.Errorf(errs.EINVALID, "name exactly one timeline entry: its id or its alert action's id")
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		if err := d.incidentExists(ctx, tx, incidentID); err != nil {
			return err
		}
		var key, mis int64
		if m.EntryID != 0 {
			err := tx.QueryRowContext(ctx, d.q("SELECT key_event, misleading FROM incident_timeline WHERE id = ? AND incident_id = ?"), m.EntryID, incidentID).Scan(&key, &mis)
			if err == sql.ErrNoRows {
				return errs.Errorf(errs.ENOTFOUND, "incident %d has no timeline entry %d", incidentID, m.EntryID)
			}
			if err != nil {
				return fmt.Errorf("read a timeline entry: %w", err)
			}
		} else {
			var n int
			err := tx.QueryRowContext(ctx, d.q(`SELECT COUNT(*) FROM alert_actions x JOIN incident_alerts l ON l.alert_id = x.alert_id
				WHERE x.id = ? AND l.incident_id = ?`), m.ActionID, incidentID).Scan(&n)
			if err != nil {
				return fmt.Errorf("read an alert action: %w", err)
			}
			if n == 0 {
				return errs.Errorf(errs.ENOTFOUND, "incident %d has no alert action %d", incidentID, m.ActionID)
			}
			err = tx.QueryRowContext(ctx, d.q("SELECT key_event, misleading FROM incident_marks WHERE incident_id = ? AND action_id = ?"), incidentID, m.ActionID).Scan(&key, &mis)
			if err != nil && err != sql.ErrNoRows {
				return fmt.Errorf("read the marks of an alert action: %w", err)
			}
		}
		if m.Key != nil {
			key = b2i(*m.Key)
		}
		if m.Misleading != nil {
			mis = b2i(*m.Misleading)
		}
		var err error
		if m.EntryID != 0 {
			_, err = tx.ExecContext(ctx, d.q("UPDATE incident_timeline SET key_event = ?, misleading = ? WHERE id = ?"), key, mis, m.EntryID)
		} else {
			_, err = tx.ExecContext(ctx, d.q(`INSERT INTO incident_marks (incident_id, action_id, key_event, misleading) VALUES (?, ?, ?, ?)
				ON CONFLICT (incident_id, action_id) DO UPDATE SET key_event = excluded.key_event, misleading = excluded.misleading`), incidentID, m.ActionID, key, mis)
		}
		if err != nil {
			return fmt.Errorf("mark a timeline entry: %w", err)
		}
		return nil
	})
}

// SetIncidentSeverity changes the severity with a timeline entry.
func (d *DB) SetIncidentSeverity(ctx context.Context, id int64, severity, who string, at time.Time) (store.Incident, error) {
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, d.q("SELECT severity FROM incidents WHERE id = ?"), id).Scan(&cur)
		if err == sql.ErrNoRows {
			return errs.Errorf(errs.ENOTFOUND, "incident %d does not exist", id)
		}
		if err != nil {
			return fmt.Errorf("read incident %d: %w", id, err)
		}
		severity = text(severity)
		if cur == severity {
			return errs.Errorf(errs.EINVALID, "incident %d is %s already", id, severity)
		}
		if _, err := tx.ExecContext(ctx, d.q("UPDATE incidents SET severity = ? WHERE id = ?"), severity, id); err != nil {
			return fmt.Errorf("change the severity of incident %d: %w", id, err)
		}
		_, err = d.insertEntry(ctx, tx, id, store.TimelineEntry{Time: at, Kind: store.EntrySeverity, Who: who, Text: fmt.Sprintf("severity %s → %s", cur, severity)})
		return err
	})
	if err != nil {
		return store.Incident{}, err
	}
	return d.Incident(ctx, id)
}

// ChangeIncident moves an incident to another state.
func (d *DB) ChangeIncident(ctx context.Context, c store.IncidentChange) (store.Incident, error) {
	c, err := checkIncidentChange(c, d.now())
	if err != nil {
		return store.Incident{}, err
	}
	if err := d.inTx(ctx, func(tx *sql.Tx) error { return d.changeIncident(ctx, tx, c) }); err != nil {
		return store.Incident{}, err
	}
	return d.Incident(ctx, c.ID)
}

// ChangeIncidents applies the incident runner's changes of one step in one
// transaction: after a storm, a transaction (and a read-back) per incident
// moving to monitoring made the runner the heaviest load on the database.
func (d *DB) ChangeIncidents(ctx context.Context, cs []store.IncidentChange) ([]bool, error) {
	now := d.now()
	for i, c := range cs {
		var err error
		if cs[i], err = checkIncidentChange(c, now); err != nil {
			return nil, err
		}
	}
	var applied []bool
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		applied = make([]bool, len(cs))
		refused := map[int64]bool{}
		for i, c := range cs {
			if refused[c.ID] {
				continue
			}
			err := d.changeIncident(ctx, tx, c)
			switch errs.Code(err) {
			case "":
				applied[i] = true
			case errs.ENOTFOUND, errs.ECONFLICT:
				refused[c.ID] = true
			default:
				return err
			}
		}
		return nil
	})
	return applied, err
}

// checkIncidentChange checks c and fills in its time.
func checkIncidentChange(c store.IncidentChange, now time.Time) (store.IncidentChange, error) {
	if !validIncidentState(c.State) {
		return c, errs.Errorf(errs.EINVALID, "incident state %q is not one of %s", c.State, strings.Join(store.IncidentStates, ", "))
	}
	if c.At.IsZero() {
		c.At = now
	}
	return c, nil
}

// changeIncident applies a checked change inside tx.
func (d *DB) changeIncident(ctx context.Context, tx *sql.Tx, c store.IncidentChange) error {
	// The state is read FOR UPDATE on PostgreSQL: replicas run the same
	// incident timers, and of two making the same change at once the
	// second must wait, read the state the first wrote and refuse
	// (ECONFLICT), so only one of them notifies. SQLite has one writer.
	var cur string
	err := tx.QueryRowContext(ctx, d.q("SELECT state FROM incidents WHERE id = ?"+d.forUpdate()), c.ID).Scan(&cur)
	if err == sql.ErrNoRows {
		return errs.Errorf(errs.ENOTFOUND, "incident %d does not exist", c.ID)
	}
	if err != nil {
		return fmt.Errorf("read incident %d: %w", c.ID, err)
	}
	if cur == c.State {
		return errs.Errorf(errs.ECONFLICT, "incident %d is %s already", c.ID, cur)
	}
	if c.From != "" && cur != c.From {
		return errs.Errorf(errs.ECONFLICT, "incident %d is %s, no longer %s", c.ID, cur, c.From)
	}
	var mon, resolved int64
	var by string
	switch c.State {
	case store.IncidentMonitoring:
		mon = msOrZero(c.MonitoringSince)
		if mon == 0 {
			mon = ms(c.At)
		}
	case store.IncidentResolved:
		resolved, by = ms(c.At), c.Who
	case store.IncidentPostmortem:
	}
	q := "UPDATE incidents SET state = ?, monitoring_since = ?"
	args := []any{c.State, mon}
	if c.State == store.IncidentResolved {
		q += ", resolved_at = ?, resolved_by = ?"
		args = append(args, resolved, text(by))
	} else if c.State != store.IncidentPostmortem {
		q += ", resolved_at = 0, resolved_by = ''"
	}
	if _, err := tx.ExecContext(ctx, d.q(q+" WHERE id = ?"), append(args, c.ID)...); err != nil {
		return fmt.Errorf("change the state of incident %d: %w", c.ID, err)
	}
	msg := cur + " → " + c.State
	if c.Text != "" {
		msg += ": " + c.Text
	}
	_, err = d.insertEntry(ctx, tx, c.ID, store.TimelineEntry{Time: c.At, Kind: store.EntryState, Who: c.Who, Text: msg})
	return err
}

// AssignIncidentRole hands a role over.
func (d *DB) AssignIncidentRole(ctx context.Context, id int64, role, holder, who string, at time.Time) (store.Incident, error) {
	if strings.TrimSpace(role) == "" || strings.TrimSpace(holder) == "" {
		return store.Incident{}, errs.Errorf(errs.EINVALID, "a role and who holds it are both needed")
	}
	if at.IsZero() {
		at = d.now()
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := d.incidentExists(ctx, tx, id); err != nil {
			return err
		}
		role, holder = text(role), text(holder)
		var prev string
		err := tx.QueryRowContext(ctx, d.q("SELECT holder FROM incident_roles WHERE incident_id = ? AND role = ? AND until_t = 0"), id, role).Scan(&prev)
		if err != nil && err != sql.ErrNoRows {
			return fmt.Errorf("read the roles of incident %d: %w", id, err)
		}
		if prev == holder {
			return errs.Errorf(errs.ECONFLICT, "%s is the %s already", holder, role)
		}
		if _, err := tx.ExecContext(ctx, d.q("UPDATE incident_roles SET until_t = ? WHERE incident_id = ? AND role = ? AND until_t = 0"), ms(at), id, role); err != nil {
			return fmt.Errorf("end the role %s of incident %d: %w", role, id, err)
		}
		if _, err := tx.ExecContext(ctx, d.q("INSERT INTO incident_roles (incident_id, role, holder, assigned_by, from_t) VALUES (?, ?, ?, ?, ?)"), textArgs(id, role, holder, who, ms(at))...); err != nil {
			return fmt.Errorf("assign the role %s of incident %d: %w", role, id, err)
		}
		msg := role + ": " + holder
		if prev != "" {
			msg = role + ": handed over from " + prev + " to " + holder
		}
		_, err = d.insertEntry(ctx, tx, id, store.TimelineEntry{Time: at, Kind: store.EntryRole, Who: who, Text: msg})
		return err
	})
	if err != nil {
		return store.Incident{}, err
	}
	return d.Incident(ctx, id)
}

// SetIncidentAcknowledged records the first acknowledgement.
func (d *DB) SetIncidentAcknowledged(ctx context.Context, id int64, at time.Time) error {
	res, err := d.write.ExecContext(ctx, d.q("UPDATE incidents SET acknowledged_at = ? WHERE id = ? AND (acknowledged_at = 0 OR acknowledged_at > ?)"), ms(at), id, ms(at))
	if err != nil {
		return fmt.Errorf("record the acknowledgement of incident %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var s string
		if err := d.read.QueryRowContext(ctx, d.q("SELECT state FROM incidents WHERE id = ?"), id).Scan(&s); err == sql.ErrNoRows {
			return errs.Errorf(errs.ENOTFOUND, "incident %d does not exist", id)
		}
	}
	return nil
}

// IncidentsVersion returns the newest timeline entry's id: opening,
// every state and severity change, role, note and update write one.
func (d *DB) IncidentsVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := d.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM incident_timeline").Scan(&v); err != nil {
		return 0, fmt.Errorf("read the incidents' version: %w", err)
	}
	return v, nil
}
