package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// Baselines returns the baselines of a monitor by subject.
func (d *DB) Baselines(ctx context.Context, monitorID string) ([]store.Baseline, error) {
	rows, err := d.read.QueryContext(ctx, d.q("SELECT subject, vals, observed, changed_at, accepted_by, accepted_at FROM baselines WHERE monitor_id = ? ORDER BY subject"), text(monitorID))
	if err != nil {
		return nil, fmt.Errorf("read the baselines of %q: %w", monitorID, err)
	}
	out := []store.Baseline{}
	for rows.Next() {
		b := store.Baseline{MonitorID: monitorID}
		var vals string
		var observed sql.NullString
		var changed sql.NullInt64
		var accepted int64
		err := rows.Scan(&b.Subject, &vals, &observed, &changed, &b.AcceptedBy, &accepted)
		if err == nil {
			err = json.Unmarshal([]byte(vals), &b.Values)
		}
		if err == nil && observed.Valid {
			err = json.Unmarshal([]byte(observed.String), &b.Observed)
		}
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the baselines of %q: %w", monitorID, err)
		}
		b.ChangedAt, b.AcceptedAt = fromNullMS(changed), fromMS(accepted)
		out = append(out, b)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the baselines of %q: %w", monitorID, err)
	}
	return out, nil
}

// SaveBaselines inserts or replaces baselines in one transaction.
func (d *DB) SaveBaselines(ctx context.Context, bs []store.Baseline) error {
	for _, b := range bs {
		if strings.TrimSpace(b.MonitorID) == "" || b.Subject == "" || len(b.Values) == 0 {
			return errs.Errorf(errs.EINVALID, "save baseline: the monitor, the subject and the values are required")
		}
	}
	if len(bs) == 0 {
		return nil
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		for _, b := range bs {
			vals, err := json.Marshal(textMap(b.Values))
			if err != nil {
				return err
			}
			var observed any
			if b.Observed != nil {
				js, err := json.Marshal(textMap(b.Observed))
				if err != nil {
					return err
				}
				observed = string(js)
			}
			if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO baselines (monitor_id, subject, vals, observed, changed_at, accepted_by, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (monitor_id, subject) DO UPDATE SET vals = excluded.vals, observed = excluded.observed, changed_at = excluded.changed_at, accepted_by = excluded.accepted_by, accepted_at = excluded.accepted_at`),
				text(b.MonitorID), text(b.Subject), string(vals), observed, nullMS(b.ChangedAt), text(b.AcceptedBy), ms(b.AcceptedAt)); err != nil {
				return fmt.Errorf("save the baseline of %s of %q: %w", b.Subject, b.MonitorID, refused(err))
			}
		}
		return nil
	})
}

// textMap is m with every key and value valid text for the database.
func textMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[text(k)] = text(v)
	}
	return out
}

var _ store.Baselines = (*DB)(nil)
