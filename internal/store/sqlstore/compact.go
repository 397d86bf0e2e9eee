package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"time"
)

// On PostgreSQL a result is a row of results while its ten-minute slice is
// open, and CompactResults later moves the results of closed slices into
// one row of result_packs per monitor and slice (pack.go). A late result
// (an agent's buffered ones) lands in results as usual, next to the pack of
// its slice, and the next compaction merges it in. Every read looks at
// both tables, inside one snapshot (snapshot) so that a compaction
// committing in between neither hides a result nor shows it twice.
//
// A compaction step deletes a few monitors' rows of closed slices and
// writes the packs of what it deleted in the same transaction (DELETE …
// RETURNING), so a crash leaves either the rows or the packs, and a result
// written meanwhile is either among the deleted rows or stays for the next
// step. Writers only insert, so they never wait for a compaction. Two
// processes skip each other's monitors: each step takes a transaction
// advisory lock per monitor and leaves alone those another process holds.

// compactChunk is how many monitors one compaction transaction packs: at a
// 10 s interval about 3,000 results, a few milliseconds of work.
const compactChunk = 50

// compactSlices is how many slices of those monitors one transaction packs
// at most: an hour.
const compactSlices = 6

// querier is what reads need: the pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// snapshot runs fn with reads that all see the database at one moment. On
// PostgreSQL that is a read-only repeatable-read transaction, as results
// move from results to result_packs while a read runs; SQLite reads
// through the pool as before.
func (d *DB) snapshot(ctx context.Context, fn func(q querier) error) error {
	if !d.postgres {
		return fn(d.read)
	}
	tx, err := d.read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// packsOf returns the unpacked results of the packs with slices in
// [fromSlice, toSlice] of the monitors with keys, oldest first per monitor,
// restricted to times in [from, to). Without full, only times, durations
// and status are read.
func (d *DB) packsOf(ctx context.Context, q querier, keys []int64, fromSlice, toSlice, from, to int64, full bool) ([]resultRec, error) {
	if !d.postgres || len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(keys)+2)
	for _, k := range keys {
		args = append(args, k)
	}
	args = append(args, packSlice(fromSlice), packSlice(toSlice))
	rows, err := q.QueryContext(ctx, d.q("SELECT monitor_key, slice, data FROM result_packs WHERE monitor_key IN ("+marks(len(keys))+") AND slice >= ? AND slice <= ? ORDER BY monitor_key, slice"), args...)
	if err != nil {
		return nil, err
	}
	var out []resultRec
	for rows.Next() {
		var key, sl int64
		var data []byte
		if err := rows.Scan(&key, &sl, &data); err != nil {
			rows.Close()
			return nil, err
		}
		rs, err := decodePack(key, sl, data, full)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("results of monitor key %d in slice %d: %w", key, sl, err)
		}
		for _, r := range rs {
			if r.t >= from && r.t < to {
				out = append(out, r)
			}
		}
	}
	return out, rowsDone(rows)
}

// marks returns n comma-separated placeholders.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }

// CompactResults packs, on PostgreSQL, the results of every monitor's
// slices that ended by before into one row per monitor and slice, a few
// monitors per transaction. SQLite keeps its results as they are: a row
// there costs little more than its values.
func (d *DB) CompactResults(ctx context.Context, before time.Time) (int64, error) {
	if !d.postgres {
		return 0, nil
	}
	ns, err := d.compactLockSpace(ctx)
	if err != nil {
		return 0, fmt.Errorf("compact results: %w", err)
	}
	keys, err := d.allMonitorKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("compact results: %w", err)
	}
	end := slice(ms(before))
	var total int64
	for i := 0; i < len(keys); i += compactChunk {
		part := keys[i:min(i+compactChunk, len(keys))]
		args := make([]any, 0, len(part)+2)
		for _, k := range part {
			args = append(args, k)
		}
		// An hour of slices at a time, oldest first, so that a backlog
		// (the first run after an upgrade) goes in transactions as small
		// as the steady state's.
		for from := int64(math.MinInt64); ; {
			var first sql.NullInt64
			q := "SELECT MIN(" + sliceOf + ") FROM results WHERE monitor_key IN (" + marks(len(part)) + ") AND " + sliceOf + " >= ? AND " + sliceOf + " < ?"
			if err := d.read.QueryRowContext(ctx, d.q(q), append(args, from, end)...).Scan(&first); err != nil {
				return total, fmt.Errorf("compact results: %w", err)
			}
			if !first.Valid {
				break
			}
			from = min(end, first.Int64+compactSlices)
			n, err := d.compactChunk(ctx, ns, part, first.Int64, from)
			total += n
			if err != nil {
				return total, fmt.Errorf("compact results: %w", err)
			}
		}
	}
	return total, nil
}

// compactLockSpace returns the first key of the advisory locks compaction
// takes per monitor: advisory locks are per database and monitor keys per
// schema, so stores in other schemas of the database do not collide.
func (d *DB) compactLockSpace(ctx context.Context) (int32, error) {
	var schema string
	if err := d.read.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, err
	}
	h := fnv.New32a()
	h.Write([]byte("tocsin result packs " + schema))
	return int32(h.Sum32()), nil
}

// allMonitorKeys returns every monitor key in order.
func (d *DB) allMonitorKeys(ctx context.Context) ([]int64, error) {
	rows, err := d.read.QueryContext(ctx, "SELECT key FROM monitors ORDER BY key")
	if err != nil {
		return nil, err
	}
	var keys []int64
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rowsDone(rows)
}

// compactChunk packs the raw results of slices in [from, end) of the
// monitors with keys that no other process is compacting.
func (d *DB) compactChunk(ctx context.Context, ns int32, keys []int64, from, end int64) (int64, error) {
	var packed int64
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		args := make([]any, 0, len(keys)+1)
		for _, k := range keys {
			args = append(args, k)
		}
		values := strings.TrimSuffix(strings.Repeat("(?::integer),", len(keys)), ",")
		rows, err := tx.QueryContext(ctx, d.q("SELECT v.k FROM (VALUES "+values+") AS v(k) WHERE pg_try_advisory_xact_lock(?::integer, v.k)"), append(args, ns)...)
		if err != nil {
			return err
		}
		var mine []any
		for rows.Next() {
			var k int64
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return err
			}
			mine = append(mine, k)
		}
		if err := rowsDone(rows); err != nil || len(mine) == 0 {
			return err
		}
		rows, err = tx.QueryContext(ctx, d.q("DELETE FROM results WHERE monitor_key IN ("+marks(len(mine))+") AND "+sliceOf+" >= ? AND "+sliceOf+" < ? RETURNING "+resultCols), append(mine, from, end)...)
		if err != nil {
			return err
		}
		type group struct{ key, slice int64 }
		moved := map[group][]resultRec{}
		for rows.Next() {
			var r resultRec
			var reason sql.NullString
			if err := rows.Scan(&r.key, &r.t, &r.status, &r.dur, &reason, &r.detail); err != nil {
				rows.Close()
				return err
			}
			r.reason = reason.String
			g := group{r.key, slice(r.t)}
			moved[g] = append(moved[g], r)
			packed++
		}
		if err := rowsDone(rows); err != nil || len(moved) == 0 {
			return err
		}
		// Slices packed before, which late results join.
		var pairs []any
		for g := range moved {
			pairs = append(pairs, g.key, g.slice)
		}
		rows, err = tx.QueryContext(ctx, d.q("SELECT p.monitor_key, p.slice, p.data FROM result_packs p JOIN (VALUES "+
			strings.TrimSuffix(strings.Repeat("(?::integer, ?::integer),", len(moved)), ",")+") AS v(k, s) ON p.monitor_key = v.k AND p.slice = v.s FOR UPDATE OF p"), pairs...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var g group
			var data []byte
			if err := rows.Scan(&g.key, &g.slice, &data); err != nil {
				rows.Close()
				return err
			}
			old, err := decodePack(g.key, g.slice, data, true)
			if err != nil {
				rows.Close()
				return fmt.Errorf("results of monitor key %d in slice %d: %w", g.key, g.slice, err)
			}
			moved[g] = append(old, moved[g]...)
		}
		if err := rowsDone(rows); err != nil {
			return err
		}
		groups := make([]group, 0, len(moved))
		for g := range moved {
			groups = append(groups, g)
		}
		slices.SortFunc(groups, func(a, b group) int {
			if a.key != b.key {
				return compare(a.key, b.key)
			}
			return compare(a.slice, b.slice)
		})
		out := make([]any, 0, 5*len(groups))
		for _, g := range groups {
			rs := moved[g]
			slices.SortStableFunc(rs, func(a, b resultRec) int { return compare(a.t, b.t) })
			out = append(out, g.key, g.slice, len(rs), packFailed(rs), encodePack(g.slice, rs))
		}
		const upsert = "INSERT INTO result_packs (monitor_key, slice, n, failed, data) VALUES %s ON CONFLICT (monitor_key, slice) DO UPDATE SET n = excluded.n, failed = excluded.failed, data = excluded.data"
		return d.insertChunks(ctx, tx, upsert, 5, 200, out)
	})
	if err != nil {
		return 0, err
	}
	return packed, nil
}

// prunePacks deletes, on PostgreSQL, the packed results of the monitors
// with keys older than raw: whole packs before raw's slice, and the older
// part of the pack raw's slice cuts through. It returns how many results
// went.
func (d *DB) prunePacks(ctx context.Context, keys []any, raw int64) (int64, error) {
	if !d.postgres {
		return 0, nil
	}
	var total int64
	rows, err := d.write.QueryContext(ctx, d.q("DELETE FROM result_packs WHERE monitor_key IN ("+marks(len(keys))+") AND slice < ? RETURNING n"), append(keys[:len(keys):len(keys)], packSlice(slice(raw)))...)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return total, err
		}
		total += n
	}
	if err := rowsDone(rows); err != nil {
		return total, err
	}
	cut := slice(raw)
	if cut*resultSliceMS == raw {
		return total, nil
	}
	err = d.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, d.q("SELECT monitor_key, data FROM result_packs WHERE monitor_key IN ("+marks(len(keys))+") AND slice = ? FOR UPDATE"), append(keys[:len(keys):len(keys)], packSlice(cut))...)
		if err != nil {
			return err
		}
		type kept struct {
			key int64
			rs  []resultRec
			cut int
		}
		var packs []kept
		for rows.Next() {
			var key int64
			var data []byte
			if err := rows.Scan(&key, &data); err != nil {
				rows.Close()
				return err
			}
			rs, err := decodePack(key, cut, data, true)
			if err != nil {
				rows.Close()
				return fmt.Errorf("results of monitor key %d in slice %d: %w", key, cut, err)
			}
			i, _ := slices.BinarySearchFunc(rs, raw, func(r resultRec, t int64) int { return compare(r.t, t) })
			if i > 0 {
				packs = append(packs, kept{key, rs[i:], i})
			}
		}
		if err := rowsDone(rows); err != nil {
			return err
		}
		for _, p := range packs {
			var err error
			if len(p.rs) == 0 {
				_, err = tx.ExecContext(ctx, d.q("DELETE FROM result_packs WHERE monitor_key = ? AND slice = ?"), p.key, cut)
			} else {
				_, err = tx.ExecContext(ctx, d.q("UPDATE result_packs SET n = ?, failed = ?, data = ? WHERE monitor_key = ? AND slice = ?"),
					len(p.rs), packFailed(p.rs), encodePack(cut, p.rs), p.key, cut)
			}
			if err != nil {
				return err
			}
			total += int64(p.cut)
		}
		return nil
	})
	return total, err
}
