package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// Limits of an audit entry's text: an entry records an action, it does not
// carry its payload, so one hostile request cannot fill the log.
const (
	maxAuditField   = 200
	maxAuditSummary = 2000
)

// AddAudit stores an audit entry.
func (d *DB) AddAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	if strings.TrimSpace(e.Actor) == "" || strings.TrimSpace(e.Action) == "" {
		return e, errs.Errorf(errs.EINVALID, "an audit entry needs an actor and an action")
	}
	e.Actor, e.User, e.IP = clip(e.Actor, maxAuditField), clip(e.User, maxAuditField), clip(e.IP, maxAuditField)
	e.Action, e.ObjectKind, e.ObjectID = clip(e.Action, maxAuditField), clip(e.ObjectKind, maxAuditField), clip(e.ObjectID, maxAuditField)
	e.Summary = clip(e.Summary, maxAuditSummary)
	if e.Time.IsZero() {
		e.Time = d.now()
	}
	e.Time = fromMS(ms(e.Time))
	err := d.write.QueryRowContext(ctx, d.q(`INSERT INTO audit_log (t, actor, username, token_id, ip, action, object_kind, object_id, summary)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), ms(e.Time), e.Actor, e.User, e.TokenID, e.IP, e.Action, e.ObjectKind, e.ObjectID, e.Summary).Scan(&e.ID)
	if err != nil {
		return e, fmt.Errorf("store an audit entry: %w", err)
	}
	return e, nil
}

// clip makes s valid UTF-8 of at most n bytes, cut at a rune boundary.
func clip(s string, n int) string {
	s = text(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// AuditLog lists the audit entries f selects, highest ID first.
func (d *DB) AuditLog(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	limit, before := clampPage(f.Page)
	where, args := []string{"id < ?"}, []any{before}
	if !f.Since.IsZero() {
		where, args = append(where, "t >= ?"), append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "t < ?"), append(args, ms(f.Until))
	}
	if f.Actor != "" {
		where, args = append(where, "(actor = ? OR username = ?)"), append(args, text(f.Actor), text(f.Actor))
	}
	if a := text(f.Action); strings.HasSuffix(a, ".") {
		// A prefix without LIKE, whose wildcards would need escaping.
		where, args = append(where, "substr(action, 1, ?) = ?"), append(args, utf8.RuneCountInString(a), a)
	} else if a != "" {
		where, args = append(where, "action = ?"), append(args, a)
	}
	if f.ObjectKind != "" {
		where, args = append(where, "object_kind = ?"), append(args, text(f.ObjectKind))
	}
	if f.ObjectID != "" {
		where, args = append(where, "object_id = ?"), append(args, text(f.ObjectID))
	}
	q := `SELECT id, t, actor, username, token_id, ip, action, object_kind, object_id, summary FROM audit_log WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY id DESC LIMIT ?`
	rows, err := d.read.QueryContext(ctx, d.q(q), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Actor, &e.User, &e.TokenID, &e.IP, &e.Action, &e.ObjectKind, &e.ObjectID, &e.Summary); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the audit log: %w", err)
		}
		e.Time = fromMS(t)
		out = append(out, e)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the audit log: %w", err)
	}
	return slices.Clip(out), nil
}

// PruneAudit deletes the audit entries older than before.
func (d *DB) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q("DELETE FROM audit_log WHERE t < ?"), ms(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune the audit log: %w", err)
	}
	return n, nil
}
