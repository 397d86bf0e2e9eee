package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

const alertCols = "id, group_key, service_id, policy_id, state, opened_at, acknowledged_by, acknowledged_at, snoozed_until, resolved_by, resolved_at, step, round, updated_at"

// execer is what a transaction and a database have in common.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func scanAlert(sc interface{ Scan(...any) error }) (store.Alert, error) {
	var a store.Alert
	var opened int64
	var acked, snoozed, resolved, updated sql.NullInt64
	err := sc.Scan(&a.ID, &a.GroupKey, &a.ServiceID, &a.PolicyID, &a.State, &opened, &a.AcknowledgedBy, &acked, &snoozed, &a.ResolvedBy, &resolved, &a.Step, &a.Round, &updated)
	a.OpenedAt, a.AcknowledgedAt, a.SnoozedUntil, a.ResolvedAt, a.UpdatedAt = fromMS(opened), fromNullMS(acked), fromNullMS(snoozed), fromNullMS(resolved), fromNullMS(updated)
	return a, err
}

// Alert returns one alert with its monitors and log.
func (d *DB) Alert(ctx context.Context, id int64) (store.Alert, error) {
	a, err := scanAlert(d.read.QueryRowContext(ctx, d.q("SELECT "+alertCols+" FROM alerts WHERE id = ?"), id))
	if err == sql.ErrNoRows {
		return store.Alert{}, errs.Errorf(errs.ENOTFOUND, "alert %d does not exist", id)
	}
	if err != nil {
		return store.Alert{}, fmt.Errorf("read alert %d: %w", id, err)
	}
	mons, err := d.alertMonitors(ctx, d.read, []int64{id})
	if err != nil {
		return store.Alert{}, err
	}
	a.Monitors = mons[id]
	acts, err := d.alertActions(ctx, []int64{id})
	if err != nil {
		return store.Alert{}, err
	}
	a.Actions = acts[id]
	if a.Actions == nil {
		a.Actions = []store.AlertAction{}
	}
	return a, nil
}

// alertMonitors reads the monitors of alerts, by alert, in the order they
// joined.
func (d *DB) alertMonitors(ctx context.Context, q execer, ids []int64) (map[int64][]store.AlertMonitor, error) {
	out := map[int64][]store.AlertMonitor{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, d.q("SELECT alert_id, monitor_id, status, reason, joined_at, changed_at, impacted_by FROM alert_monitors WHERE alert_id IN (?"+strings.Repeat(", ?", len(ids)-1)+") ORDER BY alert_id, joined_at, monitor_id"), args...)
	if err != nil {
		return nil, fmt.Errorf("read the monitors of alerts: %w", err)
	}
	for rows.Next() {
		var id, joined, changed int64
		var m store.AlertMonitor
		if err := rows.Scan(&id, &m.MonitorID, &m.Status, &m.Reason, &joined, &changed, &m.ImpactedBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the monitors of alerts: %w", err)
		}
		m.JoinedAt, m.ChangedAt = fromMS(joined), fromMS(changed)
		out[id] = append(out[id], m)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the monitors of alerts: %w", err)
	}
	return out, nil
}

// Alerts lists alerts newest first with their monitors.
func (d *DB) Alerts(ctx context.Context, state string, p store.Page) ([]store.Alert, error) {
	limit, before := clampPage(p)
	q := "SELECT " + alertCols + " FROM alerts WHERE id < ?"
	args := []any{before}
	switch state {
	case "":
	case "active":
		q += " AND state <> 'resolved'"
	case store.AlertOpen, store.AlertAcknowledged, store.AlertResolved:
		q += " AND state = ?"
		args = append(args, state)
	default:
		return nil, errs.Errorf(errs.EINVALID, "alert state %q is not one of open, acknowledged, resolved, active", state)
	}
	out, err := d.scanAlerts(d.read.QueryContext(ctx, d.q(q+" ORDER BY id DESC LIMIT ?"), append(args, limit)...))
	if err != nil {
		return nil, err
	}
	if err := d.fillMonitors(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// ActiveAlert returns the alert of groupKey that is not resolved.
func (d *DB) ActiveAlert(ctx context.Context, groupKey string) (store.Alert, error) {
	var id int64
	err := d.read.QueryRowContext(ctx, d.q("SELECT id FROM alerts WHERE group_key = ? AND state <> 'resolved'"), text(groupKey)).Scan(&id)
	if err == sql.ErrNoRows {
		return store.Alert{}, errs.Errorf(errs.ENOTFOUND, "no active alert for %q", groupKey)
	}
	if err != nil {
		return store.Alert{}, fmt.Errorf("read the alert of %q: %w", groupKey, err)
	}
	return d.Alert(ctx, id)
}

func (d *DB) addAction(ctx context.Context, tx execer, a store.AlertAction) error {
	_, err := tx.ExecContext(ctx, d.q("INSERT INTO alert_actions (alert_id, t, kind, who, step, round, target, channel, address, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		a.AlertID, ms(a.Time), text(a.Kind), text(a.Who), a.Step, a.Round, text(a.Target), text(a.Channel), text(a.Address), text(a.Detail))
	return err
}

func (d *DB) addTimer(ctx context.Context, tx execer, t store.AlertTimer) error {
	_, err := tx.ExecContext(ctx, d.q("INSERT INTO alert_timers (alert_id, due_at, kind, step, round, payload) VALUES (?, ?, ?, ?, ?, ?)"),
		t.AlertID, ms(t.DueAt), text(t.Kind), t.Step, t.Round, text(t.Payload))
	return err
}

// dropTimers deletes the alert's timers of the given kinds.
func (d *DB) dropTimers(ctx context.Context, tx execer, id int64, kinds ...string) error {
	args := []any{id}
	for _, k := range kinds {
		args = append(args, k)
	}
	_, err := tx.ExecContext(ctx, d.q("DELETE FROM alert_timers WHERE alert_id = ? AND kind IN (?"+strings.Repeat(", ?", len(kinds)-1)+")"), args...)
	return err
}

// resolveAlert ends an alert: its escalation stops, and everyone paged
// hears that it is resolved (a notify timer, due at once). An alert that
// paged nobody gets no timer: it would tell nobody, and in a storm of
// recoveries firing one per alert costs more than the recoveries.
func (d *DB) resolveAlert(ctx context.Context, tx execer, id int64, who string, at time.Time, detail string) error {
	if _, err := tx.ExecContext(ctx, d.q("UPDATE alerts SET state = 'resolved', resolved_by = ?, resolved_at = ?, snoozed_until = NULL WHERE id = ?"), text(who), ms(at), id); err != nil {
		return err
	}
	if err := d.dropTimers(ctx, tx, id, store.TimerStep, store.TimerContact, store.TimerUpdate, store.TimerUnsnooze); err != nil {
		return err
	}
	if err := d.addAction(ctx, tx, store.AlertAction{AlertID: id, Time: at, Kind: store.ActionResolved, Who: who, Detail: detail}); err != nil {
		return err
	}
	var paged int
	if err := tx.QueryRowContext(ctx, d.q("SELECT COUNT(*) FROM (SELECT 1 FROM alert_actions WHERE alert_id = ? AND kind = ? LIMIT 1) p"), id, store.ActionNotified).Scan(&paged); err != nil {
		return err
	}
	if paged == 0 {
		return nil
	}
	return d.addTimer(ctx, tx, store.AlertTimer{AlertID: id, DueAt: at, Kind: store.TimerNotify, Payload: notify.EventAlertResolved})
}

// forUpdate locks the rows a transaction reads before it changes them, on
// PostgreSQL (two people acknowledging at once: one wins, the other sees
// it acknowledged). SQLite has one writer, so it needs none.
func (d *DB) forUpdate() string {
	if d.postgres {
		return " FOR UPDATE"
	}
	return ""
}

// Act records a person's action on an alert.
func (d *DB) Act(ctx context.Context, alertID int64, a store.AlertAct) (store.Alert, error) {
	if err := refused(d.act(ctx, alertID, a)); err != nil {
		return store.Alert{}, err
	}
	return d.Alert(ctx, alertID)
}

func (d *DB) act(ctx context.Context, id int64, a store.AlertAct) error {
	if a.At.IsZero() {
		a.At = d.now()
	}
	a.Who = text(a.Who)
	switch a.Kind {
	case store.ActAcknowledge, store.ActUnacknowledge, store.ActResolve:
	case store.ActSnooze:
		if !a.Until.After(a.At) {
			return errs.Errorf(errs.EINVALID, "snooze alert %d: the snooze must end after %s, not at %s", id, a.At.Format(time.RFC3339), a.Until.Format(time.RFC3339))
		}
	default:
		return errs.Errorf(errs.EINVALID, "act on alert %d: %q is not one of acknowledge, unacknowledge, snooze, resolve", id, a.Kind)
	}
	if a.Who == "" {
		return errs.Errorf(errs.EINVALID, "act on alert %d: who acted is not known", id)
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var state, ackedBy string
		var acked sql.NullInt64
		var step, round int
		err := tx.QueryRowContext(ctx, d.q("SELECT state, acknowledged_by, acknowledged_at, step, round FROM alerts WHERE id = ?"+d.forUpdate()), id).Scan(&state, &ackedBy, &acked, &step, &round)
		if err == sql.ErrNoRows {
			return errs.Errorf(errs.ENOTFOUND, "alert %d does not exist", id)
		}
		if err != nil {
			return fmt.Errorf("act on alert %d: %w", id, err)
		}
		if len(a.LinkHash) > 0 {
			if _, err := tx.ExecContext(ctx, d.q("INSERT INTO alert_links (token_hash, alert_id, used_at) VALUES (?, ?, ?)"), a.LinkHash, id, ms(a.At)); err != nil {
				if isUniqueViolation(err) {
					return errs.Errorf(errs.ECONFLICT, "this link was used already; each link works once")
				}
				return fmt.Errorf("act on alert %d: %w", id, err)
			}
		}
		if state == store.AlertResolved {
			return errs.Errorf(errs.ECONFLICT, "alert %d is resolved already", id)
		}
		act := store.AlertAction{AlertID: id, Time: a.At, Who: a.Who, Step: step, Round: round, Detail: viaDetail(a.Via)}
		switch a.Kind {
		case store.ActAcknowledge:
			if state == store.AlertAcknowledged {
				return errs.Errorf(errs.ECONFLICT, "alert %d is acknowledged already, by %s at %s", id, ackedBy, fromNullMS(acked).Format(time.RFC3339))
			}
			if _, err := tx.ExecContext(ctx, d.q("UPDATE alerts SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, snoozed_until = NULL WHERE id = ?"), a.Who, ms(a.At), id); err != nil {
				return err
			}
			if err := d.dropTimers(ctx, tx, id, store.TimerStep, store.TimerContact, store.TimerUnsnooze); err != nil {
				return err
			}
			act.Kind = store.ActionAcknowledged
			if err := d.addTimer(ctx, tx, store.AlertTimer{AlertID: id, DueAt: a.At, Kind: store.TimerNotify, Payload: notify.EventAlertAcknowledged}); err != nil {
				return err
			}
		case store.ActUnacknowledge:
			if state != store.AlertAcknowledged {
				return errs.Errorf(errs.ECONFLICT, "alert %d is not acknowledged", id)
			}
			if err := d.reopen(ctx, tx, id, a.At, max(step, 1), round); err != nil {
				return err
			}
			act.Kind = store.ActionUnacknowledged
		case store.ActSnooze:
			who := a.Who
			if state == store.AlertAcknowledged && ackedBy != "" {
				who = ackedBy
			}
			at := a.At
			if acked.Valid {
				at = fromMS(acked.Int64)
			}
			if _, err := tx.ExecContext(ctx, d.q("UPDATE alerts SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, snoozed_until = ? WHERE id = ?"), who, ms(at), ms(a.Until), id); err != nil {
				return err
			}
			if err := d.dropTimers(ctx, tx, id, store.TimerStep, store.TimerContact, store.TimerUnsnooze); err != nil {
				return err
			}
			if err := d.addTimer(ctx, tx, store.AlertTimer{AlertID: id, DueAt: a.Until, Kind: store.TimerUnsnooze}); err != nil {
				return err
			}
			act.Kind, act.Detail = store.ActionSnoozed, strings.TrimSpace("until "+a.Until.UTC().Format(time.RFC3339)+" "+viaDetail(a.Via))
		case store.ActResolve:
			return d.resolveAlert(ctx, tx, id, a.Who, a.At, viaDetail(a.Via))
		}
		return d.addAction(ctx, tx, act)
	})
}

// viaDetail is the logged detail of an action taken through via: "via
// the web UI"; "" when via is not known.
func viaDetail(via string) string {
	if via = strings.TrimSpace(text(via)); via != "" {
		return "via " + via
	}
	return ""
}

// reopen makes an acknowledged alert open again and resumes its
// escalation at once at step, in round.
func (d *DB) reopen(ctx context.Context, tx execer, id int64, at time.Time, step, round int) error {
	if _, err := tx.ExecContext(ctx, d.q("UPDATE alerts SET state = 'open', acknowledged_by = '', acknowledged_at = NULL, snoozed_until = NULL WHERE id = ? AND state = 'acknowledged'"), id); err != nil {
		return err
	}
	if err := d.dropTimers(ctx, tx, id, store.TimerStep, store.TimerUnsnooze); err != nil {
		return err
	}
	return d.addTimer(ctx, tx, store.AlertTimer{AlertID: id, DueAt: at, Kind: store.TimerStep, Step: step, Round: round, Payload: `{"resume":true}`})
}

const timerCols = "id, alert_id, due_at, kind, step, round, payload, lease_owner, lease_until"

func scanTimers(rows *sql.Rows) ([]store.AlertTimer, error) {
	out := []store.AlertTimer{}
	for rows.Next() {
		var t store.AlertTimer
		var due int64
		var owner sql.NullString
		var until sql.NullInt64
		if err := rows.Scan(&t.ID, &t.AlertID, &due, &t.Kind, &t.Step, &t.Round, &t.Payload, &owner, &until); err != nil {
			rows.Close()
			return nil, err
		}
		t.DueAt, t.LeaseOwner, t.LeaseUntil = fromMS(due), owner.String, fromNullMS(until)
		out = append(out, t)
	}
	return out, rowsDone(rows)
}

// ClaimTimers leases up to limit due timers to owner until now+lease,
// earliest first. On PostgreSQL concurrent claims skip each other's rows.
func (d *DB) ClaimTimers(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.AlertTimer, error) {
	if owner == "" {
		return nil, errs.Errorf(errs.EINVALID, "claim alert timers: owner is empty")
	}
	if lease <= 0 {
		return nil, errs.Errorf(errs.EINVALID, "claim alert timers: lease %s is not positive", lease)
	}
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	n, until := ms(now), ms(now.Add(lease))
	const due = "SELECT id FROM alert_timers WHERE due_at <= ? AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at, id LIMIT ?"
	var q string
	if d.postgres {
		q = "UPDATE alert_timers t SET lease_owner = ?, lease_until = ? FROM (" + due + " FOR UPDATE SKIP LOCKED) c WHERE t.id = c.id RETURNING t.id, t.alert_id, t.due_at, t.kind, t.step, t.round, t.payload, t.lease_owner, t.lease_until"
	} else {
		q = "UPDATE alert_timers SET lease_owner = ?, lease_until = ? WHERE id IN (" + due + ") RETURNING " + timerCols
	}
	rows, err := d.write.QueryContext(ctx, d.q(q), text(owner), until, n, n, limit)
	if err != nil {
		return nil, fmt.Errorf("claim alert timers: %w", err)
	}
	out, err := scanTimers(rows)
	if err != nil {
		return nil, fmt.Errorf("claim alert timers: %w", err)
	}
	sortTimers(out)
	return out, nil
}

func sortTimers(ts []store.AlertTimer) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && (ts[j].DueAt.Before(ts[j-1].DueAt) || ts[j].DueAt.Equal(ts[j-1].DueAt) && ts[j].ID < ts[j-1].ID); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// AlertTimers lists an alert's pending timers, earliest first.
func (d *DB) AlertTimers(ctx context.Context, alertID int64) ([]store.AlertTimer, error) {
	rows, err := d.read.QueryContext(ctx, d.q("SELECT "+timerCols+" FROM alert_timers WHERE alert_id = ? ORDER BY due_at, id"), alertID)
	if err != nil {
		return nil, fmt.Errorf("read the timers of alert %d: %w", alertID, err)
	}
	out, err := scanTimers(rows)
	if err != nil {
		return nil, fmt.Errorf("read the timers of alert %d: %w", alertID, err)
	}
	return out, nil
}

// FireTimer deletes the timer and writes what it caused in one
// transaction.
func (d *DB) FireTimer(ctx context.Context, f store.TimerFiring) error {
	return refused(d.fireTimer(ctx, f))
}

func (d *DB) fireTimer(ctx context.Context, f store.TimerFiring) error {
	now := d.now()
	msgs := make([]any, 0, 9*len(f.Outbox))
	for _, m := range f.Outbox {
		if m.ID == "" || m.Channel == "" {
			return errs.Errorf(errs.EINVALID, "fire alert timer: outbox message %q for channel %q needs both an id and a channel", m.ID, m.Channel)
		}
		js, err := json.Marshal(m.Event)
		if err != nil {
			return &errs.Error{Code: errs.EINVALID, Message: fmt.Sprintf("save notification %q: %v", m.ID, err), Err: err}
		}
		created := m.CreatedAt
		if created.IsZero() {
			created = now
		}
		next := m.NextAttempt
		if next.IsZero() {
			next = created
		}
		msgs = append(msgs, text(m.ID), text(m.Channel), text(m.Event.MonitorID), string(js), "pending", 0, ms(next), "", ms(created))
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		// The alert row first, then its timers: the order every other
		// writer of both takes (an acknowledgement or a resolution locks
		// the alert, then drops its timers). Taking the timer first would
		// deadlock against a person resolving the alert as it fires.
		if d.postgres {
			var one int
			err := tx.QueryRowContext(ctx, d.q("SELECT 1 FROM alerts WHERE id = ?"+d.forUpdate()), f.Timer.AlertID).Scan(&one)
			if err != nil && err != sql.ErrNoRows {
				return fmt.Errorf("fire alert timer %d: %w", f.Timer.ID, err)
			}
		}
		res, err := tx.ExecContext(ctx, d.q("DELETE FROM alert_timers WHERE id = ?"), f.Timer.ID)
		if err != nil {
			return fmt.Errorf("fire alert timer %d: %w", f.Timer.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("fire alert timer %d: %w", f.Timer.ID, err)
		} else if n == 0 {
			return errs.Errorf(errs.ENOTFOUND, "alert timer %d is gone", f.Timer.ID)
		}
		const ins = "INSERT INTO outbox (id, channel, monitor_id, event, state, attempts, next_attempt, last_error, created_at) VALUES %s ON CONFLICT (id, channel) DO NOTHING"
		if err := d.insertChunks(ctx, tx, ins, 9, outboxChunk, msgs); err != nil {
			return fmt.Errorf("save notifications: %w", err)
		}
		for _, a := range f.Actions {
			if a.AlertID == 0 {
				a.AlertID = f.Timer.AlertID
			}
			if err := d.addAction(ctx, tx, a); err != nil {
				return fmt.Errorf("save alert action: %w", err)
			}
		}
		for _, t := range f.Next {
			if t.AlertID == 0 {
				t.AlertID = f.Timer.AlertID
			}
			if err := d.addTimer(ctx, tx, t); err != nil {
				return fmt.Errorf("schedule alert timer: %w", err)
			}
		}
		if f.Step > 0 {
			if _, err := tx.ExecContext(ctx, d.q("UPDATE alerts SET step = ?, round = ? WHERE id = ?"), f.Step, f.Round, f.Timer.AlertID); err != nil {
				return fmt.Errorf("fire alert timer %d: %w", f.Timer.ID, err)
			}
		}
		if !f.UpdatedAt.IsZero() {
			if _, err := tx.ExecContext(ctx, d.q("UPDATE alerts SET updated_at = ? WHERE id = ?"), ms(f.UpdatedAt), f.Timer.AlertID); err != nil {
				return fmt.Errorf("fire alert timer %d: %w", f.Timer.ID, err)
			}
		}
		if f.Unsnooze {
			if _, err := tx.ExecContext(ctx, d.q("UPDATE alerts SET state = 'open', acknowledged_by = '', acknowledged_at = NULL, snoozed_until = NULL WHERE id = ? AND state = 'acknowledged'"), f.Timer.AlertID); err != nil {
				return fmt.Errorf("fire alert timer %d: %w", f.Timer.ID, err)
			}
		}
		return nil
	})
}

// ReleaseTimerLeases ends every timer lease held by owner.
func (d *DB) ReleaseTimerLeases(ctx context.Context, owner string) (int, error) {
	if owner == "" {
		return 0, errs.Errorf(errs.EINVALID, "release alert timer leases: owner is empty")
	}
	res, err := d.write.ExecContext(ctx, d.q("UPDATE alert_timers SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?"), text(owner))
	if err != nil {
		return 0, fmt.Errorf("release alert timer leases: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("release alert timer leases: %w", err)
	}
	return int(n), nil
}

// NextTimerDue returns when the earliest timer can be claimed: its due
// time, or the end of its lease.
func (d *DB) NextTimerDue(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	q := "SELECT MIN(" + d.greatest("due_at", "COALESCE(lease_until, 0)") + ") FROM alert_timers"
	if err := d.read.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("read the next alert timer due: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

// Secret returns the named server key, generating it the first time.
func (d *DB) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	if size <= 0 || size > 1024 {
		return nil, errs.Errorf(errs.EINVALID, "secret %q: size %d is not between 1 and 1024", name, size)
	}
	name = text(name)
	var v []byte
	err := d.write.QueryRowContext(ctx, d.q("SELECT value FROM secrets WHERE name = ?"), name).Scan(&v)
	if err == nil {
		return v, nil
	}
	if err != sql.ErrNoRows {
		return nil, fmt.Errorf("read secret %q: %w", name, err)
	}
	v = make([]byte, size)
	_, _ = rand.Read(v)
	if _, err := d.write.ExecContext(ctx, d.q("INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"), name, v); err != nil {
		return nil, fmt.Errorf("store secret %q: %w", name, err)
	}
	// Another replica may have stored its own first: every one uses that.
	if err := d.write.QueryRowContext(ctx, d.q("SELECT value FROM secrets WHERE name = ?"), name).Scan(&v); err != nil {
		return nil, fmt.Errorf("read secret %q: %w", name, err)
	}
	return v, nil
}

// pruneAlerts deletes the alerts resolved before roll (unix ms), with
// their monitors, log and timers, and the links used before it.
func (d *DB) pruneAlerts(_ context.Context, roll int64, exec func(what, q string, args ...any) error) error {
	const old = "SELECT id FROM alerts WHERE state = 'resolved' AND resolved_at < ?"
	for _, t := range []string{"alert_timers", "alert_actions", "alert_monitors"} {
		if err := exec("alerts", "DELETE FROM "+t+" WHERE alert_id IN ("+old+")", roll); err != nil {
			return err
		}
	}
	if err := exec("alerts", "DELETE FROM alerts WHERE state = 'resolved' AND resolved_at < ?", roll); err != nil {
		return err
	}
	return exec("alert links", "DELETE FROM alert_links WHERE used_at < ?", roll)
}
