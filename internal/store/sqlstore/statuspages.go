package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// SetStatusOverride stores o, replacing the component's previous override.
func (d *DB) SetStatusOverride(ctx context.Context, o store.StatusOverride) error {
	if o.PageID == "" || o.Component == "" || o.State == "" {
		return errs.Errorf(errs.EINVALID, "a status override needs a page, a component and a state")
	}
	const q = "INSERT INTO status_overrides (page_id, component, state, reason, by_user, set_at) VALUES (?, ?, ?, ?, ?, ?) " +
		"ON CONFLICT (page_id, component) DO UPDATE SET state = excluded.state, reason = excluded.reason, by_user = excluded.by_user, set_at = excluded.set_at"
	if _, err := d.write.ExecContext(ctx, d.q(q), textArgs(o.PageID, o.Component, o.State, o.Reason, o.By, ms(o.SetAt))...); err != nil {
		return fmt.Errorf("set the state of %s on status page %q: %w", o.Component, o.PageID, err)
	}
	return nil
}

// ClearStatusOverride removes a component's override.
func (d *DB) ClearStatusOverride(ctx context.Context, pageID, component string) error {
	return d.execOne(ctx, fmt.Sprintf("the override of %s on status page %q", component, pageID),
		"DELETE FROM status_overrides WHERE page_id = ? AND component = ?", pageID, component)
}

// StatusOverrides lists a page's overrides by component.
func (d *DB) StatusOverrides(ctx context.Context, pageID string) ([]store.StatusOverride, error) {
	rows, err := d.read.QueryContext(ctx, d.q("SELECT page_id, component, state, reason, by_user, set_at FROM status_overrides WHERE page_id = ? ORDER BY component"), text(pageID))
	if err != nil {
		return nil, fmt.Errorf("read the overrides of status page %q: %w", pageID, err)
	}
	out := []store.StatusOverride{}
	for rows.Next() {
		var o store.StatusOverride
		var at int64
		if err := rows.Scan(&o.PageID, &o.Component, &o.State, &o.Reason, &o.By, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the overrides of status page %q: %w", pageID, err)
		}
		o.SetAt = fromMS(at)
		out = append(out, o)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the overrides of status page %q: %w", pageID, err)
	}
	return out, nil
}

// DailyUptime sums the monitors' hourly rollups per UTC day.
func (d *DB) DailyUptime(ctx context.Context, monitorIDs []string, from time.Time, days int) ([]store.Uptime, error) {
	if days < 0 {
		return nil, errs.Errorf(errs.EINVALID, "a negative number of days")
	}
	out := make([]store.Uptime, days)
	const day = int64(24 * time.Hour / time.Millisecond)
	args := []any{ms(from), ms(from), ms(from) + int64(days)*day}
	var marks []string
	for _, id := range monitorIDs {
		key, ok, err := d.lookupKey(ctx, monitorTable, text(id))
		if err != nil {
			return nil, fmt.Errorf("read the daily uptime: %w", err)
		}
		if ok {
			args = append(args, key)
			marks = append(marks, "?")
		}
	}
	if len(marks) == 0 || days == 0 {
		return out, nil
	}
	q := "SELECT (hour - ?) / " + strconv.FormatInt(day, 10) + " AS d, CAST(SUM(total) AS BIGINT), CAST(SUM(failed) AS BIGINT) FROM rollups " +
		"WHERE hour >= ? AND hour < ? AND monitor_key IN (" + strings.Join(marks, ", ") + ") GROUP BY d"
	rows, err := d.read.QueryContext(ctx, d.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("read the daily uptime: %w", err)
	}
	for rows.Next() {
		var i, total, failed int64
		if err := rows.Scan(&i, &total, &failed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the daily uptime: %w", err)
		}
		if i >= 0 && i < int64(days) {
			out[i] = store.Uptime{Total: int(total), Failed: int(failed)}
		}
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the daily uptime: %w", err)
	}
	return out, nil
}

var _ store.StatusPages = (*DB)(nil)
