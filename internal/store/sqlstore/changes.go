package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// AddChange stores a change event and the services it touches, in one
// transaction.
func (d *DB) AddChange(ctx context.Context, c store.Change) (store.Change, error) {
	c.Services, c.Components = validList(c.Services), validList(c.Components)
	services, err := json.Marshal(c.Services)
	if err != nil {
		return c, errs.Errorf(errs.EINVALID, "encode the services of a change: %v", err)
	}
	components, err := json.Marshal(c.Components)
	if err != nil {
		return c, errs.Errorf(errs.EINVALID, "encode the components of a change: %v", err)
	}
	c.CreatedAt = d.now()
	if c.Time.IsZero() {
		c.Time = c.CreatedAt
	}
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, d.q(`INSERT INTO changes (title, author, at, services, components, link, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), textArgs(c.Title, c.Author, ms(c.Time), string(services), string(components), c.Link, ms(c.CreatedAt), c.CreatedBy)...).Scan(&c.ID); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, s := range c.Services {
			if seen[s] {
				continue
			}
			seen[s] = true
			if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO change_services (change_id, service) VALUES (?, ?)`), c.ID, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("store a change: %w", err)
	}
	return d.Change(ctx, c.ID)
}

const changeCols = `id, title, author, at, services, components, link, created_at, created_by`

func scanChange(sc interface{ Scan(...any) error }) (store.Change, error) {
	var c store.Change
	var services, components string
	var at, created int64
	if err := sc.Scan(&c.ID, &c.Title, &c.Author, &at, &services, &components, &c.Link, &created, &c.CreatedBy); err != nil {
		return c, err
	}
	if err := json.Unmarshal([]byte(services), &c.Services); err != nil {
		return c, fmt.Errorf("change %d: read its services: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(components), &c.Components); err != nil {
		return c, fmt.Errorf("change %d: read its components: %w", c.ID, err)
	}
	c.Time, c.CreatedAt = fromMS(at), fromMS(created)
	return c, nil
}

// Change returns one change event.
func (d *DB) Change(ctx context.Context, id int64) (store.Change, error) {
	c, err := scanChange(d.read.QueryRowContext(ctx, d.q(`SELECT `+changeCols+` FROM changes WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, errs.Errorf(errs.ENOTFOUND, "no change %d", id)
	}
	if err != nil {
		return c, fmt.Errorf("read change %d: %w", id, err)
	}
	return c, nil
}

// ChangeList lists the change events f selects, highest ID first.
func (d *DB) ChangeList(ctx context.Context, f store.ChangeFilter) ([]store.Change, error) {
	limit, before := clampPage(f.Page)
	where, args := []string{"id < ?"}, []any{before}
	if f.Service != "" {
		where = append(where, "id IN (SELECT change_id FROM change_services WHERE service = ?)")
		args = append(args, text(f.Service))
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < ?")
		args = append(args, ms(f.Until))
	}
	q := `SELECT ` + changeCols + ` FROM changes WHERE `
	for i, w := range where {
		if i > 0 {
			q += " AND "
		}
		q += w
	}
	rows, err := d.read.QueryContext(ctx, d.q(q+` ORDER BY id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	var out []store.Change
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read changes: %w", err)
		}
		out = append(out, c)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	return slices.Clip(out), nil
}
