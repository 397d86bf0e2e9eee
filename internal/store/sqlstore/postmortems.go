package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

const postmortemCols = `incident_id, title, body, state, created_at, created_by, updated_at, updated_by, approved_by, approved_at`

func scanPostmortem(sc interface{ Scan(...any) error }) (store.Postmortem, error) {
	var p store.Postmortem
	var created, updated, approved int64
	err := sc.Scan(&p.IncidentID, &p.Title, &p.Body, &p.State, &created, &p.CreatedBy, &updated, &p.UpdatedBy, &p.ApprovedBy, &approved)
	p.CreatedAt, p.UpdatedAt, p.ApprovedAt = fromMS(created), fromMS(updated), fromMSOrZero(approved)
	return p, err
}

// Postmortem returns the postmortem of an incident.
func (d *DB) Postmortem(ctx context.Context, incidentID int64) (store.Postmortem, error) {
	return d.postmortem(ctx, d.read, incidentID)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (d *DB) postmortem(ctx context.Context, q queryRower, incidentID int64) (store.Postmortem, error) {
	p, err := scanPostmortem(q.QueryRowContext(ctx, d.q(`SELECT `+postmortemCols+` FROM postmortems WHERE incident_id = ?`), incidentID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, errs.Errorf(errs.ENOTFOUND, "incident %d has no postmortem yet", incidentID)
	}
	if err != nil {
		return p, fmt.Errorf("read the postmortem of incident %d: %w", incidentID, err)
	}
	return p, nil
}

// SavePostmortem stores the title and body, creating a draft on first
// save.
func (d *DB) SavePostmortem(ctx context.Context, p store.Postmortem, by string) (store.Postmortem, error) {
	now := d.now()
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, d.q(`SELECT 1 FROM incidents WHERE id = ?`), p.IncidentID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return errs.Errorf(errs.ENOTFOUND, "no incident %d", p.IncidentID)
		} else if err != nil {
			return err
		}
		cur, err := d.postmortem(ctx, tx, p.IncidentID)
		switch {
		case errs.Code(err) == errs.ENOTFOUND:
			_, err = tx.ExecContext(ctx, d.q(`INSERT INTO postmortems (`+postmortemCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', 0)`),
				textArgs(p.IncidentID, p.Title, p.Body, store.PostmortemDraft, ms(now), by, ms(now), by)...)
			return err
		case err != nil:
			return err
		case cur.State == store.PostmortemPublished:
			return errs.Errorf(errs.ECONFLICT, "the postmortem of incident %d is published and can no longer be edited", p.IncidentID)
		}
		_, err = tx.ExecContext(ctx, d.q(`UPDATE postmortems SET title = ?, body = ?, updated_at = ?, updated_by = ? WHERE incident_id = ?`),
			textArgs(p.Title, p.Body, ms(now), by, p.IncidentID)...)
		return err
	})
	if err != nil {
		if errs.Code(err) != "" && errs.Code(err) != errs.EINTERNAL {
			return p, err
		}
		return p, fmt.Errorf("store the postmortem of incident %d: %w", p.IncidentID, err)
	}
	return d.Postmortem(ctx, p.IncidentID)
}

// postmortemMoves are the allowed state changes.
var postmortemMoves = map[string][]string{
	store.PostmortemDraft:    {store.PostmortemInReview},
	store.PostmortemInReview: {store.PostmortemDraft, store.PostmortemPublished},
}

// SetPostmortemState moves a postmortem along its review.
func (d *DB) SetPostmortemState(ctx context.Context, incidentID int64, state, by string) (store.Postmortem, error) {
	if state != store.PostmortemDraft && state != store.PostmortemInReview && state != store.PostmortemPublished {
		return store.Postmortem{}, errs.Errorf(errs.EINVALID, "postmortem state %q is not one of draft, in_review, published", state)
	}
	now := d.now()
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := d.postmortem(ctx, tx, incidentID)
		if err != nil {
			return err
		}
		if !slices.Contains(postmortemMoves[cur.State], state) {
			return errs.Errorf(errs.ECONFLICT, "a postmortem in %s cannot move to %s", cur.State, state)
		}
		approvedBy, approvedAt := "", int64(0)
		if state == store.PostmortemPublished {
			approvedBy, approvedAt = by, ms(now)
		}
		_, err = tx.ExecContext(ctx, d.q(`UPDATE postmortems SET state = ?, approved_by = ?, approved_at = ?, updated_at = ?, updated_by = ? WHERE incident_id = ?`),
			textArgs(state, approvedBy, approvedAt, ms(now), by, incidentID)...)
		return err
	})
	if err != nil {
		if errs.Code(err) != "" && errs.Code(err) != errs.EINTERNAL {
			return store.Postmortem{}, err
		}
		return store.Postmortem{}, fmt.Errorf("move the postmortem of incident %d: %w", incidentID, err)
	}
	return d.Postmortem(ctx, incidentID)
}

// PublishedPostmortems lists published postmortems matching q.
func (d *DB) PublishedPostmortems(ctx context.Context, q string, p store.Page) ([]store.Postmortem, error) {
	limit, before := clampPage(p)
	query, args := `SELECT `+postmortemCols+` FROM postmortems WHERE state = ? AND incident_id < ?`, []any{store.PostmortemPublished, before}
	if q = strings.TrimSpace(text(q)); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(q)) + "%"
		query += ` AND (LOWER(title) LIKE ? ESCAPE '\' OR LOWER(body) LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	rows, err := d.read.QueryContext(ctx, d.q(query+` ORDER BY incident_id DESC LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read postmortems: %w", err)
	}
	var out []store.Postmortem
	for rows.Next() {
		pm, err := scanPostmortem(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read postmortems: %w", err)
		}
		out = append(out, pm)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read postmortems: %w", err)
	}
	return slices.Clip(out), nil
}
