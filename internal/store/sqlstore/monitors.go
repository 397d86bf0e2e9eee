package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// CreateMonitor stores a monitor created through the API.
func (d *DB) CreateMonitor(ctx context.Context, m store.StoredMonitor) (store.StoredMonitor, error) {
	if strings.TrimSpace(m.ID) == "" || strings.TrimSpace(m.Spec) == "" {
		return store.StoredMonitor{}, errs.Errorf(errs.EINVALID, "create monitor: the id and the spec are required")
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = d.now()
	}
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	if m.UpdatedBy == "" {
		m.UpdatedBy = m.CreatedBy
	}
	m.ID, m.Spec, m.CreatedBy, m.UpdatedBy = text(m.ID), text(m.Spec), text(m.CreatedBy), text(m.UpdatedBy)
	m.CreatedAt, m.UpdatedAt = fromMS(ms(m.CreatedAt)), fromMS(ms(m.UpdatedAt))
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.q("INSERT INTO api_monitors (id, spec, created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)"),
			m.ID, m.Spec, ms(m.CreatedAt), m.CreatedBy, ms(m.UpdatedAt), m.UpdatedBy)
		return err
	})
	if isUniqueViolation(err) {
		return store.StoredMonitor{}, errs.Errorf(errs.ECONFLICT, "a monitor %q exists already", m.ID)
	}
	if err != nil {
		return store.StoredMonitor{}, fmt.Errorf("create monitor %q: %w", m.ID, refused(err))
	}
	return m, nil
}

// UpdateMonitor replaces the spec of a monitor created through the API.
func (d *DB) UpdateMonitor(ctx context.Context, m store.StoredMonitor) (store.StoredMonitor, error) {
	if strings.TrimSpace(m.Spec) == "" {
		return store.StoredMonitor{}, errs.Errorf(errs.EINVALID, "update monitor %q: the spec is required", m.ID)
	}
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = d.now()
	}
	m.ID, m.Spec, m.UpdatedBy = text(m.ID), text(m.Spec), text(m.UpdatedBy)
	m.UpdatedAt = fromMS(ms(m.UpdatedAt))
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var created int64
		err := tx.QueryRowContext(ctx, d.q("SELECT created_at, created_by FROM api_monitors WHERE id = ?"), m.ID).Scan(&created, &m.CreatedBy)
		if err == sql.ErrNoRows {
			return errs.Errorf(errs.ENOTFOUND, "no monitor %q was created through the API", m.ID)
		}
		if err != nil {
			return err
		}
		m.CreatedAt = fromMS(created)
		_, err = tx.ExecContext(ctx, d.q("UPDATE api_monitors SET spec = ?, updated_at = ?, updated_by = ? WHERE id = ?"),
			m.Spec, ms(m.UpdatedAt), m.UpdatedBy, m.ID)
		return err
	})
	if err != nil {
		return store.StoredMonitor{}, fmt.Errorf("update monitor %q: %w", m.ID, refused(err))
	}
	return m, nil
}

// StoredMonitors lists the monitors created through the API, oldest first.
func (d *DB) StoredMonitors(ctx context.Context) ([]store.StoredMonitor, error) {
	rows, err := d.read.QueryContext(ctx, "SELECT id, spec, created_at, created_by, updated_at, updated_by FROM api_monitors ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("read stored monitors: %w", err)
	}
	out := []store.StoredMonitor{}
	for rows.Next() {
		var m store.StoredMonitor
		var created, updated int64
		if err := rows.Scan(&m.ID, &m.Spec, &created, &m.CreatedBy, &updated, &m.UpdatedBy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read stored monitors: %w", err)
		}
		m.CreatedAt, m.UpdatedAt = fromMS(created), fromMS(updated)
		out = append(out, m)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read stored monitors: %w", err)
	}
	return out, nil
}

// DeleteMonitor removes a monitor created through the API.
func (d *DB) DeleteMonitor(ctx context.Context, id string) error {
	var n int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q("DELETE FROM api_monitors WHERE id = ?"), text(id))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("delete monitor %q: %w", id, err)
	}
	if n == 0 {
		return errs.Errorf(errs.ENOTFOUND, "no monitor %q was created through the API", id)
	}
	return nil
}

var _ store.Monitors = (*DB)(nil)
