package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

const followUpCols = `id, incident_id, title, owner, due, timezone, priority, type, status, link, created_by, created_at, updated_by, updated_at, done_at, reminded_due_at, reminded_overdue_at`

func scanFollowUp(sc interface{ Scan(...any) error }) (store.FollowUp, error) {
	var f store.FollowUp
	var created, updated, done, remDue, remOver int64
	err := sc.Scan(&f.ID, &f.IncidentID, &f.Title, &f.Owner, &f.Due, &f.Timezone, &f.Priority, &f.Type, &f.Status, &f.Link,
		&f.CreatedBy, &created, &f.UpdatedBy, &updated, &done, &remDue, &remOver)
	f.CreatedAt, f.UpdatedAt = fromMS(created), fromMS(updated)
	f.DoneAt, f.RemindedDueAt, f.RemindedOverdueAt = fromMSOrZero(done), fromMSOrZero(remDue), fromMSOrZero(remOver)
	return f, err
}

// checkFollowUp refuses an action the store would not make sense of.
func checkFollowUp(f store.FollowUp) error {
	switch {
	case strings.TrimSpace(f.Title) == "":
		return errs.Errorf(errs.EINVALID, "a follow-up action needs a title")
	case len(f.Title) > 500 || len(f.Owner) > 200 || len(f.Link) > 2000:
		return errs.Errorf(errs.EINVALID, "a follow-up action's title is at most 500 bytes, its owner 200 and its link 2000")
	case !slices.Contains(store.FollowUpPriorities, f.Priority):
		return errs.Errorf(errs.EINVALID, "priority %q is not one of %s", f.Priority, strings.Join(store.FollowUpPriorities, ", "))
	case !slices.Contains(store.FollowUpTypes, f.Type):
		return errs.Errorf(errs.EINVALID, "type %q is not one of %s", f.Type, strings.Join(store.FollowUpTypes, ", "))
	case !slices.Contains(store.FollowUpStatuses, f.Status):
		return errs.Errorf(errs.EINVALID, "status %q is not one of %s", f.Status, strings.Join(store.FollowUpStatuses, ", "))
	}
	if _, err := time.LoadLocation(f.Timezone); err != nil || f.Timezone == "" || f.Timezone == "Local" {
		return errs.Errorf(errs.EINVALID, "timezone %q is not an IANA timezone name such as Europe/Paris or UTC", f.Timezone)
	}
	if f.Due != "" {
		if _, err := time.Parse(store.DateLayout, f.Due); err != nil {
			return errs.Errorf(errs.EINVALID, "due date %q is not a date like 2026-01-31", f.Due)
		}
	}
	if f.Link != "" {
		u, err := url.Parse(f.Link)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errs.Errorf(errs.EINVALID, "link %q is not an http or https URL", f.Link)
		}
	}
	return nil
}

// withDefaults fills what a new action may leave out.
func followUpDefaults(f store.FollowUp) store.FollowUp {
	f.Title, f.Owner, f.Due, f.Link = strings.TrimSpace(f.Title), strings.TrimSpace(f.Owner), strings.TrimSpace(f.Due), strings.TrimSpace(f.Link)
	if f.Priority == "" {
		f.Priority = "medium"
	}
	if f.Type == "" {
		f.Type = "corrective"
	}
	if f.Status == "" {
		f.Status = store.ActionOpen
	}
	if f.Timezone == "" {
		f.Timezone = "UTC"
	}
	return f
}

// dueAt is the stored deadline: NULL without a due date.
func dueAt(f store.FollowUp) any {
	if d := f.Deadline(); !d.IsZero() {
		return ms(d)
	}
	return nil
}

// CreateFollowUp stores a new follow-up action.
func (d *DB) CreateFollowUp(ctx context.Context, f store.FollowUp, by string) (store.FollowUp, error) {
	f = followUpDefaults(f)
	if err := checkFollowUp(f); err != nil {
		return f, err
	}
	now := d.now()
	done := int64(0)
	if f.Finished() {
		done = ms(now)
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := d.incidentExists(ctx, tx, f.IncidentID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, d.q(`INSERT INTO follow_ups (incident_id, title, owner, due, timezone, due_at, priority, type, status, link,
			created_by, created_at, updated_by, updated_at, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			textArgs(f.IncidentID, f.Title, f.Owner, f.Due, f.Timezone, dueAt(f), f.Priority, f.Type, f.Status, f.Link, by, ms(now), by, ms(now), done)...).Scan(&f.ID)
	})
	if err != nil {
		return f, followUpErr(err, "add a follow-up action to incident %d", f.IncidentID)
	}
	return d.FollowUp(ctx, f.ID)
}

// followUpErr passes the store's own errors on and words the rest.
func followUpErr(err error, format string, args ...any) error {
	if c := errs.Code(err); c != "" && c != errs.EINTERNAL {
		return err
	}
	return refused(fmt.Errorf(format+": %w", append(args, err)...))
}

// FollowUp returns one action.
func (d *DB) FollowUp(ctx context.Context, id int64) (store.FollowUp, error) {
	return d.followUp(ctx, d.read, id)
}

func (d *DB) followUp(ctx context.Context, q queryRower, id int64) (store.FollowUp, error) {
	f, err := scanFollowUp(q.QueryRowContext(ctx, d.q(`SELECT `+followUpCols+` FROM follow_ups WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, errs.Errorf(errs.ENOTFOUND, "no follow-up action %d", id)
	}
	if err != nil {
		return f, fmt.Errorf("read follow-up action %d: %w", id, err)
	}
	return f, nil
}

// UpdateFollowUp changes the fields the patch sets.
func (d *DB) UpdateFollowUp(ctx context.Context, id int64, p store.FollowUpPatch, by string) (store.FollowUp, error) {
	now := d.now()
	var f store.FollowUp
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := d.followUp(ctx, tx, id)
		if err != nil {
			return err
		}
		f = cur
		for dst, src := range map[*string]*string{&f.Title: p.Title, &f.Owner: p.Owner, &f.Due: p.Due, &f.Timezone: p.Timezone,
			&f.Priority: p.Priority, &f.Type: p.Type, &f.Status: p.Status, &f.Link: p.Link} {
			if src != nil {
				*dst = *src
			}
		}
		f = followUpDefaults(f)
		if err := checkFollowUp(f); err != nil {
			return err
		}
		switch {
		case f.Finished() && !cur.Finished():
			f.DoneAt = now
		case !f.Finished():
			f.DoneAt = time.Time{}
		}
		if !f.Deadline().Equal(cur.Deadline()) {
			// A new due date earns new reminders.
			f.RemindedDueAt, f.RemindedOverdueAt = time.Time{}, time.Time{}
		}
		_, err = tx.ExecContext(ctx, d.q(`UPDATE follow_ups SET title = ?, owner = ?, due = ?, timezone = ?, due_at = ?, priority = ?, type = ?,
			status = ?, link = ?, updated_by = ?, updated_at = ?, done_at = ?, reminded_due_at = ?, reminded_overdue_at = ? WHERE id = ?`),
			textArgs(f.Title, f.Owner, f.Due, f.Timezone, dueAt(f), f.Priority, f.Type, f.Status, f.Link, by, ms(now),
				msOrZero(f.DoneAt), msOrZero(f.RemindedDueAt), msOrZero(f.RemindedOverdueAt), id)...)
		return err
	})
	if err != nil {
		return f, followUpErr(err, "change follow-up action %d", id)
	}
	return d.FollowUp(ctx, id)
}

// FollowUpList lists actions matching the filter.
func (d *DB) FollowUpList(ctx context.Context, f store.FollowUpFilter) ([]store.FollowUp, error) {
	limit, before := clampPage(f.Page)
	query, args := `SELECT `+followUpCols+` FROM follow_ups WHERE id < ?`, []any{before}
	open := ` AND status IN ('` + store.ActionOpen + `', '` + store.ActionInProgress + `')`
	switch f.Status {
	case store.FollowUpsAll, "":
	case store.FollowUpsOpen:
		query += open
	case store.FollowUpsOverdue:
		query += open + ` AND due_at <= ?`
		args = append(args, ms(d.now()))
	case store.FollowUpsDone:
		query += ` AND status IN ('` + store.ActionDone + `', '` + store.ActionWontDo + `')`
	default:
		return nil, errs.Errorf(errs.EINVALID, "status filter %q is not one of open, overdue, done, all", f.Status)
	}
	if f.Owner != "" {
		query += ` AND owner = ?`
		args = append(args, text(f.Owner))
	}
	if f.IncidentID != 0 {
		query += ` AND incident_id = ?`
		args = append(args, f.IncidentID)
	}
	return d.followUps(ctx, query+` ORDER BY id DESC LIMIT ?`, append(args, limit))
}

func (d *DB) followUps(ctx context.Context, query string, args []any) ([]store.FollowUp, error) {
	rows, err := d.read.QueryContext(ctx, d.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read follow-up actions: %w", err)
	}
	var out []store.FollowUp
	for rows.Next() {
		f, err := scanFollowUp(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read follow-up actions: %w", err)
		}
		out = append(out, f)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read follow-up actions: %w", err)
	}
	return slices.Clip(out), nil
}

// FollowUpsDueBy lists unfinished actions due before until.
func (d *DB) FollowUpsDueBy(ctx context.Context, until time.Time, limit int) ([]store.FollowUp, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	return d.followUps(ctx, `SELECT `+followUpCols+` FROM follow_ups WHERE status IN (?, ?) AND due_at IS NOT NULL AND due_at < ? ORDER BY due_at, id LIMIT ?`,
		[]any{store.ActionOpen, store.ActionInProgress, ms(until), limit})
}

// RecordFollowUpReminder records a reminder and queues its notifications.
func (d *DB) RecordFollowUpReminder(ctx context.Context, r store.FollowUpReminder) error {
	col := map[string]string{store.ReminderDue: "reminded_due_at", store.ReminderOverdue: "reminded_overdue_at"}[r.Kind]
	if col == "" {
		return errs.Errorf(errs.EINVALID, "reminder kind %q is not one of due, overdue", r.Kind)
	}
	now := d.now()
	msgs := make([]any, 0, 9*len(r.Outbox))
	for _, m := range r.Outbox {
		if m.ID == "" || m.Channel == "" {
			return errs.Errorf(errs.EINVALID, "reminder of follow-up action %d: notification %q for channel %q needs both an id and a channel", r.ActionID, m.ID, m.Channel)
		}
		js, err := json.Marshal(m.Event)
		if err != nil {
			return &errs.Error{Code: errs.EINVALID, Message: fmt.Sprintf("save notification %q: %v", m.ID, err), Err: err}
		}
		created := cmpOr(m.CreatedAt, now)
		msgs = append(msgs, text(m.ID), text(m.Channel), text(m.Event.MonitorID), string(js), notify.StatePending, 0, ms(cmpOr(m.NextAttempt, created)), "", ms(created))
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q(`UPDATE follow_ups SET `+col+` = ? WHERE id = ? AND `+col+` = ?`), ms(cmpOr(r.At, now)), r.ActionID, msOrZero(r.Last))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := d.followUp(ctx, tx, r.ActionID); err != nil {
				return err
			}
			return errs.Errorf(errs.ECONFLICT, "follow-up action %d: its %s reminder was sent meanwhile", r.ActionID, r.Kind)
		}
		const ins = "INSERT INTO outbox (id, channel, monitor_id, event, state, attempts, next_attempt, last_error, created_at) VALUES %s ON CONFLICT (id, channel) DO NOTHING"
		return d.insertChunks(ctx, tx, ins, 9, outboxChunk, msgs)
	})
	if err != nil {
		return followUpErr(err, "record a reminder of follow-up action %d", r.ActionID)
	}
	return nil
}

// cmpOr returns t, or def when t is zero.
func cmpOr(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}
