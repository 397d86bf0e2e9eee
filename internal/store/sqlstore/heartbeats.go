package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

const (
	pingNCols = 12
	pingChunk = 256 // a power of two
	pingCols  = "monitor_key, t, kind, exit_status, rid, duration_us, body, truncated, transport, method, source, user_agent"
)

// SavePings writes pings and heartbeat states in one transaction, pings in
// multi-row statements: a group commit of many requests costs one commit.
// A ping the database refuses (see refused) fails the batch with EINVALID.
func (d *DB) SavePings(ctx context.Context, b store.PingBatch) error {
	return refused(d.savePings(ctx, b))
}

func (d *DB) savePings(ctx context.Context, b store.PingBatch) error {
	if len(b.Pings) == 0 && len(b.States) == 0 && len(b.Routed) == 0 {
		return nil
	}
	ids := make([]string, 0, len(b.States)+1)
	for id := range b.States {
		ids = append(ids, id)
	}
	for i := range b.Pings {
		if b.Pings[i].HeartbeatID == "" {
			return errs.Errorf(errs.EINVALID, "save pings: a ping has no heartbeat id")
		}
		// Pings of one batch mostly share a few heartbeats: look each up once.
		if i == 0 || b.Pings[i].HeartbeatID != b.Pings[i-1].HeartbeatID {
			ids = append(ids, b.Pings[i].HeartbeatID)
		}
	}
	keys, err := d.ensureKeys(ctx, monitorTable, ids)
	if err != nil {
		return err
	}
	args := make([]any, 0, pingNCols*min(len(b.Pings), pingChunk))
	states := make([]any, 0, 2*len(b.States))
	for id, st := range b.States {
		states = append(states, keys[id], string(st))
	}
	// Rows go in chunks of power-of-two sizes, each a statement prepared
	// once (parsing the SQL costs more than running it), and prepared
	// before the transaction: SQLite's writer has a single connection.
	var sizes []int
	var stmts []*sql.Stmt
	for left := len(b.Pings); left > 0; {
		size := pingChunk
		for size > left {
			size /= 2
		}
		st, err := d.pingInsert(ctx, size)
		if err != nil {
			return err
		}
		sizes, stmts = append(sizes, size), append(stmts, st)
		left -= size
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		i := 0
		for k, size := range sizes {
			part := b.Pings[i : i+size]
			i += size
			args = args[:0]
			for j := range part {
				p := &part[j]
				var exit, body any
				if p.Kind == "exit" {
					exit = p.ExitStatus
				}
				if len(p.Body) > 0 {
					body = p.Body
				}
				args = append(args, keys[p.HeartbeatID], ms(p.Time), text(p.Kind), exit, text(p.RunID), p.Duration.Microseconds(), body, p.Truncated, text(p.Transport), text(p.Method), text(p.Source), text(p.UserAgent))
			}
			if _, err := tx.StmtContext(ctx, stmts[k]).ExecContext(ctx, args...); err != nil {
				return fmt.Errorf("save pings: %w", err)
			}
		}
		if err := d.insertRouted(ctx, tx, b.Routed); err != nil {
			return err
		}
		if b.States == nil {
			return nil
		}
		if err := d.upsertHeartbeatStates(ctx, tx, states); err != nil {
			return err
		}
		const checkpoint = "INSERT INTO heartbeat_checkpoint (id, through_ping) SELECT 1, COALESCE(MAX(id), 0) FROM pings WHERE true " +
			"ON CONFLICT (id) DO UPDATE SET through_ping = excluded.through_ping" // WHERE true: SQLite needs it before ON CONFLICT
		if _, err := tx.ExecContext(ctx, checkpoint); err != nil {
			return fmt.Errorf("save the heartbeat checkpoint: %w", err)
		}
		return nil
	})
}

// upsertHeartbeatStates writes states: pairs of monitor key and JSON.
func (d *DB) upsertHeartbeatStates(ctx context.Context, tx *sql.Tx, states []any) error {
	const upsert = "INSERT INTO heartbeat_states (monitor_key, state) VALUES %s ON CONFLICT (monitor_key) DO UPDATE SET state = excluded.state"
	if err := d.insertChunks(ctx, tx, upsert, 2, stateChunk, states); err != nil {
		return fmt.Errorf("save heartbeat states: %w", err)
	}
	return nil
}

// pingInsert returns the prepared INSERT of n pings.
func (d *DB) pingInsert(ctx context.Context, n int) (*sql.Stmt, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if st, ok := d.pingStmts[n]; ok {
		return st, nil
	}
	st, err := d.write.PrepareContext(ctx, d.qLocked("INSERT INTO pings ("+pingCols+") VALUES "+placeholders(n, pingNCols)))
	if err != nil {
		return nil, fmt.Errorf("prepare the ping insert: %w", err)
	}
	if d.pingStmts == nil {
		d.pingStmts = map[int]*sql.Stmt{}
	}
	d.pingStmts[n] = st
	return st, nil
}

// Pings lists a heartbeat's pings, newest first.
func (d *DB) Pings(ctx context.Context, heartbeatID string, p store.Page) ([]store.Ping, error) {
	heartbeatID = text(heartbeatID)
	limit, before := clampPage(p)
	out := []store.Ping{}
	key, ok, err := d.lookupKey(ctx, monitorTable, heartbeatID)
	if err != nil || !ok {
		return out, err
	}
	rows, err := d.read.QueryContext(ctx, d.q("SELECT id, "+pingCols+" FROM pings WHERE monitor_key = ? AND id < ? ORDER BY id DESC LIMIT ?"), key, before, limit)
	if err != nil {
		return nil, fmt.Errorf("read pings of heartbeat %q: %w", heartbeatID, err)
	}
	for rows.Next() {
		var pg store.Ping
		var k, t, dur int64
		var exit sql.NullInt64
		if err := rows.Scan(&pg.ID, &k, &t, &pg.Kind, &exit, &pg.RunID, &dur, &pg.Body, &pg.Truncated, &pg.Transport, &pg.Method, &pg.Source, &pg.UserAgent); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read pings of heartbeat %q: %w", heartbeatID, err)
		}
		pg.HeartbeatID, pg.Time, pg.Duration, pg.ExitStatus = heartbeatID, fromMS(t), us(dur), int(exit.Int64)
		out = append(out, pg)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read pings of heartbeat %q: %w", heartbeatID, err)
	}
	return out, nil
}

// CountPings counts stored pings of one heartbeat, or of all for "".
func (d *DB) CountPings(ctx context.Context, heartbeatID string) (int64, error) {
	var n int64
	var err error
	if heartbeatID == "" {
		err = d.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM pings").Scan(&n)
	} else {
		key, ok, lerr := d.lookupKey(ctx, monitorTable, heartbeatID)
		if lerr != nil || !ok {
			return 0, lerr
		}
		err = d.read.QueryRowContext(ctx, d.q("SELECT COUNT(*) FROM pings WHERE monitor_key = ?"), key).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("count pings: %w", err)
	}
	return n, nil
}

// HeartbeatStates returns the last saved state of every heartbeat and the
// checkpoint they were saved at.
func (d *DB) HeartbeatStates(ctx context.Context) (map[string]json.RawMessage, int64, error) {
	out, err := d.heartbeatStates(ctx)
	if err != nil {
		return nil, 0, err
	}
	var through int64
	err = d.read.QueryRowContext(ctx, "SELECT through_ping FROM heartbeat_checkpoint WHERE id = 1").Scan(&through)
	if err != nil && err != sql.ErrNoRows {
		return nil, 0, fmt.Errorf("read the heartbeat checkpoint: %w", err)
	}
	return out, through, nil
}

// PingsAfter lists pings with ID > after, oldest first.
func (d *DB) PingsAfter(ctx context.Context, after int64, limit int) ([]store.Ping, error) {
	limit = min(max(limit, 1), 10000)
	rows, err := d.read.QueryContext(ctx, d.q("SELECT p.id, m.id, p.t, p.kind, p.exit_status, p.rid, p.duration_us, p.body, p.truncated, p.transport, p.method, p.source, p.user_agent FROM pings p JOIN monitors m ON m.key = p.monitor_key WHERE p.id > ? ORDER BY p.id LIMIT ?"), after, limit)
	if err != nil {
		return nil, fmt.Errorf("read pings: %w", err)
	}
	out := []store.Ping{}
	for rows.Next() {
		var pg store.Ping
		var t, dur int64
		var exit sql.NullInt64
		if err := rows.Scan(&pg.ID, &pg.HeartbeatID, &t, &pg.Kind, &exit, &pg.RunID, &dur, &pg.Body, &pg.Truncated, &pg.Transport, &pg.Method, &pg.Source, &pg.UserAgent); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read pings: %w", err)
		}
		pg.Time, pg.Duration, pg.ExitStatus = fromMS(t), us(dur), int(exit.Int64)
		out = append(out, pg)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read pings: %w", err)
	}
	return out, nil
}

func (d *DB) heartbeatStates(ctx context.Context) (map[string]json.RawMessage, error) {
	rows, err := d.read.QueryContext(ctx, "SELECT m.id, s.state FROM heartbeat_states s JOIN monitors m ON m.key = s.monitor_key")
	if err != nil {
		return nil, fmt.Errorf("read heartbeat states: %w", err)
	}
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read heartbeat states: %w", err)
		}
		out[id] = json.RawMessage(st)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read heartbeat states: %w", err)
	}
	return out, nil
}

// PrunePings deletes pings older than before. Ping ids grow with time, so
// the cut is the first id at or after before, found by walking the
// primary key over exactly the rows that go; when every ping is older, the
// cut is past the newest. Cut and delete are one statement, so they see
// the same pings: a ping stored meanwhile is never taken for an old one.
func (d *DB) PrunePings(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q("DELETE FROM pings WHERE id < COALESCE("+
			"(SELECT id FROM pings WHERE t >= ? ORDER BY id LIMIT 1), (SELECT MAX(id) + 1 FROM pings))"), ms(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune pings: %w", err)
	}
	return n, nil
}

// CreateHeartbeat stores a heartbeat created at run time.
func (d *DB) CreateHeartbeat(ctx context.Context, h store.StoredHeartbeat) error {
	if h.ID == "" || h.UUID == "" {
		return errs.Errorf(errs.EINVALID, "a heartbeat needs an id and a uuid")
	}
	created := h.CreatedAt
	if created.IsZero() {
		created = d.now()
	}
	var slug any
	if h.Slug != "" {
		slug = text(h.Slug)
	}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.q("INSERT INTO heartbeats (id, uuid, slug, spec, created_at) VALUES (?, ?, ?, ?, ?)"), text(h.ID), text(h.UUID), slug, text(string(h.Spec)), ms(created))
		return err
	})
	if isUniqueViolation(err) {
		return errs.Errorf(errs.ECONFLICT, "a heartbeat with id %q, uuid %q or slug %q exists already", h.ID, h.UUID, h.Slug)
	}
	if err != nil {
		return fmt.Errorf("create heartbeat %q: %w", h.ID, err)
	}
	return nil
}

// StoredHeartbeats lists the heartbeats created at run time, oldest first.
func (d *DB) StoredHeartbeats(ctx context.Context) ([]store.StoredHeartbeat, error) {
	rows, err := d.read.QueryContext(ctx, "SELECT id, uuid, slug, spec, created_at FROM heartbeats ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("read heartbeats: %w", err)
	}
	out := []store.StoredHeartbeat{}
	for rows.Next() {
		var h store.StoredHeartbeat
		var slug sql.NullString
		var spec string
		var created int64
		if err := rows.Scan(&h.ID, &h.UUID, &slug, &spec, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read heartbeats: %w", err)
		}
		h.Slug, h.Spec, h.CreatedAt = slug.String, json.RawMessage(spec), fromMS(created)
		out = append(out, h)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read heartbeats: %w", err)
	}
	return out, nil
}

// DeleteHeartbeat removes a stored heartbeat.
func (d *DB) DeleteHeartbeat(ctx context.Context, id string) error {
	var n int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, d.q("DELETE FROM heartbeats WHERE id = ?"), text(id))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("delete heartbeat %q: %w", id, err)
	}
	if n == 0 {
		return errs.Errorf(errs.ENOTFOUND, "no stored heartbeat %q", id)
	}
	return nil
}
