package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/tocsin/tocsin/internal/store"
)

// AlertsAfter lists alerts with ids above after, oldest first.
func (d *DB) AlertsAfter(ctx context.Context, after int64, limit int) ([]store.Alert, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	out, err := d.scanAlerts(d.read.QueryContext(ctx, d.q("SELECT "+alertCols+" FROM alerts WHERE id > ? ORDER BY id LIMIT ?"), after, limit))
	if err != nil {
		return nil, err
	}
	return out, d.fillMonitors(ctx, out)
}

// AlertsByID returns the existing alerts of ids with monitors and logs.
func (d *DB) AlertsByID(ctx context.Context, ids []int64) ([]store.Alert, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return []store.Alert{}, nil
	}
	out, err := d.scanAlerts(d.read.QueryContext(ctx, d.q("SELECT "+alertCols+" FROM alerts WHERE id IN ("+inList(len(ids))+") ORDER BY id"), int64Args(ids)...))
	if err != nil {
		return nil, err
	}
	if err := d.fillMonitors(ctx, out); err != nil {
		return nil, err
	}
	acts, err := d.alertActions(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Actions = acts[out[i].ID]
		if out[i].Actions == nil {
			out[i].Actions = []store.AlertAction{}
		}
	}
	return out, nil
}

func (d *DB) scanAlerts(rows *sql.Rows, err error) ([]store.Alert, error) {
	if err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	out := []store.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read alerts: %w", err)
		}
		out = append(out, a)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read alerts: %w", err)
	}
	return out, nil
}

func (d *DB) fillMonitors(ctx context.Context, as []store.Alert) error {
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	mons, err := d.alertMonitors(ctx, d.read, ids)
	if err != nil {
		return err
	}
	for i := range as {
		as[i].Monitors = mons[as[i].ID]
	}
	return nil
}

// alertActions reads the logs of alerts, by alert, oldest first.
func (d *DB) alertActions(ctx context.Context, ids []int64) (map[int64][]store.AlertAction, error) {
	out := map[int64][]store.AlertAction{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := d.read.QueryContext(ctx, d.q("SELECT id, alert_id, t, kind, who, step, round, target, channel, address, detail FROM alert_actions WHERE alert_id IN ("+
		inList(len(ids))+") ORDER BY id"), int64Args(ids)...)
	if err != nil {
		return nil, fmt.Errorf("read the logs of alerts: %w", err)
	}
	for rows.Next() {
		var x store.AlertAction
		var t int64
		if err := rows.Scan(&x.ID, &x.AlertID, &t, &x.Kind, &x.Who, &x.Step, &x.Round, &x.Target, &x.Channel, &x.Address, &x.Detail); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the logs of alerts: %w", err)
		}
		x.Time = fromMS(t)
		out[x.AlertID] = append(out[x.AlertID], x)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the logs of alerts: %w", err)
	}
	return out, nil
}

// Cursor returns a named position.
func (d *DB) Cursor(ctx context.Context, name string) (int64, error) {
	var v int64
	err := d.read.QueryRowContext(ctx, d.q("SELECT position FROM cursors WHERE name = ?"), text(name)).Scan(&v)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read cursor %q: %w", name, err)
	}
	return v, nil
}

// AdvanceCursor moves a named position forward.
func (d *DB) AdvanceCursor(ctx context.Context, name string, to int64) error {
	_, err := d.write.ExecContext(ctx, d.q("INSERT INTO cursors (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position WHERE cursors.position < excluded.position"), text(name), to)
	if err != nil {
		return fmt.Errorf("advance cursor %q: %w", name, err)
	}
	return nil
}

func inList(n int) string { return "?" + strings.Repeat(", ?", n-1) }

func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, v := range ids {
		args[i] = v
	}
	return args
}
