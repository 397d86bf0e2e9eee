package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

const outboxCols = "seq, id, channel, event, state, attempts, next_attempt, last_error, created_at"

// ClaimDue leases up to limit due pending messages to owner until
// now+lease, oldest due first. A leased message is not handed out again
// until its lease ends or RecordAttempt releases it. On PostgreSQL
// concurrent claims skip each other's rows (FOR UPDATE SKIP LOCKED); on
// SQLite the claim is one UPDATE on the single write connection.
func (d *DB) ClaimDue(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]notify.OutboxMessage, error) {
	return d.ClaimDueExcept(ctx, owner, now, lease, limit, nil)
}

// ClaimDueExcept is ClaimDue without the messages of the channels in skip.
func (d *DB) ClaimDueExcept(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int, skip []string) ([]notify.OutboxMessage, error) {
	if owner == "" {
		return nil, errs.Errorf(errs.EINVALID, "claim notifications: owner is empty")
	}
	if lease <= 0 {
		return nil, errs.Errorf(errs.EINVALID, "claim notifications: lease %s is not positive", lease)
	}
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	n, until := ms(now), ms(now.Add(lease))
	due := "SELECT seq FROM outbox"
	args := []any{text(owner), until}
	var others []string
	if len(skip) > 0 {
		// Reading the due messages in order and leaving out the busy
		// channels' would read every one of theirs (in a storm, tens of
		// thousands, each time); the other channels with something due
		// are found in the channel index instead, and read through it.
		var err error
		if others, err = d.otherDueChannels(ctx, n, skip); err != nil {
			return nil, fmt.Errorf("claim notifications: %w", err)
		}
		if len(others) == 0 {
			return []notify.OutboxMessage{}, nil
		}
		if !d.postgres {
			due += " INDEXED BY outbox_channel_due"
		}
	}
	due += " WHERE state = 'pending' AND next_attempt <= ? AND (lease_until IS NULL OR lease_until <= ?)"
	args = append(args, n, n)
	if len(others) > 0 {
		due += " AND channel IN (?" + strings.Repeat(", ?", len(others)-1) + ")"
		for _, ch := range others {
			args = append(args, ch)
		}
	}
	due += " ORDER BY next_attempt, seq LIMIT ?"
	var q string
	if d.postgres {
		q = "UPDATE outbox o SET lease_owner = ?, lease_until = ? FROM (" + due + " FOR UPDATE SKIP LOCKED) c WHERE o.seq = c.seq RETURNING o.seq, o.id, o.channel, o.event, o.state, o.attempts, o.next_attempt, o.last_error, o.created_at"
	} else {
		q = "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE seq IN (" + due + ") RETURNING " + outboxCols
	}
	rows, err := d.write.QueryContext(ctx, d.q(q), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	var unreadable []*notify.OutboxMessage
	out, err := scanMessages(rows, func(m *notify.OutboxMessage, err error) {
		m.State, m.LastError = "failed", fmt.Sprintf("given up: the stored notification cannot be read: %v", err)
		unreadable = append(unreadable, m)
	})
	if err != nil {
		return nil, fmt.Errorf("claim notifications: %w", err)
	}
	// One unreadable row must not stop every claim behind it: give it up
	// where an operator sees it (the notifications page) and hand out the
	// others.
	for _, m := range unreadable {
		if _, err := d.write.ExecContext(ctx, d.q("UPDATE outbox SET state = 'failed', last_error = ?, lease_owner = NULL, lease_until = NULL WHERE seq = ?"), m.LastError, m.Seq); err != nil {
			return nil, fmt.Errorf("claim notifications: give up unreadable notification %q: %w", m.ID, err)
		}
		d.log.Error("gave up a notification that cannot be read back", "notification", m.ID, "channel", m.Channel, "err", m.LastError)
	}
	slices.SortFunc(out, func(a, b notify.OutboxMessage) int {
		if c := a.NextAttempt.Compare(b.NextAttempt); c != 0 {
			return c
		}
		return compare(a.Seq, b.Seq)
	})
	return out, nil
}

// otherDueChannels returns the channels, other than skip, that have a
// pending message due at n (in milliseconds).
func (d *DB) otherDueChannels(ctx context.Context, n int64, skip []string) ([]string, error) {
	rows, err := d.write.QueryContext(ctx, d.q("SELECT DISTINCT channel FROM outbox WHERE state = 'pending' AND next_attempt <= ?"), n)
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		var ch string
		if err := rows.Scan(&ch); err != nil {
			rows.Close()
			return nil, err
		}
		if !slices.Contains(skip, ch) {
			out = append(out, ch)
		}
	}
	return out, rowsDone(rows)
}

// scanMessages reads outbox rows. A row whose event does not decode is
// passed to unreadable, with the error, after the rows are read; it stays
// in the list with what could be read.
func scanMessages(rows *sql.Rows, unreadable func(*notify.OutboxMessage, error)) ([]notify.OutboxMessage, error) {
	out := []notify.OutboxMessage{}
	var bad []int
	var errs []error
	for rows.Next() {
		var m notify.OutboxMessage
		var js string
		var next, created int64
		if err := rows.Scan(&m.Seq, &m.ID, &m.Channel, &js, &m.State, &m.Attempts, &next, &m.LastError, &created); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(js), &m.Event); err != nil {
			bad, errs = append(bad, len(out)), append(errs, err)
		}
		m.NextAttempt, m.CreatedAt = fromMS(next), fromMS(created)
		out = append(out, m)
	}
	if err := rowsDone(rows); err != nil {
		return nil, err
	}
	for k, i := range bad {
		unreadable(&out[i], errs[k])
	}
	return out, nil
}

// RecordAttempt stores an attempt and moves its message in one
// transaction: "sent" and "failed" end a pending message, "retry" makes it
// due again at next (now when next is zero). The message's lease is
// released. A message that already ended keeps its state. MonitorID and
// Event default to the message's. It returns ENOTFOUND when the message
// does not exist and EINVALID for an unknown outcome or an attempt the
// database refuses (see refused).
func (d *DB) RecordAttempt(ctx context.Context, a notify.Attempt, next time.Time) error {
	return refused(d.recordAttempt(ctx, a, next))
}

func (d *DB) recordAttempt(ctx context.Context, a notify.Attempt, next time.Time) error {
	switch a.Outcome {
	case "sent", "failed", "retry":
	default:
		return errs.Errorf(errs.EINVALID, "record notification attempt: outcome %q is not one of sent, retry, failed", a.Outcome)
	}
	a.MessageID, a.Channel, a.MonitorID, a.Event, a.Error = text(a.MessageID), text(a.Channel), text(a.MonitorID), text(a.Event), text(a.Error)
	now := d.now()
	if a.Time.IsZero() {
		a.Time = now
	}
	if next.IsZero() {
		next = now
	}
	state := "pending"
	if a.Outcome != "retry" {
		state = a.Outcome
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var monitorID, js string
		err := tx.QueryRowContext(ctx, d.q("SELECT monitor_id, event FROM outbox WHERE id = ? AND channel = ?"), a.MessageID, a.Channel).Scan(&monitorID, &js)
		if err == sql.ErrNoRows {
			return errs.Errorf(errs.ENOTFOUND, "notification %q for channel %q does not exist", a.MessageID, a.Channel)
		}
		if err != nil {
			return fmt.Errorf("record notification attempt: %w", err)
		}
		if a.MonitorID == "" {
			a.MonitorID = monitorID
		}
		if a.Event == "" {
			var ev struct {
				Event string `json:"event"`
			}
			if err := json.Unmarshal([]byte(js), &ev); err != nil {
				return fmt.Errorf("record notification attempt: notification %q: %w", a.MessageID, err)
			}
			a.Event = ev.Event
		}
		if _, err := tx.ExecContext(ctx, d.q("INSERT INTO attempts (message_id, channel, monitor_id, event, t, duration_us, error, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
			a.MessageID, a.Channel, a.MonitorID, a.Event, ms(a.Time), a.Duration.Microseconds(), a.Error, a.Outcome); err != nil {
			return fmt.Errorf("record notification attempt: %w", err)
		}
		if _, err := tx.ExecContext(ctx, d.q("UPDATE outbox SET attempts = attempts + 1, last_error = ?, "+
			"next_attempt = CASE WHEN state = 'pending' THEN ? ELSE next_attempt END, "+
			"state = CASE WHEN state = 'pending' THEN ? ELSE state END, "+
			"lease_owner = NULL, lease_until = NULL WHERE id = ? AND channel = ?"),
			a.Error, ms(next), state, a.MessageID, a.Channel); err != nil {
			return fmt.Errorf("record notification attempt: %w", err)
		}
		return nil
	})
}

// RecordAttempts stores attempts as RecordAttempt does, in one
// transaction with two prepared statements per attempt. Attempts at
// messages that do not exist are left out. A MonitorID or Event left
// empty is read from the message.
func (d *DB) RecordAttempts(ctx context.Context, as []notify.AttemptRecord) error {
	return refused(d.recordAttempts(ctx, as))
}

func (d *DB) recordAttempts(ctx context.Context, as []notify.AttemptRecord) error {
	if len(as) == 0 {
		return nil
	}
	now := d.now()
	for _, r := range as {
		switch r.Outcome {
		case "sent", "failed", "retry":
		default:
			return errs.Errorf(errs.EINVALID, "record notification attempts: outcome %q of notification %q is not one of sent, retry, failed", r.Outcome, r.MessageID)
		}
	}
	rows := make([]attemptRow, len(as))
	for i, r := range as {
		a := r.Attempt
		a.MessageID, a.Channel, a.MonitorID, a.Event, a.Error = text(a.MessageID), text(a.Channel), text(a.MonitorID), text(a.Event), text(a.Error)
		if a.Time.IsZero() {
			a.Time = now
		}
		next := r.Next
		if next.IsZero() {
			next = now
		}
		state := "pending"
		if a.Outcome != "retry" {
			state = a.Outcome
		}
		rows[i] = attemptRow{a: a, next: ms(next), state: state}
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if d.postgres {
			err = d.moveAttemptedSet(ctx, tx, rows)
		} else {
			err = d.moveAttempted(ctx, tx, rows)
		}
		if err != nil {
			return fmt.Errorf("record notification attempts: %w", err)
		}
		args := make([]any, 0, 8*len(rows))
		for _, r := range rows {
			if !r.found {
				continue // the message is gone (pruned, or another replica's record won)
			}
			a := r.a
			if a.MonitorID == "" {
				a.MonitorID = r.monitorID
			}
			if a.Event == "" {
				var ev struct {
					Event string `json:"event"`
				}
				// An unreadable event leaves the attempt's event empty
				// rather than the whole batch unrecorded.
				_ = json.Unmarshal([]byte(r.event), &ev)
				a.Event = ev.Event
			}
			args = append(args, a.MessageID, a.Channel, a.MonitorID, a.Event, ms(a.Time), a.Duration.Microseconds(), a.Error, a.Outcome)
		}
		if err := d.insertChunks(ctx, tx, "INSERT INTO attempts (message_id, channel, monitor_id, event, t, duration_us, error, outcome) VALUES %s", 8, outboxChunk, args); err != nil {
			return fmt.Errorf("record notification attempts: %w", err)
		}
		return nil
	})
}

// attemptRow is one attempt to record and what its message said.
type attemptRow struct {
	a                notify.Attempt
	next             int64
	state            string
	found            bool
	monitorID, event string
}

// moveAttemptedSet is the SET of an attempted message, given the error,
// the next attempt and the state.
const moveAttemptedSet = "attempts = attempts + 1, last_error = %s, " +
	"next_attempt = CASE WHEN state = 'pending' THEN %s ELSE next_attempt END, " +
	"state = CASE WHEN state = 'pending' THEN %s ELSE state END, " +
	"lease_owner = NULL, lease_until = NULL"

// moveAttempted moves each attempted message on, one prepared statement
// per message: on SQLite a statement costs no round trip.
func (d *DB) moveAttempted(ctx context.Context, tx *sql.Tx, rows []attemptRow) error {
	move, err := tx.PrepareContext(ctx, "UPDATE outbox SET "+fmt.Sprintf(moveAttemptedSet, "?", "?", "?")+" WHERE id = ? AND channel = ? RETURNING monitor_id, event")
	if err != nil {
		return err
	}
	defer move.Close()
	for i := range rows {
		r := &rows[i]
		err := move.QueryRowContext(ctx, r.a.Error, r.next, r.state, r.a.MessageID, r.a.Channel).Scan(&r.monitorID, &r.event)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return fmt.Errorf("notification %q: %w", r.a.MessageID, err)
		}
		r.found = true
	}
	return nil
}

// moveAttemptedSet moves the attempted messages on in one UPDATE … FROM
// (VALUES …) per chunk: on PostgreSQL a statement per message is a round
// trip per message, and the dispatcher records every delivery of a storm
// through here. A message attempted twice in one batch is moved twice, in
// two statements, as one statement updates a row once.
func (d *DB) moveAttemptedSet(ctx context.Context, tx *sql.Tx, rows []attemptRow) error {
	type key struct{ id, channel string }
	keyOf := func(i int) key { return key{rows[i].a.MessageID, rows[i].a.Channel} }
	all := make([]int, len(rows))
	for i := range all {
		all[i] = i
	}
	for _, part := range distinctChunks(all, outboxChunk, keyOf) {
		seen := make(map[key]int, len(part))
		for _, i := range part {
			seen[keyOf(i)] = i
		}
		args := make([]any, 0, 5*len(part))
		for _, i := range part {
			r := rows[i]
			args = append(args, r.a.MessageID, r.a.Channel, r.a.Error, r.next, r.state)
		}
		const one = "(CAST(? AS text), CAST(? AS text), CAST(? AS text), CAST(? AS bigint), CAST(? AS text))"
		q := "UPDATE outbox SET " + fmt.Sprintf(moveAttemptedSet, "v.merr", "v.mnext", "v.mstate") +
			" FROM (VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", len(part)), ", ") + ") AS v(mid, mch, merr, mnext, mstate)" +
			" WHERE outbox.id = v.mid AND outbox.channel = v.mch RETURNING outbox.id, outbox.channel, outbox.monitor_id, outbox.event"
		res, err := tx.QueryContext(ctx, d.q(q), args...)
		if err != nil {
			return err
		}
		for res.Next() {
			var k key
			var monitorID, event string
			if err := res.Scan(&k.id, &k.channel, &monitorID, &event); err != nil {
				res.Close()
				return err
			}
			if i, ok := seen[k]; ok {
				rows[i].found, rows[i].monitorID, rows[i].event = true, monitorID, event
			}
		}
		if err := rowsDone(res); err != nil {
			return err
		}
	}
	return nil
}

// OutboxDepth counts pending messages.
func (d *DB) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	if err := d.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'").Scan(&n); err != nil {
		return 0, fmt.Errorf("count pending notifications: %w", err)
	}
	return n, nil
}

// ReleaseLeases ends every lease held by owner on a pending message.
func (d *DB) ReleaseLeases(ctx context.Context, owner string) (int, error) {
	if owner == "" {
		return 0, errs.Errorf(errs.EINVALID, "release notification leases: owner is empty")
	}
	res, err := d.write.ExecContext(ctx, d.q("UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND state = 'pending'"), text(owner))
	if err != nil {
		return 0, fmt.Errorf("release notification leases: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("release notification leases: %w", err)
	}
	return int(n), nil
}

// NextDue returns when the earliest pending message can next be claimed:
// its NextAttempt, or the end of its lease when it is leased.
func (d *DB) NextDue(ctx context.Context) (time.Time, bool, error) {
	// The earliest of the messages in no one's hand (the due index read
	// in order, skipping those in hand) and of those in hand (their own
	// index): one query over every pending message would read them all.
	var v sql.NullInt64
	q := "SELECT MIN(t) FROM (" +
		"SELECT MIN(next_attempt) AS t FROM outbox WHERE state = 'pending' AND lease_until IS NULL " +
		"UNION ALL SELECT MIN(" + d.greatest("next_attempt", "lease_until") + ") AS t FROM outbox WHERE state = 'pending' AND lease_until IS NOT NULL) due"
	if err := d.read.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return time.Time{}, false, fmt.Errorf("read the next notification due: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

// Attempts lists attempts newest first; monitorID "" lists all.
func (d *DB) Attempts(ctx context.Context, monitorID string, p store.Page) ([]notify.Attempt, error) {
	limit, before := clampPage(p)
	q := "SELECT id, message_id, channel, monitor_id, event, t, duration_us, error, outcome FROM attempts WHERE id < ?"
	args := []any{before}
	if monitorID != "" {
		q += " AND monitor_id = ?"
		args = append(args, text(monitorID))
	}
	rows, err := d.read.QueryContext(ctx, d.q(q+" ORDER BY id DESC LIMIT ?"), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read notification attempts: %w", err)
	}
	out := []notify.Attempt{}
	for rows.Next() {
		var a notify.Attempt
		var t, dur int64
		if err := rows.Scan(&a.ID, &a.MessageID, &a.Channel, &a.MonitorID, &a.Event, &t, &dur, &a.Error, &a.Outcome); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read notification attempts: %w", err)
		}
		a.Time, a.Duration = fromMS(t), us(dur)
		out = append(out, a)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read notification attempts: %w", err)
	}
	return out, nil
}

// OutboxMessages lists messages newest first, paged by Seq; monitorID ""
// lists all.
func (d *DB) OutboxMessages(ctx context.Context, monitorID string, p store.Page) ([]notify.OutboxMessage, error) {
	limit, before := clampPage(p)
	q := "SELECT " + outboxCols + " FROM outbox WHERE seq < ?"
	args := []any{before}
	if monitorID != "" {
		q += " AND monitor_id = ?"
		args = append(args, text(monitorID))
	}
	return d.listMessages(ctx, q, append(args, limit))
}

// ChannelMessages lists the messages for any of channels newest first,
// paged by Seq; no channels lists none.
func (d *DB) ChannelMessages(ctx context.Context, channels []string, p store.Page) ([]notify.OutboxMessage, error) {
	if len(channels) == 0 {
		return nil, nil
	}
	limit, before := clampPage(p)
	q := "SELECT " + outboxCols + " FROM outbox WHERE seq < ? AND channel IN (?" + strings.Repeat(", ?", len(channels)-1) + ")"
	args := []any{before}
	for _, ch := range channels {
		args = append(args, text(ch))
	}
	return d.listMessages(ctx, q, append(args, limit))
}

// listMessages runs q (a SELECT of outboxCols ending in its WHERE clause)
// newest first with args, the last of which is the limit.
func (d *DB) listMessages(ctx context.Context, q string, args []any) ([]notify.OutboxMessage, error) {
	rows, err := d.read.QueryContext(ctx, d.q(q+" ORDER BY seq DESC LIMIT ?"), args...)
	if err != nil {
		return nil, fmt.Errorf("read notifications: %w", err)
	}
	out, err := scanMessages(rows, func(m *notify.OutboxMessage, err error) {
		m.LastError = fmt.Sprintf("the stored notification cannot be read: %v", err)
	})
	if err != nil {
		return nil, fmt.Errorf("read notifications: %w", err)
	}
	return out, nil
}
