package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// Rows per multi-row INSERT, binding a few thousand values per statement,
// well under both databases' limits.
const (
	resultChunk     = 500
	stateChunk      = 500
	transitionChunk = 200
	outboxChunk     = 200
)

const resultNCols = 6

const resultCols = "monitor_key, t, status, duration_us, reason, detail"

// resultRow is a result in its stored shape.
type resultRow struct {
	key, t int64
	args   [resultNCols]any
}

// SaveBatch writes results, states, transitions and outbox messages in one
// transaction. A duplicate outbox message (same ID and channel as a stored
// one or another in the batch) fails the whole batch with ECONFLICT; a row
// the database refuses (see refused) fails it with EINVALID. A batch with
// a fence checks it last (checkFence).
func (d *DB) SaveBatch(ctx context.Context, b store.Batch) error {
	return refused(d.saveBatch(ctx, b))
}

func (d *DB) saveBatch(ctx context.Context, b store.Batch) error {
	if b.Empty() {
		return nil
	}
	ids := make([]string, 0, len(b.Results)+len(b.States)+len(b.Transitions))
	var specs []string
	for _, r := range b.Results {
		ids = append(ids, r.MonitorID)
		for _, m := range r.Metrics {
			specs = append(specs, metricSpec(m))
		}
	}
	for id := range b.States {
		ids = append(ids, id)
	}
	for _, tr := range b.Transitions {
		ids = append(ids, tr.MonitorID)
	}
	for _, id := range ids {
		if id == "" {
			return errs.Errorf(errs.EINVALID, "save results: a result, state or transition has no monitor id")
		}
	}
	keys, err := d.ensureKeys(ctx, monitorTable, ids)
	if err != nil {
		return err
	}
	metricKeys, err := d.ensureKeys(ctx, metricTable, specs)
	if err != nil {
		return err
	}
	rows := resultRows(b.Results, keys, metricKeys)

	// In the order of their ids, as every batch writes them, so that
	// batches sharing monitors lock their rows in one order and never
	// wait on each other in a circle.
	states := make([]any, 0, 4*len(b.States))
	replica := text(b.Replica)
	for _, id := range slices.Sorted(maps.Keys(b.States)) {
		st := b.States[id]
		js, err := json.Marshal(st)
		if err != nil {
			return &errs.Error{Code: errs.EINVALID, Message: fmt.Sprintf("save state of monitor %q: %v", id, err), Err: err}
		}
		states = append(states, keys[id], string(js), nil, replica)
	}
	trans := make([]any, 0, 7*len(b.Transitions))
	for _, tr := range b.Transitions {
		js, err := json.Marshal(tr.Result)
		if err != nil {
			return &errs.Error{Code: errs.EINVALID, Message: fmt.Sprintf("save transition of monitor %q: %v", tr.MonitorID, err), Err: err}
		}
		trans = append(trans, keys[tr.MonitorID], ms(tr.Time), string(tr.From), string(tr.To), tr.Reason, tr.Flapping, string(js))
	}
	now := d.now()
	msgs := make([]any, 0, 8*len(b.Outbox))
	for _, m := range b.Outbox {
		if m.ID == "" || m.Channel == "" {
			return errs.Errorf(errs.EINVALID, "save notification: outbox message %q for channel %q needs both an id and a channel", m.ID, m.Channel)
		}
		js, err := json.Marshal(m.Event)
		if err != nil {
			return &errs.Error{Code: errs.EINVALID, Message: fmt.Sprintf("save notification %q: %v", m.ID, err), Err: err}
		}
		state := m.State
		if state == "" {
			state = "pending"
		}
		created := m.CreatedAt
		if created.IsZero() {
			created = now
		}
		next := m.NextAttempt
		if next.IsZero() {
			next = created
		}
		msgs = append(msgs, m.ID, m.Channel, m.Event.MonitorID, string(js), state, m.Attempts, ms(next), m.LastError, ms(created))
	}

	return d.inTx(ctx, func(tx *sql.Tx) error {
		if err := d.insertResults(ctx, tx, rows); err != nil {
			return err
		}
		if err := d.saveStates(ctx, tx, states); err != nil {
			return fmt.Errorf("save monitor states: %w", err)
		}
		const insTrans = "INSERT INTO transitions (monitor_key, t, from_status, to_status, reason, flapping, result) VALUES %s"
		if err := d.insertChunks(ctx, tx, insTrans, 7, transitionChunk, trans); err != nil {
			return fmt.Errorf("save transitions: %w", err)
		}
		const insMsgs = "INSERT INTO outbox (id, channel, monitor_id, event, state, attempts, next_attempt, last_error, created_at) VALUES %s"
		if err := d.insertChunks(ctx, tx, insMsgs, 9, outboxChunk, msgs); err != nil {
			if isUniqueViolation(err) {
				return errs.Errorf(errs.ECONFLICT, "save notifications: a notification with the same id is already queued for that channel")
			}
			return fmt.Errorf("save notifications: %w", err)
		}
		if err := d.saveAlertChanges(ctx, tx, b.Alerts); err != nil {
			return err
		}
		return d.checkFence(ctx, tx, b.Fence)
	})
}

// resultRows converts results to their stored shape, moving a result that
// starts in the same millisecond as an earlier one of the same monitor in
// the batch one millisecond later.
func resultRows(rs []probe.Result, keys, metricKeys map[string]int64) []resultRow {
	rows := make([]resultRow, len(rs))
	for i, r := range rs {
		row := &rows[i]
		row.key = keys[r.MonitorID]
		row.t = ms(r.Time)
		var reason any
		if r.Status != probe.OK && r.Reason != "" {
			reason = text(r.Reason)
		}
		row.args = [resultNCols]any{row.key, nil, int64(r.Status), r.Duration.Microseconds(), reason, encodeDetail(r, metricKeys)}
	}
	slices.SortStableFunc(rows, func(a, b resultRow) int {
		if a.key != b.key {
			return compare(a.key, b.key)
		}
		return compare(a.t, b.t)
	})
	for i := range rows {
		if i > 0 && rows[i].key == rows[i-1].key && rows[i].t <= rows[i-1].t {
			rows[i].t = rows[i-1].t + 1
		}
		rows[i].args[1] = rows[i].t
	}
	return rows
}

func compare(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// insertResults writes rows in multi-row statements. On SQLite, whose
// primary key keeps a monitor's times unique, a chunk that collides with
// stored results (the same monitor and millisecond) is rolled back to its
// savepoint and written row by row, each colliding row moving forward a
// millisecond at a time until it fits. PostgreSQL has no such key (see
// insertResultsPostgres).
func (d *DB) insertResults(ctx context.Context, tx *sql.Tx, rows []resultRow) error {
	if d.postgres {
		return d.insertResultsPostgres(ctx, tx, rows)
	}
	var args []any
	for i := 0; i < len(rows); i += resultChunk {
		part := rows[i:min(i+resultChunk, len(rows))]
		args = chunkArgs(args, part)
		if _, err := tx.ExecContext(ctx, "SAVEPOINT results_chunk"); err != nil {
			return fmt.Errorf("save results: %w", err)
		}
		q := "INSERT INTO results (" + resultCols + ") VALUES " + placeholders(len(part), resultNCols) + " ON CONFLICT (monitor_key, t) DO NOTHING"
		res, err := tx.ExecContext(ctx, d.q(q), args...)
		if err != nil {
			return fmt.Errorf("save results: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("save results: %w", err)
		}
		if n != int64(len(part)) {
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT results_chunk"); err != nil {
				return fmt.Errorf("save results: %w", err)
			}
			if err := d.insertResultsOneByOne(ctx, tx, part); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT results_chunk"); err != nil {
			return fmt.Errorf("save results: %w", err)
		}
	}
	return nil
}

// chunkArgs returns the statement arguments of rows, reusing args.
func chunkArgs(args []any, rows []resultRow) []any {
	args = args[:0]
	for j := range rows {
		args = append(args, rows[j].args[:]...)
	}
	return args
}

func (d *DB) insertResultsOneByOne(ctx context.Context, tx *sql.Tx, rows []resultRow) error {
	q := d.q("INSERT INTO results (" + resultCols + ") VALUES " + placeholders(1, resultNCols) + " ON CONFLICT (monitor_key, t) DO NOTHING")
	var prevKey, prevT int64
	for i := range rows {
		r := rows[i]
		if i > 0 && r.key == prevKey && r.t <= prevT {
			// Keep the batch's own order when an earlier row moved.
			r.t = prevT + 1
		}
		for try := 0; ; try++ {
			if try == 1000 {
				return fmt.Errorf("save results: monitor key %d has results in every millisecond from %d", r.key, r.t-1000)
			}
			r.args[1] = r.t
			res, err := tx.ExecContext(ctx, q, r.args[:]...)
			if err != nil {
				return fmt.Errorf("save results: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("save results: %w", err)
			} else if n == 1 {
				break
			}
			r.t++
		}
		prevKey, prevT = r.key, r.t
	}
	return nil
}

// insertChunks runs format (with %s for the VALUES list) over args in
// multi-row statements of up to chunk rows.
func (d *DB) insertChunks(ctx context.Context, tx *sql.Tx, format string, cols, chunk int, args []any) error {
	rows := len(args) / cols
	for i := 0; i < rows; i += chunk {
		n := min(chunk, rows-i)
		q := fmt.Sprintf(format, placeholders(n, cols))
		if _, err := tx.ExecContext(ctx, d.q(q), textArgs(args[i*cols:(i+n)*cols]...)...); err != nil {
			return err
		}
	}
	return nil
}

// saveStates upserts states, given as (key, state, nil, replica)
// quadruples, marking them with the transaction's change mark (see
// changeMark).
func (d *DB) saveStates(ctx context.Context, tx *sql.Tx, states []any) error {
	if len(states) == 0 {
		return nil
	}
	mark, err := d.changeMark(ctx, tx)
	if err != nil {
		return err
	}
	for i := 2; i < len(states); i += 4 {
		states[i] = mark
	}
	const upsert = "INSERT INTO monitor_states (monitor_key, state, changed, replica) VALUES %s ON CONFLICT (monitor_key) DO UPDATE SET state = excluded.state, changed = excluded.changed, replica = excluded.replica"
	return d.insertChunks(ctx, tx, upsert, 4, stateChunk, states)
}

// changeMark is what the states a transaction saves are marked with, so
// that MonitorStatesSince finds them. On PostgreSQL it is the
// transaction's id: a read takes as its next mark the oldest transaction
// still running when it read, so a transaction that commits later is
// never passed over, whatever the order transactions began and ended in.
// On SQLite, whose writers take turns, it is one more than the highest
// mark stored.
func (d *DB) changeMark(ctx context.Context, tx *sql.Tx) (int64, error) {
	q := "SELECT coalesce(max(changed), 0) + 1 FROM monitor_states"
	if d.postgres {
		q = "SELECT pg_current_xact_id()::text::bigint"
	}
	var mark int64
	if err := tx.QueryRowContext(ctx, q).Scan(&mark); err != nil {
		return 0, fmt.Errorf("mark the states saved: %w", err)
	}
	return mark, nil
}

// MonitorStates returns the last saved state of every monitor.
func (d *DB) MonitorStates(ctx context.Context) (map[string]monitor.State, error) {
	out, _, err := d.MonitorStatesSince(ctx, 0, "")
	return out, err
}

// MonitorStatesSince returns the states saved since the read that
// returned since, and the mark of this read: on PostgreSQL the oldest
// transaction running when it read (all before have ended, and those
// that committed are in what it read), on SQLite the next mark a writer
// will use. The mark is read in the statement that reads the states, so
// from the same snapshot. The states except saved are left out by the
// query: neither sent nor decoded.
func (d *DB) MonitorStatesSince(ctx context.Context, since int64, except string) (map[string]monitor.State, int64, error) {
	mark := "(SELECT coalesce(max(changed), 0) + 1 FROM monitor_states)"
	if d.postgres {
		mark = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
	}
	args := []any{since}
	others := ""
	if except != "" {
		others = " AND s.replica <> ?"
		args = append(args, text(except))
	}
	rows, err := d.read.QueryContext(ctx, d.q(`SELECT n.mark, m.id, s.state FROM (SELECT `+mark+` AS mark) n
		LEFT JOIN monitor_states s ON s.changed >= ?`+others+` LEFT JOIN monitors m ON m.key = s.monitor_key`), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("read monitor states: %w", err)
	}
	out := map[string]monitor.State{}
	var next int64
	for rows.Next() {
		var id, js sql.NullString
		if err := rows.Scan(&next, &id, &js); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("read monitor states: %w", err)
		}
		if !id.Valid || !js.Valid {
			continue
		}
		var st monitor.State
		if err := json.Unmarshal([]byte(js.String), &st); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("read the state of monitor %q: %w", id.String, err)
		}
		out[id.String] = st
	}
	if err := rowsDone(rows); err != nil {
		return nil, 0, fmt.Errorf("read monitor states: %w", err)
	}
	return out, next, nil
}

// Results lists a monitor's results, newest first. The ID of a result is
// its start time in unix milliseconds. OK results have an empty Reason.
func (d *DB) Results(ctx context.Context, monitorID string, p store.Page) ([]store.StoredResult, error) {
	monitorID = text(monitorID)
	limit, before := clampPage(p)
	out := []store.StoredResult{}
	key, ok, err := d.lookupKey(ctx, monitorTable, monitorID)
	if err != nil || !ok {
		return out, err
	}
	rs, err := d.resultPage(ctx, key, before, limit)
	if err != nil {
		return nil, fmt.Errorf("read results of monitor %q: %w", monitorID, err)
	}
	for _, r := range rs {
		res := probe.Result{
			MonitorID: monitorID,
			Time:      fromMS(r.t),
			Duration:  us(r.dur),
			Status:    probe.Status(r.status),
			Reason:    r.reason,
		}
		det, err := decodeDetail(r.detail, res.Time)
		if err != nil {
			return nil, fmt.Errorf("read result %d of monitor %q: %w", r.t, monitorID, err)
		}
		res.Timing, res.CertExpiry, res.Location = det.timing, det.cert, det.location
		if len(det.kinds) > 0 {
			specs, err := d.names(ctx, metricTable, det.kinds)
			if err != nil {
				return nil, err
			}
			res.Metrics = make([]probe.Metric, len(det.kinds))
			for i, k := range det.kinds {
				m, err := parseMetricSpec(specs[k])
				if err != nil {
					return nil, fmt.Errorf("read result %d of monitor %q: %w", r.t, monitorID, err)
				}
				m.Value = det.values[i]
				res.Metrics[i] = m
			}
		}
		out = append(out, store.StoredResult{ID: r.t, Result: res})
	}
	return out, nil
}

// resultPage returns up to limit of a monitor's results before a time,
// newest first: on PostgreSQL from its rows and its packs.
func (d *DB) resultPage(ctx context.Context, key, before int64, limit int) ([]resultRec, error) {
	var out []resultRec
	err := d.snapshot(ctx, func(q querier) error {
		out = out[:0]
		query := "SELECT " + resultCols + " FROM results WHERE monitor_key = ? AND t < ? ORDER BY t DESC LIMIT ?"
		args := []any{key, before, limit}
		if d.postgres {
			// Newest slice first through the index, then by time within it:
			// the same order, read from the end of the monitor's history only.
			query = "SELECT " + resultCols + " FROM results WHERE monitor_key = ? AND t < ? AND " + sliceOf + " <= ? ORDER BY " + sliceOf + " DESC, t DESC LIMIT ?"
			args = []any{key, before, slice(before - 1), limit}
		}
		rows, err := q.QueryContext(ctx, d.q(query), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r resultRec
			var reason sql.NullString
			if err := rows.Scan(&r.key, &r.t, &r.status, &r.dur, &reason, &r.detail); err != nil {
				rows.Close()
				return err
			}
			r.reason = reason.String
			out = append(out, r)
		}
		if err := rowsDone(rows); err != nil || !d.postgres {
			return err
		}
		packed, err := d.newestPacked(ctx, q, key, before, limit)
		if err != nil || len(packed) == 0 {
			return err
		}
		out = append(out, packed...)
		slices.SortStableFunc(out, func(a, b resultRec) int { return compare(b.t, a.t) })
		out = out[:min(len(out), limit)]
		return nil
	})
	return out, err
}

// newestPacked returns up to limit of the packed results of a monitor
// before a time, newest first. Packs are read newest first until they hold
// limit results: every pack holds at least one.
func (d *DB) newestPacked(ctx context.Context, q querier, key, before int64, limit int) ([]resultRec, error) {
	rows, err := q.QueryContext(ctx, d.q("SELECT slice, data FROM result_packs WHERE monitor_key = ? AND slice <= ? ORDER BY slice DESC LIMIT ?"), key, packSlice(slice(before-1)), limit)
	if err != nil {
		return nil, err
	}
	var out []resultRec
	for rows.Next() && len(out) < limit {
		var sl int64
		var data []byte
		if err := rows.Scan(&sl, &data); err != nil {
			rows.Close()
			return nil, err
		}
		rs, err := decodePack(key, sl, data, true)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("results in slice %d: %w", sl, err)
		}
		for i := len(rs) - 1; i >= 0; i-- {
			if rs[i].t < before {
				out = append(out, rs[i])
			}
		}
	}
	return out, rowsDone(rows)
}

// Transitions lists a monitor's transitions, newest first; monitorID ""
// lists all monitors'.
func (d *DB) Transitions(ctx context.Context, monitorID string, p store.Page) ([]store.StoredTransition, error) {
	limit, before := clampPage(p)
	out := []store.StoredTransition{}
	const cols = "SELECT tr.id, m.id, tr.t, tr.from_status, tr.to_status, tr.reason, tr.flapping, tr.result FROM transitions tr JOIN monitors m ON m.key = tr.monitor_key "
	var rows *sql.Rows
	var err error
	if monitorID == "" {
		rows, err = d.read.QueryContext(ctx, d.q(cols+"WHERE tr.id < ? ORDER BY tr.id DESC LIMIT ?"), before, limit)
	} else {
		key, ok, lerr := d.lookupKey(ctx, monitorTable, monitorID)
		if lerr != nil || !ok {
			return out, lerr
		}
		rows, err = d.read.QueryContext(ctx, d.q(cols+"WHERE tr.monitor_key = ? AND tr.id < ? ORDER BY tr.id DESC LIMIT ?"), key, before, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("read transitions: %w", err)
	}
	for rows.Next() {
		var st store.StoredTransition
		var t int64
		var from, to, js string
		if err := rows.Scan(&st.ID, &st.MonitorID, &t, &from, &to, &st.Reason, &st.Flapping, &js); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read transitions: %w", err)
		}
		st.Time, st.From, st.To = fromMS(t), monitor.Status(from), monitor.Status(to)
		if err := json.Unmarshal([]byte(js), &st.Result); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read transition %d: %w", st.ID, err)
		}
		out = append(out, st)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read transitions: %w", err)
	}
	return out, nil
}
