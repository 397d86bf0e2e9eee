package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
)

// resultSliceMS is the width of the slices of time by which PostgreSQL's
// index on results (results_slices, migration 00018) groups a monitor's
// results: one index entry per monitor and slice lists the slice's rows,
// so a result costs the index about 6 bytes instead of a 24-byte entry of
// its own. Ten minutes keeps a slice to 60 rows at the shortest interval
// (10 s), which a read or a check of a time visits at most, and still
// groups 10 results at the common interval of a minute.
const resultSliceMS = 600_000

// sliceOf is the SQL of the slice of results.t, as results_slices indexes
// it; PostgreSQL uses the index only for conditions on this very
// expression.
const sliceOf = "t / 600000"

// slice returns the slice of t the way SQL computes sliceOf: integer
// division truncates toward zero in Go and in both databases.
func slice(t int64) int64 { return t / resultSliceMS }

// inSlices returns the condition, to AND with one on t itself, that names
// the slices holding the times in [from, to) of results aliased as alias
// ("" for none), and its arguments. On SQLite, whose primary key orders
// results by time, it is only a cheap filter; on PostgreSQL it is how the
// index finds the rows.
func inSlices(alias string, from, to int64) (string, []any) {
	return " AND " + alias + sliceOf + " >= ? AND " + alias + sliceOf + " <= ?", []any{slice(from), slice(to - 1)}
}

// firstResult returns the time of a monitor's oldest stored result. On
// PostgreSQL the oldest slice is found first, through the index, and only
// its rows are read, and the oldest pack is read too. Rows are read before
// packs, so a result a compaction moves in between is seen at least once.
func (d *DB) firstResult(ctx context.Context, rd querier, key int64) (sql.NullInt64, error) {
	q := "SELECT MIN(t) FROM results WHERE monitor_key = ?"
	args := []any{key}
	if d.postgres {
		q += " AND " + sliceOf + " = (SELECT MIN(" + sliceOf + ") FROM results WHERE monitor_key = ?)"
		args = append(args, key)
	}
	var first sql.NullInt64
	if err := rd.QueryRowContext(ctx, d.q(q), args...).Scan(&first); err != nil || !d.postgres {
		return first, err
	}
	var sl int64
	var data []byte
	err := rd.QueryRowContext(ctx, d.q("SELECT slice, data FROM result_packs WHERE monitor_key = ? ORDER BY slice LIMIT 1"), key).Scan(&sl, &data)
	if err == sql.ErrNoRows {
		return first, nil
	}
	if err != nil {
		return first, err
	}
	rs, err := decodePack(key, sl, data, false)
	if err != nil {
		return first, fmt.Errorf("results of monitor key %d in slice %d: %w", key, sl, err)
	}
	if !first.Valid || rs[0].t < first.Int64 {
		first = sql.NullInt64{Int64: rs[0].t, Valid: true}
	}
	return first, nil
}

// insertResultsPostgres writes rows where no unique index guards a
// monitor's times (see migration 00018). Updating the one row of
// result_writes first makes result inserts take turns, in this process
// and any other on the database. A time past the newest stored result of
// its monitor is free; newestResult remembers that time per monitor, and is
// forgotten whenever another process wrote results in between (result_writes.n
// moved by more than this process's own writes). Any other time is checked
// against the stored ones and moves a millisecond at a time until it is
// free, as on SQLite.
func (d *DB) insertResultsPostgres(ctx context.Context, tx *sql.Tx, rows []resultRow) error {
	if len(rows) == 0 {
		return nil // a batch of states or notifications only does not wait its turn
	}
	var n int64
	if err := tx.QueryRowContext(ctx, "UPDATE result_writes SET n = n + 1 RETURNING n").Scan(&n); err != nil {
		return fmt.Errorf("save results: %w", err)
	}
	d.mu.Lock()
	if d.newestResult == nil || n != d.resultWrites+1 {
		d.newestResult = map[int64]int64{}
	}
	d.resultWrites = n
	var unknown []any
	for i := range rows {
		k := rows[i].key
		if _, ok := d.newestResult[k]; !ok && (i == 0 || rows[i-1].key != k) {
			unknown = append(unknown, k)
		}
	}
	d.mu.Unlock()
	newest, err := d.newestResults(ctx, tx, unknown)
	if err != nil {
		return err
	}
	d.mu.Lock()
	for k, t := range newest {
		d.newestResult[k] = t
	}
	d.mu.Unlock()

	var prevKey, prevT int64
	for i := range rows {
		r := &rows[i]
		if i > 0 && r.key == prevKey && r.t <= prevT {
			r.t = prevT + 1
		}
		d.mu.Lock()
		last := d.newestResult[r.key]
		d.mu.Unlock()
		if r.t <= last {
			t, err := d.freeResultTime(ctx, tx, r.key, r.t)
			if err != nil {
				return err
			}
			r.t = t
		}
		r.args[1] = r.t
		prevKey, prevT = r.key, r.t
	}

	var args []any
	for i := 0; i < len(rows); i += resultChunk {
		part := rows[i:min(i+resultChunk, len(rows))]
		args = chunkArgs(args, part)
		q := "INSERT INTO results (" + resultCols + ") VALUES " + placeholders(len(part), resultNCols)
		if _, err := tx.ExecContext(ctx, d.q(q), args...); err != nil {
			return fmt.Errorf("save results: %w", err)
		}
	}
	d.mu.Lock()
	for i := range rows {
		if rows[i].t > d.newestResult[rows[i].key] {
			d.newestResult[rows[i].key] = rows[i].t
		}
	}
	d.mu.Unlock()
	return nil
}

// newestResults returns the time of the newest stored result of each
// monitor in keys; math.MinInt64 for a monitor without results.
func (d *DB) newestResults(ctx context.Context, tx *sql.Tx, keys []any) (map[int64]int64, error) {
	out := make(map[int64]int64, len(keys))
	for i := 0; i < len(keys); i += 500 {
		part := keys[i:min(i+500, len(keys))]
		values := strings.TrimSuffix(strings.Repeat("(?::integer),", len(part)), ",")
		// One statement, so one snapshot: a compaction committing
		// meanwhile cannot hide the newest result in its move to a pack.
		q := "SELECT v.k, (SELECT MAX(r.t) FROM results r WHERE r.monitor_key = v.k AND r." + sliceOf +
			" = (SELECT MAX(s." + sliceOf + ") FROM results s WHERE s.monitor_key = v.k)), p.slice, p.data FROM (VALUES " + values + ") AS v(k)" +
			" LEFT JOIN LATERAL (SELECT slice, data FROM result_packs WHERE monitor_key = v.k ORDER BY slice DESC LIMIT 1) p ON true"
		rows, err := tx.QueryContext(ctx, d.q(q), part...)
		if err != nil {
			return nil, fmt.Errorf("save results: %w", err)
		}
		for rows.Next() {
			var k int64
			var t, sl sql.NullInt64
			var data []byte
			if err := rows.Scan(&k, &t, &sl, &data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("save results: %w", err)
			}
			out[k] = math.MinInt64
			if t.Valid {
				out[k] = t.Int64
			}
			if sl.Valid {
				rs, err := decodePack(k, sl.Int64, data, false)
				if err != nil {
					rows.Close()
					return nil, fmt.Errorf("save results: results of monitor key %d in slice %d: %w", k, sl.Int64, err)
				}
				out[k] = max(out[k], rs[len(rs)-1].t)
			}
		}
		if err := rowsDone(rows); err != nil {
			return nil, fmt.Errorf("save results: %w", err)
		}
	}
	return out, nil
}

// freeResultTime returns the first millisecond from t on at which the
// monitor has no stored result, looking up to a second ahead.
func (d *DB) freeResultTime(ctx context.Context, tx *sql.Tx, key, t int64) (int64, error) {
	const window = 1000
	cond, sargs := inSlices("", t, t+window)
	// Rows and packs in one statement, so in one snapshot.
	q := "SELECT t, NULL, NULL FROM results WHERE monitor_key = ? AND t >= ? AND t < ?" + cond +
		" UNION ALL SELECT NULL, slice, data FROM result_packs WHERE monitor_key = ? AND slice >= ? AND slice <= ?"
	rows, err := tx.QueryContext(ctx, d.q(q), append(append([]any{key, t, t + window}, sargs...), key, packSlice(slice(t)), packSlice(slice(t+window-1)))...)
	if err != nil {
		return 0, fmt.Errorf("save results: %w", err)
	}
	taken := map[int64]bool{}
	for rows.Next() {
		var v, sl sql.NullInt64
		var data []byte
		if err := rows.Scan(&v, &sl, &data); err != nil {
			rows.Close()
			return 0, fmt.Errorf("save results: %w", err)
		}
		if v.Valid {
			taken[v.Int64] = true
			continue
		}
		rs, err := decodePack(key, sl.Int64, data, false)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("save results: results of monitor key %d in slice %d: %w", key, sl.Int64, err)
		}
		for _, r := range rs {
			taken[r.t] = true
		}
	}
	if err := rowsDone(rows); err != nil {
		return 0, fmt.Errorf("save results: %w", err)
	}
	for v := t; v < t+window; v++ {
		if !taken[v] {
			return v, nil
		}
	}
	return 0, fmt.Errorf("save results: monitor key %d has results in every millisecond from %d", key, t)
}
