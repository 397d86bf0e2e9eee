package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// AddIncidentUpdate stores an update with its timeline entry.
func (d *DB) AddIncidentUpdate(ctx context.Context, u store.IncidentUpdate) (store.IncidentUpdate, error) {
	if !slices.Contains(store.UpdateStatuses, u.Status) {
		return u, errs.Errorf(errs.EINVALID, "update status %q is not one of investigating, identified, monitoring, resolved", u.Status)
	}
	if u.Time.IsZero() {
		u.Time = d.now()
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := d.incidentExists(ctx, tx, u.IncidentID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, d.q(`INSERT INTO incident_updates (incident_id, t, status, message, public, who)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), textArgs(u.IncidentID, ms(u.Time), u.Status, u.Message, b2i(u.Public), u.Who)...).Scan(&u.ID)
		if err != nil {
			return fmt.Errorf("add an update to incident %d: %w", u.IncidentID, err)
		}
		vis := "internal"
		if u.Public {
			vis = "public"
		}
		_, err = d.insertEntry(ctx, tx, u.IncidentID, store.TimelineEntry{Time: u.Time, Kind: store.EntryUpdate, Who: u.Who,
			Text: fmt.Sprintf("%s update (%s): %s", vis, u.Status, u.Message)})
		return err
	})
	u.Message, u.Who = text(u.Message), text(u.Who)
	return u, err
}

const updateCols = "id, incident_id, t, status, message, public, who"

func (d *DB) scanUpdates(rows *sql.Rows, err error) ([]store.IncidentUpdate, error) {
	if err != nil {
		return nil, fmt.Errorf("read incident updates: %w", err)
	}
	defer rows.Close()
	var out []store.IncidentUpdate
	for rows.Next() {
		var u store.IncidentUpdate
		var t, pub int64
		if err := rows.Scan(&u.ID, &u.IncidentID, &t, &u.Status, &u.Message, &pub, &u.Who); err != nil {
			return nil, fmt.Errorf("read incident updates: %w", err)
		}
		u.Time, u.Public = fromMS(t), pub != 0
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read incident updates: %w", err)
	}
	return out, nil
}

// IncidentUpdatesOf lists an incident's updates, newest first.
func (d *DB) IncidentUpdatesOf(ctx context.Context, incidentID int64) ([]store.IncidentUpdate, error) {
	return d.scanUpdates(d.read.QueryContext(ctx, d.q("SELECT "+updateCols+" FROM incident_updates WHERE incident_id = ? ORDER BY t DESC, id DESC"), incidentID))
}

// PublicIncidentUpdates lists public updates since a time, newest first.
func (d *DB) PublicIncidentUpdates(ctx context.Context, since time.Time, limit int) ([]store.IncidentUpdate, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	return d.scanUpdates(d.read.QueryContext(ctx, d.q("SELECT "+updateCols+" FROM incident_updates WHERE public = 1 AND t >= ? ORDER BY t DESC, id DESC LIMIT ?"), ms(since), limit))
}
