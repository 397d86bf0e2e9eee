package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// mutesLimit bounds one listing of windows or silences.
const mutesLimit = 5000

// windowMatch is the JSON shape of a window's match column.
type windowMatch struct {
	Services   []string `json:"services,omitempty"`
	Monitors   []string `json:"monitors,omitempty"`
	Hosts      []string `json:"hosts,omitempty"`
	Components []string `json:"components,omitempty"`
	Tags       []string `json:"tags,omitempty"`
}

func validList(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = text(s)
	}
	return out
}

// AddMaintenance stores a maintenance window. A recurring window's zero
// EndsAt is stored as 0: until ended.
func (d *DB) AddMaintenance(ctx context.Context, w store.MaintenanceWindow) (store.MaintenanceWindow, error) {
	m, err := json.Marshal(windowMatch{validList(w.Services), validList(w.Monitors), validList(w.Hosts), validList(w.Components), validList(w.Tags)})
	if err != nil {
		return w, errs.Errorf(errs.EINVALID, "encode the match of a maintenance window: %v", err)
	}
	w.CreatedAt = d.now()
	if w.Cron == "" && (w.Duration != 0 || w.Timezone != "") {
		return w, errs.Errorf(errs.EINVALID, "a maintenance window with a duration or timezone needs a cron expression")
	}
	if w.Cron == "" && w.EndsAt.IsZero() {
		return w, errs.Errorf(errs.EINVALID, "a one-off maintenance window needs an end")
	}
	ends := int64(0)
	if !w.EndsAt.IsZero() {
		ends = ms(w.EndsAt)
	}
	err = d.write.QueryRowContext(ctx, d.q(`INSERT INTO maintenance_windows (reason, match, starts_at, ends_at, cron, duration_ms, timezone, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), textArgs(w.Reason, string(m), ms(w.StartsAt), ends, w.Cron, w.Duration.Milliseconds(), w.Timezone, w.CreatedBy, ms(w.CreatedAt))...).Scan(&w.ID)
	if err != nil {
		return w, fmt.Errorf("store a maintenance window: %w", err)
	}
	return d.MaintenanceWindow(ctx, w.ID)
}

const windowCols = `id, reason, match, starts_at, ends_at, cron, duration_ms, timezone, created_by, created_at, ended_by`

func scanWindow(sc interface{ Scan(...any) error }) (store.MaintenanceWindow, error) {
	var w store.MaintenanceWindow
	var match string
	var starts, ends, dur, created int64
	if err := sc.Scan(&w.ID, &w.Reason, &match, &starts, &ends, &w.Cron, &dur, &w.Timezone, &w.CreatedBy, &created, &w.EndedBy); err != nil {
		return w, err
	}
	var m windowMatch
	if err := json.Unmarshal([]byte(match), &m); err != nil {
		return w, fmt.Errorf("maintenance window %d: read its match: %w", w.ID, err)
	}
	w.Services, w.Monitors, w.Hosts, w.Components, w.Tags = m.Services, m.Monitors, m.Hosts, m.Components, m.Tags
	w.StartsAt, w.CreatedAt, w.Duration = fromMS(starts), fromMS(created), time.Duration(dur)*time.Millisecond
	if ends != 0 {
		w.EndsAt = fromMS(ends)
	}
	return w, nil
}

// MaintenanceWindows lists the windows ending after since, and the
// recurring ones not ended, oldest start first.
func (d *DB) MaintenanceWindows(ctx context.Context, since time.Time) ([]store.MaintenanceWindow, error) {
	rows, err := d.read.QueryContext(ctx, d.q(`SELECT `+windowCols+` FROM maintenance_windows
		WHERE ends_at > ? OR ends_at = 0 ORDER BY starts_at, id LIMIT ?`), ms(since), mutesLimit)
	if err != nil {
		return nil, fmt.Errorf("read maintenance windows: %w", err)
	}
	var out []store.MaintenanceWindow
	for rows.Next() {
		w, err := scanWindow(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read maintenance windows: %w", err)
		}
		out = append(out, w)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read maintenance windows: %w", err)
	}
	return out, nil
}

// MaintenanceWindow returns one window.
func (d *DB) MaintenanceWindow(ctx context.Context, id int64) (store.MaintenanceWindow, error) {
	w, err := scanWindow(d.read.QueryRowContext(ctx, d.q(`SELECT `+windowCols+` FROM maintenance_windows WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, errs.Errorf(errs.ENOTFOUND, "no maintenance window %d", id)
	}
	if err != nil {
		return w, fmt.Errorf("read maintenance window %d: %w", id, err)
	}
	return w, nil
}

// EndMaintenance ends a window now: a one-off one, or the recurrence of a
// recurring one. Only a window not yet ended changes, so of two people
// ending it at once one succeeds and the other hears ECONFLICT.
func (d *DB) EndMaintenance(ctx context.Context, id int64, by string) (store.MaintenanceWindow, error) {
	now := ms(d.now())
	res, err := d.write.ExecContext(ctx, d.q(`UPDATE maintenance_windows
		SET starts_at = CASE WHEN starts_at > ? THEN ? ELSE starts_at END, ends_at = ?, ended_by = ?
		WHERE id = ? AND (ends_at > ? OR ends_at = 0)`), textArgs(now, now, now, by, id, now)...)
	if err != nil {
		return store.MaintenanceWindow{}, fmt.Errorf("end maintenance window %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		w, err := d.MaintenanceWindow(ctx, id)
		if err != nil {
			return w, err
		}
		return w, errs.Errorf(errs.ECONFLICT, "maintenance window %d already ended at %s", id, w.EndsAt.Format(time.RFC3339))
	}
	return d.MaintenanceWindow(ctx, id)
}

// AddSilence stores a silence.
func (d *DB) AddSilence(ctx context.Context, s store.Silence) (store.Silence, error) {
	ms0 := make([]store.SilenceMatcher, len(s.Matchers))
	for i, m := range s.Matchers {
		ms0[i] = store.SilenceMatcher{Name: text(m.Name), Op: text(m.Op), Value: text(m.Value)}
	}
	matchers, err := json.Marshal(ms0)
	if err != nil {
		return s, errs.Errorf(errs.EINVALID, "encode the matchers of a silence: %v", err)
	}
	s.CreatedAt = d.now()
	err = d.write.QueryRowContext(ctx, d.q(`INSERT INTO silences (matchers, reason, created_by, created_at, starts_at, ends_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), textArgs(string(matchers), s.Reason, s.CreatedBy, ms(s.CreatedAt), ms(s.StartsAt), ms(s.EndsAt))...).Scan(&s.ID)
	if err != nil {
		return s, fmt.Errorf("store a silence: %w", err)
	}
	return d.Silence(ctx, s.ID)
}

const silenceCols = `id, matchers, reason, created_by, created_at, starts_at, ends_at, expired_by, reminded_expiry, reminded_use`

func scanSilence(sc interface{ Scan(...any) error }) (store.Silence, error) {
	var s store.Silence
	var matchers string
	var created, starts, ends int64
	if err := sc.Scan(&s.ID, &matchers, &s.Reason, &s.CreatedBy, &created, &starts, &ends, &s.ExpiredBy, &s.RemindedExpiry, &s.RemindedUse); err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(matchers), &s.Matchers); err != nil {
		return s, fmt.Errorf("silence %d: read its matchers: %w", s.ID, err)
	}
	s.CreatedAt, s.StartsAt, s.EndsAt = fromMS(created), fromMS(starts), fromMS(ends)
	return s, nil
}

// Silences lists the silences ending after since, oldest start first.
func (d *DB) Silences(ctx context.Context, since time.Time) ([]store.Silence, error) {
	rows, err := d.read.QueryContext(ctx, d.q(`SELECT `+silenceCols+` FROM silences
		WHERE ends_at > ? ORDER BY starts_at, id LIMIT ?`), ms(since), mutesLimit)
	if err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	var out []store.Silence
	for rows.Next() {
		s, err := scanSilence(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read silences: %w", err)
		}
		out = append(out, s)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read silences: %w", err)
	}
	return out, nil
}

// Silence returns one silence.
func (d *DB) Silence(ctx context.Context, id int64) (store.Silence, error) {
	s, err := scanSilence(d.read.QueryRowContext(ctx, d.q(`SELECT `+silenceCols+` FROM silences WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return s, errs.Errorf(errs.ENOTFOUND, "no silence %d", id)
	}
	if err != nil {
		return s, fmt.Errorf("read silence %d: %w", id, err)
	}
	return s, nil
}

// ExpireSilence ends a silence now.
func (d *DB) ExpireSilence(ctx context.Context, id int64, by string) (store.Silence, error) {
	now := ms(d.now())
	res, err := d.write.ExecContext(ctx, d.q(`UPDATE silences
		SET starts_at = CASE WHEN starts_at > ? THEN ? ELSE starts_at END, ends_at = ?, expired_by = ?
		WHERE id = ? AND ends_at > ?`), textArgs(now, now, now, by, id, now)...)
	if err != nil {
		return store.Silence{}, fmt.Errorf("expire silence %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		s, err := d.Silence(ctx, id)
		if err != nil {
			return s, err
		}
		return s, errs.Errorf(errs.ECONFLICT, "silence %d already ended at %s", id, s.EndsAt.Format(time.RFC3339))
	}
	return d.Silence(ctx, id)
}

// MarkSilenceReminded sets a reminder flag that is not yet set; the update
// is the claim, so only one caller sees a row change.
func (d *DB) MarkSilenceReminded(ctx context.Context, id int64, reminder string) (bool, error) {
	var col string
	switch reminder {
	case store.ReminderExpiry:
		col = "reminded_expiry"
	case store.ReminderUse:
		col = "reminded_use"
	default:
		return false, errs.Errorf(errs.EINVALID, "unknown reminder %q", reminder)
	}
	res, err := d.write.ExecContext(ctx, d.q(`UPDATE silences SET `+col+` = TRUE WHERE id = ? AND NOT `+col), id)
	if err != nil {
		return false, fmt.Errorf("mark silence %d reminded: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark silence %d reminded: %w", id, err)
	}
	if n == 0 {
		if _, err := d.Silence(ctx, id); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

var _ store.Mutes = (*DB)(nil)
