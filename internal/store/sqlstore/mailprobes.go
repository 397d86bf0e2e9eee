package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// AddMailProbe records a probe mail just sent; a token already recorded for
// the monitor is ECONFLICT.
func (d *DB) AddMailProbe(ctx context.Context, m store.MailProbe) error {
	_, err := d.write.ExecContext(ctx, d.q(`INSERT INTO mail_probes (monitor_id, token, sent_at, via, state, received_at, folder)
		VALUES (?, ?, ?, ?, ?, ?, ?)`), textArgs(m.MonitorID, m.Token, ms(m.SentAt), m.Via, m.State, nullMS(m.ReceivedAt), m.Folder)...)
	if isUniqueViolation(err) {
		return errs.Errorf(errs.ECONFLICT, "probe mail %s of monitor %q is already recorded", m.Token, m.MonitorID)
	}
	if err != nil {
		return fmt.Errorf("record probe mail of monitor %q: %w", m.MonitorID, err)
	}
	return nil
}

// UpdateMailProbe stores the state, delivery time and folder of a recorded
// probe mail; ENOTFOUND when it is not recorded.
func (d *DB) UpdateMailProbe(ctx context.Context, m store.MailProbe) error {
	res, err := d.write.ExecContext(ctx, d.q(`UPDATE mail_probes SET state = ?, received_at = ?, folder = ?
		WHERE monitor_id = ? AND token = ?`), textArgs(m.State, nullMS(m.ReceivedAt), m.Folder, m.MonitorID, m.Token)...)
	if err != nil {
		return fmt.Errorf("update probe mail of monitor %q: %w", m.MonitorID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return errs.Errorf(errs.ENOTFOUND, "probe mail %s of monitor %q is not recorded", m.Token, m.MonitorID)
	}
	return nil
}

// mailProbesLimit bounds one listing: a monitor sending every 10 seconds
// keeps 8,640 mails a day.
const mailProbesLimit = 20000

// MailProbes lists a monitor's probe mails sent at or after since and every
// pending one, oldest first.
func (d *DB) MailProbes(ctx context.Context, monitorID string, since time.Time) ([]store.MailProbe, error) {
	monitorID = text(monitorID)
	rows, err := d.read.QueryContext(ctx, d.q(`SELECT token, sent_at, via, state, received_at, folder FROM mail_probes
		WHERE monitor_id = ? AND (sent_at >= ? OR state = 'pending')
		ORDER BY sent_at, token LIMIT ?`), monitorID, ms(since), mailProbesLimit)
	if err != nil {
		return nil, fmt.Errorf("read probe mails of monitor %q: %w", monitorID, err)
	}
	var out []store.MailProbe
	for rows.Next() {
		m := store.MailProbe{MonitorID: monitorID}
		var sent int64
		var recv sql.NullInt64
		if err := rows.Scan(&m.Token, &sent, &m.Via, &m.State, &recv, &m.Folder); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read probe mails of monitor %q: %w", monitorID, err)
		}
		m.SentAt, m.ReceivedAt = fromMS(sent), fromNullMS(recv)
		out = append(out, m)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read probe mails of monitor %q: %w", monitorID, err)
	}
	return out, nil
}

// PruneMailProbes deletes the probe mails of a monitor (of all when
// monitorID is "") sent before before.
func (d *DB) PruneMailProbes(ctx context.Context, monitorID string, before time.Time) (int64, error) {
	q, args := `DELETE FROM mail_probes WHERE sent_at < ?`, []any{ms(before)}
	if monitorID != "" {
		q += ` AND monitor_id = ?`
		args = append(args, text(monitorID))
	}
	res, err := d.write.ExecContext(ctx, d.q(q), args...)
	if err != nil {
		return 0, fmt.Errorf("prune probe mails: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
