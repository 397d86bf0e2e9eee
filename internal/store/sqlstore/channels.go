package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

// RecordChannelTest stores a test notification and forgets the oldest of
// its channel beyond store.MaxChannelTests.
func (d *DB) RecordChannelTest(ctx context.Context, t store.ChannelTest) (int64, error) {
	var id int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, d.q("INSERT INTO channel_tests (channel, t, duration_us, error, by_user) VALUES (?, ?, ?, ?, ?) RETURNING id"),
			textArgs(t.Channel, ms(t.Time), t.Duration.Microseconds(), t.Error, t.By)...).Scan(&id); err != nil {
			return fmt.Errorf("record a test notification: %w", err)
		}
		if _, err := tx.ExecContext(ctx, d.q("DELETE FROM channel_tests WHERE channel = ? AND id <= ?"),
			text(t.Channel), id-int64(store.MaxChannelTests)); err != nil {
			return fmt.Errorf("record a test notification: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// ChannelTests lists the test notifications of channel newest first.
func (d *DB) ChannelTests(ctx context.Context, channel string, p store.Page) ([]store.ChannelTest, error) {
	limit, before := clampPage(p)
	rows, err := d.read.QueryContext(ctx, d.q("SELECT id, channel, t, duration_us, error, by_user FROM channel_tests WHERE channel = ? AND id < ? ORDER BY id DESC LIMIT ?"),
		text(channel), before, limit)
	if err != nil {
		return nil, fmt.Errorf("read the test notifications of channel %q: %w", channel, err)
	}
	out := []store.ChannelTest{}
	for rows.Next() {
		var c store.ChannelTest
		var t, dur int64
		if err := rows.Scan(&c.ID, &c.Channel, &t, &dur, &c.Error, &c.By); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the test notifications of channel %q: %w", channel, err)
		}
		c.Time, c.Duration = fromMS(t), us(dur)
		out = append(out, c)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the test notifications of channel %q: %w", channel, err)
	}
	return out, nil
}

// ChannelAttempts lists the delivery attempts of channel newest first.
func (d *DB) ChannelAttempts(ctx context.Context, channel string, failedOnly bool, p store.Page) ([]notify.Attempt, error) {
	limit, before := clampPage(p)
	q := "SELECT id, message_id, channel, monitor_id, event, t, duration_us, error, outcome FROM attempts WHERE channel = ? AND id < ?"
	if failedOnly {
		q += " AND outcome <> 'sent'"
	}
	rows, err := d.read.QueryContext(ctx, d.q(q+" ORDER BY id DESC LIMIT ?"), text(channel), before, limit)
	if err != nil {
		return nil, fmt.Errorf("read the attempts of channel %q: %w", channel, err)
	}
	out := []notify.Attempt{}
	for rows.Next() {
		var a notify.Attempt
		var t, dur int64
		if err := rows.Scan(&a.ID, &a.MessageID, &a.Channel, &a.MonitorID, &a.Event, &t, &dur, &a.Error, &a.Outcome); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the attempts of channel %q: %w", channel, err)
		}
		a.Time, a.Duration = fromMS(t), us(dur)
		out = append(out, a)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the attempts of channel %q: %w", channel, err)
	}
	return out, nil
}

var _ store.Channels = (*DB)(nil)
