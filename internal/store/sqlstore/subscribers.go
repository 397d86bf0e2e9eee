package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
)

const subscriberCols = "id, page_id, kind, address, created_at, confirmed_at"

// AddSubscriber records a subscription request, its token and its
// confirmation message.
func (d *DB) AddSubscriber(ctx context.Context, s store.Subscriber, t store.SubscriberToken, confirmation *notify.OutboxMessage) (store.Subscriber, error) {
	if s.PageID == "" || s.Address == "" || (s.Kind != store.SubscriberEmail && s.Kind != store.SubscriberWebhook) {
		return s, errs.Errorf(errs.EINVALID, "a subscriber needs a page, a kind (email or webhook) and an address")
	}
	if len(t.Hash) == 0 {
		return s, errs.Errorf(errs.EINVALID, "a subscription needs a token")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = d.now()
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, d.q("INSERT INTO status_subscribers (page_id, kind, address, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (page_id, kind, address) DO NOTHING"),
			textArgs(s.PageID, s.Kind, s.Address, ms(s.CreatedAt))...); err != nil {
			return fmt.Errorf("add a subscriber to status page %q: %w", s.PageID, err)
		}
		got, err := scanSubscriber(tx.QueryRowContext(ctx, d.q("SELECT "+subscriberCols+" FROM status_subscribers WHERE page_id = ? AND kind = ? AND address = ?"),
			textArgs(s.PageID, s.Kind, s.Address)...))
		if err != nil {
			return fmt.Errorf("add a subscriber to status page %q: %w", s.PageID, err)
		}
		s = got
		if err := d.insertSubscriberToken(ctx, tx, s.ID, t); err != nil {
			return err
		}
		if confirmation == nil {
			return nil
		}
		_, err = d.insertOutboxMessage(ctx, tx, *confirmation)
		return err
	})
	return s, err
}

func (d *DB) insertSubscriberToken(ctx context.Context, tx *sql.Tx, subscriberID int64, t store.SubscriberToken) error {
	if _, err := tx.ExecContext(ctx, d.q("INSERT INTO status_subscriber_tokens (token_hash, subscriber_id, purpose, expires_at) VALUES (?, ?, ?, ?)"),
		t.Hash, subscriberID, text(t.Purpose), msOrZero(t.Expires)); err != nil {
		if isUniqueViolation(err) {
			return errs.Errorf(errs.ECONFLICT, "save a subscriber token: the token is taken")
		}
		return fmt.Errorf("save a subscriber token: %w", err)
	}
	return nil
}

// insertOutboxMessage queues m unless its id is already queued for its
// channel, and reports whether it did.
func (d *DB) insertOutboxMessage(ctx context.Context, tx *sql.Tx, m notify.OutboxMessage) (bool, error) {
	if m.ID == "" || m.Channel == "" {
		return false, errs.Errorf(errs.EINVALID, "queue notification: outbox message %q for channel %q needs both an id and a channel", m.ID, m.Channel)
	}
	js, err := json.Marshal(m.Event)
	if err != nil {
		return false, &errs.Error{Code: errs.EINVALID, Message: fmt.Sprintf("queue notification %q: %v", m.ID, err), Err: err}
	}
	if m.State == "" {
		m.State = notify.StatePending
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = d.now()
	}
	if m.NextAttempt.IsZero() {
		m.NextAttempt = m.CreatedAt
	}
	res, err := tx.ExecContext(ctx, d.q("INSERT INTO outbox (id, channel, monitor_id, event, state, attempts, next_attempt, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id, channel) DO NOTHING"),
		textArgs(m.ID, m.Channel, m.Event.MonitorID, string(js), m.State, m.Attempts, ms(m.NextAttempt), m.LastError, ms(m.CreatedAt))...)
	if err != nil {
		return false, fmt.Errorf("queue notification %q: %w", m.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("queue notification %q: %w", m.ID, err)
	}
	return n > 0, nil
}

// ConfirmSubscriber confirms the subscriber of a confirm token.
func (d *DB) ConfirmSubscriber(ctx context.Context, tokenHash []byte, now time.Time) (store.Subscriber, error) {
	var s store.Subscriber
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		var id, expires int64
		err := tx.QueryRowContext(ctx, d.q("SELECT subscriber_id, expires_at FROM status_subscriber_tokens WHERE token_hash = ? AND purpose = ?"),
			tokenHash, store.TokenConfirm).Scan(&id, &expires)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && expires != 0 && expires <= ms(now)) {
			return errs.Errorf(errs.ENOTFOUND, "this confirmation link is not valid: it was used, has expired or was never sent")
		}
		if err != nil {
			return fmt.Errorf("confirm a subscription: %w", err)
		}
		if _, err := tx.ExecContext(ctx, d.q("DELETE FROM status_subscriber_tokens WHERE token_hash = ?"), tokenHash); err != nil {
			return fmt.Errorf("confirm a subscription: %w", err)
		}
		if _, err := tx.ExecContext(ctx, d.q("UPDATE status_subscribers SET confirmed_at = ? WHERE id = ? AND confirmed_at = 0"), ms(now), id); err != nil {
			return fmt.Errorf("confirm a subscription: %w", err)
		}
		s, err = scanSubscriber(tx.QueryRowContext(ctx, d.q("SELECT "+subscriberCols+" FROM status_subscribers WHERE id = ?"), id))
		if err != nil {
			return fmt.Errorf("confirm a subscription: %w", err)
		}
		return nil
	})
	return s, err
}

// SubscriberByToken returns the subscriber of an unsubscribe token.
func (d *DB) SubscriberByToken(ctx context.Context, tokenHash []byte) (store.Subscriber, error) {
	s, err := scanSubscriber(d.read.QueryRowContext(ctx, d.q("SELECT s."+subscriberPrefixed+" FROM status_subscribers s JOIN status_subscriber_tokens t ON t.subscriber_id = s.id WHERE t.token_hash = ? AND t.purpose = ? AND (t.expires_at = 0 OR t.expires_at > ?)"),
		tokenHash, store.TokenUnsubscribe, ms(d.now())))
	if errors.Is(err, sql.ErrNoRows) {
		return s, errs.Errorf(errs.ENOTFOUND, "no subscription has this link")
	}
	if err != nil {
		return s, fmt.Errorf("read a subscriber: %w", err)
	}
	return s, nil
}

const subscriberPrefixed = "id, s.page_id, s.kind, s.address, s.created_at, s.confirmed_at"

// DeleteSubscriber removes a subscriber and its tokens.
func (d *DB) DeleteSubscriber(ctx context.Context, pageID string, id int64) error {
	return d.inTx(ctx, func(tx *sql.Tx) error {
		// Tokens go first: a foreign key's cascade is not relied upon, as
		// it takes a pragma on SQLite.
		if _, err := tx.ExecContext(ctx, d.q("DELETE FROM status_subscriber_tokens WHERE subscriber_id IN (SELECT id FROM status_subscribers WHERE id = ? AND page_id = ?)"), id, text(pageID)); err != nil {
			return fmt.Errorf("remove subscriber %d: %w", id, err)
		}
		res, err := tx.ExecContext(ctx, d.q("DELETE FROM status_subscribers WHERE id = ? AND page_id = ?"), id, text(pageID))
		if err != nil {
			return fmt.Errorf("remove subscriber %d: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("remove subscriber %d: %w", id, err)
		} else if n == 0 {
			return errs.Errorf(errs.ENOTFOUND, "status page %q has no subscriber %d", pageID, id)
		}
		return nil
	})
}

// Subscribers lists a page's subscribers, newest first.
func (d *DB) Subscribers(ctx context.Context, pageID string, confirmedBefore time.Time, p store.Page) ([]store.Subscriber, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	q := "SELECT " + subscriberCols + " FROM status_subscribers WHERE page_id = ?"
	args := []any{text(pageID)}
	if p.Before > 0 {
		q += " AND id < ?"
		args = append(args, p.Before)
	}
	if !confirmedBefore.IsZero() {
		q += " AND confirmed_at > 0 AND confirmed_at < ?"
		args = append(args, ms(confirmedBefore))
	}
	rows, err := d.read.QueryContext(ctx, d.q(q+" ORDER BY id DESC LIMIT ?"), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read the subscribers of status page %q: %w", pageID, err)
	}
	out := []store.Subscriber{}
	for rows.Next() {
		s, err := scanSubscriber(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the subscribers of status page %q: %w", pageID, err)
		}
		out = append(out, s)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the subscribers of status page %q: %w", pageID, err)
	}
	return out, nil
}

// SubscriberCounts counts every page's subscribers.
func (d *DB) SubscriberCounts(ctx context.Context) (map[string]store.SubscriberCount, error) {
	rows, err := d.read.QueryContext(ctx, "SELECT page_id, CAST(SUM(CASE WHEN confirmed_at = 0 THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN confirmed_at > 0 THEN 1 ELSE 0 END) AS BIGINT) FROM status_subscribers GROUP BY page_id")
	if err != nil {
		return nil, fmt.Errorf("count the subscribers: %w", err)
	}
	out := map[string]store.SubscriberCount{}
	for rows.Next() {
		var page string
		var pending, confirmed int64
		if err := rows.Scan(&page, &pending, &confirmed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("count the subscribers: %w", err)
		}
		out[page] = store.SubscriberCount{Pending: int(pending), Confirmed: int(confirmed)}
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("count the subscribers: %w", err)
	}
	return out, nil
}

// QueueSubscriberMessages stores messages with their tokens.
func (d *DB) QueueSubscriberMessages(ctx context.Context, msgs []store.SubscriberMessage) (int, error) {
	n := 0
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, m := range msgs {
			added, err := d.insertOutboxMessage(ctx, tx, m.Message)
			if err != nil {
				return err
			}
			if !added {
				continue
			}
			n++
			if len(m.Token.Hash) > 0 {
				if err := d.insertSubscriberToken(ctx, tx, m.SubscriberID, m.Token); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return n, err
}

// PruneSubscribers deletes expired tokens and the pending subscribers
// left without one.
func (d *DB) PruneSubscribers(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, d.q("DELETE FROM status_subscriber_tokens WHERE expires_at > 0 AND expires_at <= ?"), ms(now)); err != nil {
			return fmt.Errorf("prune subscriber tokens: %w", err)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM status_subscribers WHERE confirmed_at = 0 AND NOT EXISTS (SELECT 1 FROM status_subscriber_tokens t WHERE t.subscriber_id = status_subscribers.id)")
		if err != nil {
			return fmt.Errorf("prune unconfirmed subscribers: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

type rowScanner interface{ Scan(dest ...any) error }

func scanSubscriber(r rowScanner) (store.Subscriber, error) {
	var s store.Subscriber
	var created, confirmed int64
	if err := r.Scan(&s.ID, &s.PageID, &s.Kind, &s.Address, &created, &confirmed); err != nil {
		return s, err
	}
	s.CreatedAt, s.ConfirmedAt = fromMS(created), fromMSOrZero(confirmed)
	return s, nil
}
