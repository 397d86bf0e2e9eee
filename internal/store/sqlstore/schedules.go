package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// CreateCalendarToken stores a calendar token; see store.CalendarTokens.
func (d *DB) CreateCalendarToken(ctx context.Context, t store.CalendarToken) (store.CalendarToken, error) {
	t.Subject, t.Prefix = text(t.Subject), text(t.Prefix)
	switch {
	case t.Kind != store.CalendarSchedule && t.Kind != store.CalendarPerson:
		return store.CalendarToken{}, errs.Errorf(errs.EINVALID, "create calendar token: unknown kind %q (want %q or %q)", t.Kind, store.CalendarSchedule, store.CalendarPerson)
	case t.Subject == "":
		return store.CalendarToken{}, errs.Errorf(errs.EINVALID, "create calendar token: the %s id is empty", t.Kind)
	case len(t.TokenHash) == 0:
		return store.CalendarToken{}, errs.Errorf(errs.EINVALID, "create calendar token: the token hash is empty")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = d.now()
	}
	t.CreatedAt = fromMS(ms(t.CreatedAt))
	if !t.LastUsedAt.IsZero() {
		t.LastUsedAt = fromMS(ms(t.LastUsedAt))
	}
	err := d.write.QueryRowContext(ctx, d.q("INSERT INTO calendar_tokens (kind, subject, token_hash, prefix, created_by, created_at, last_used_at) SELECT ?, ?, ?, ?, id, ?, ? FROM users WHERE id = ? RETURNING id"),
		t.Kind, t.Subject, t.TokenHash, t.Prefix, ms(t.CreatedAt), nullMS(t.LastUsedAt), t.CreatedBy).Scan(&t.ID)
	if isUniqueViolation(err) {
		return store.CalendarToken{}, errs.Errorf(errs.ECONFLICT, "create calendar token: the token is taken")
	}
	if err == sql.ErrNoRows {
		return store.CalendarToken{}, errs.Errorf(errs.ENOTFOUND, "create calendar token: user %d does not exist", t.CreatedBy)
	}
	if err != nil {
		return store.CalendarToken{}, fmt.Errorf("create calendar token for %s %q: %w", t.Kind, t.Subject, err)
	}
	return t, nil
}

const calendarTokenCols = "SELECT id, kind, subject, token_hash, prefix, created_by, created_at, last_used_at FROM calendar_tokens "

func scanCalendarToken(sc interface{ Scan(...any) error }) (store.CalendarToken, error) {
	var t store.CalendarToken
	var created int64
	var used sql.NullInt64
	if err := sc.Scan(&t.ID, &t.Kind, &t.Subject, &t.TokenHash, &t.Prefix, &t.CreatedBy, &created, &used); err != nil {
		return store.CalendarToken{}, err
	}
	t.CreatedAt, t.LastUsedAt = fromMS(created), fromNullMS(used)
	return t, nil
}

// CalendarTokenByHash returns the token with the hash, or ENOTFOUND.
func (d *DB) CalendarTokenByHash(ctx context.Context, tokenHash []byte) (store.CalendarToken, error) {
	t, err := scanCalendarToken(d.read.QueryRowContext(ctx, d.q(calendarTokenCols+"WHERE token_hash = ?"), tokenHash))
	if err == sql.ErrNoRows {
		return store.CalendarToken{}, errs.Errorf(errs.ENOTFOUND, "the calendar token does not exist")
	}
	if err != nil {
		return store.CalendarToken{}, fmt.Errorf("read calendar token: %w", err)
	}
	return t, nil
}

// CalendarTokens lists the tokens of a kind and subject (every token for
// kind ""), oldest first.
func (d *DB) CalendarTokens(ctx context.Context, kind, subject string) ([]store.CalendarToken, error) {
	q, args := calendarTokenCols+"ORDER BY id", []any{}
	if kind != "" {
		q, args = calendarTokenCols+"WHERE kind = ? AND subject = ? ORDER BY id", []any{kind, subject}
	}
	rows, err := d.read.QueryContext(ctx, d.q(q), textArgs(args...)...)
	if err != nil {
		return nil, fmt.Errorf("read calendar tokens: %w", err)
	}
	out := []store.CalendarToken{}
	for rows.Next() {
		t, err := scanCalendarToken(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read calendar tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read calendar tokens: %w", err)
	}
	return out, nil
}

// DeleteCalendarToken revokes a token; ENOTFOUND when none has the id.
func (d *DB) DeleteCalendarToken(ctx context.Context, id int64) error {
	return d.execOne(ctx, fmt.Sprintf("calendar token %d", id), "DELETE FROM calendar_tokens WHERE id = ?", id)
}

// TouchCalendarToken records when a token's feed was last read.
func (d *DB) TouchCalendarToken(ctx context.Context, id int64, at time.Time) error {
	return d.execOne(ctx, fmt.Sprintf("calendar token %d", id), "UPDATE calendar_tokens SET last_used_at = ? WHERE id = ?", ms(at), id)
}

var _ store.CalendarTokens = (*DB)(nil)
