package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// routedChunk bounds the rows of one routed insert (6 columns).
const routedChunk = 500

// Route implements store.Routing.
func (d *DB) Route(ctx context.Context, items []store.Routed) error {
	if len(items) == 0 {
		return nil
	}
	return refused(d.inTx(ctx, func(tx *sql.Tx) error { return d.insertRouted(ctx, tx, items) }))
}

// insertRouted writes items in tx.
func (d *DB) insertRouted(ctx context.Context, tx *sql.Tx, items []store.Routed) error {
	if len(items) == 0 {
		return nil
	}
	now := d.now()
	args := make([]any, 0, 5*len(items))
	for _, it := range items {
		if it.Subject == "" || it.Kind == "" {
			return errs.Errorf(errs.EINVALID, "route work: an item has no kind or subject")
		}
		if it.Bucket < 0 {
			return errs.Errorf(errs.EINVALID, "route work for %q: bucket %d is negative", it.Subject, it.Bucket)
		}
		args = append(args, it.Bucket, text(it.Kind), text(it.Subject), text(string(it.Payload)), ms(cmpOr(it.Created, now)))
	}
	const ins = "INSERT INTO routed (bucket, kind, subject, payload, created_at) VALUES %s"
	if err := d.insertChunks(ctx, tx, ins, 5, routedChunk, args); err != nil {
		return fmt.Errorf("route work to other replicas: %w", err)
	}
	return nil
}

// RoutedWaiting implements store.Routing.
func (d *DB) RoutedWaiting(ctx context.Context, buckets []int) (bool, error) {
	if len(buckets) == 0 {
		return false, nil
	}
	in, arg := d.inBuckets("bucket", buckets)
	var waiting bool
	if err := d.read.QueryRowContext(ctx, d.q("SELECT EXISTS (SELECT 1 FROM routed WHERE "+in+")"), arg).Scan(&waiting); err != nil {
		return false, fmt.Errorf("look for work routed to this replica: %w", err)
	}
	return waiting, nil
}

// TakeRouted implements store.Routing.
func (d *DB) TakeRouted(ctx context.Context, kind string, buckets []int, limit int, take func([]store.Routed) (map[string]json.RawMessage, error)) (int, error) {
	if len(buckets) == 0 {
		return 0, nil
	}
	limit = min(max(limit, 1), 10000)
	in, arg := d.inBuckets("bucket", buckets)
	q := "SELECT id, bucket, kind, subject, payload, created_at FROM routed WHERE kind = ? AND " + in + " ORDER BY id LIMIT ?"
	if d.postgres {
		q += " FOR UPDATE SKIP LOCKED"
	}
	n := 0
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, d.q(q), text(kind), arg, limit)
		if err != nil {
			return err
		}
		var items []store.Routed
		for rows.Next() {
			var it store.Routed
			var payload string
			var created int64
			if err := rows.Scan(&it.ID, &it.Bucket, &it.Kind, &it.Subject, &payload, &created); err != nil {
				rows.Close()
				return err
			}
			it.Payload, it.Created = json.RawMessage(payload), fromMS(created)
			items = append(items, it)
		}
		if err := rowsDone(rows); err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		states, err := take(items)
		if err != nil {
			return err
		}
		// The states' heartbeats have keys: their pings were stored.
		for id, st := range states {
			if _, err := tx.ExecContext(ctx, d.q("INSERT INTO heartbeat_states (monitor_key, state) SELECT key, ? FROM monitors WHERE id = ? "+
				"ON CONFLICT (monitor_key) DO UPDATE SET state = excluded.state"), string(st), text(id)); err != nil {
				return fmt.Errorf("save the state of heartbeat %q: %w", id, err)
			}
		}
		for i := 0; i < len(items); i += routedChunk {
			part := items[i:min(i+routedChunk, len(items))]
			ids := make([]int64, len(part))
			for j, it := range part {
				ids[j] = it.ID
			}
			del, darg := d.inIDs("id", ids)
			if _, err := tx.ExecContext(ctx, d.q("DELETE FROM routed WHERE "+del), darg); err != nil {
				return err
			}
		}
		n = len(items)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("take the work routed to this replica: %w", err)
	}
	return n, nil
}

// inIDs is inBuckets for row ids.
func (d *DB) inIDs(col string, ids []int64) (string, any) {
	if d.postgres {
		return col + " = ANY(?)", ids
	}
	b := make([]byte, 0, 8*len(ids)+2)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	b = append(b, ']')
	return col + " IN (SELECT value FROM json_each(?))", string(b)
}
