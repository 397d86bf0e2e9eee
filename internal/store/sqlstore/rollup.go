package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// Each monitor has a watermark, monitors.rolled_until: every hour before it
// has been rolled up (an hour without results has no rollup row). Uptime and
// Latency read rollups below the watermark and raw results above it, so an
// hour is never counted twice and a late Rollup never leaves a hole.

// failedExpr counts a result as failed the way probe.Result.Failed does.
const failedExpr = "CASE WHEN status >= 2 THEN 1 ELSE 0 END"

// Rollup computes hourly rollups for every complete hour before until (and
// before now) that has none yet. It is idempotent: rollups are inserted only
// where absent, so replicas may run it at the same time.
func (d *DB) Rollup(ctx context.Context, until time.Time) error {
	end := floorHour(min(ms(until), ms(d.now())))
	rows, err := d.read.QueryContext(ctx, "SELECT key, rolled_until FROM monitors")
	if err != nil {
		return fmt.Errorf("roll up results: %w", err)
	}
	byStart := map[int64][]int64{} // first hour to roll up → monitor keys
	var fresh []int64              // monitors never rolled up
	for rows.Next() {
		var key int64
		var w sql.NullInt64
		if err := rows.Scan(&key, &w); err != nil {
			rows.Close()
			return fmt.Errorf("roll up results: %w", err)
		}
		switch {
		case !w.Valid:
			fresh = append(fresh, key)
		case w.Int64 < end:
			byStart[w.Int64] = append(byStart[w.Int64], key)
		}
	}
	if err := rowsDone(rows); err != nil {
		return fmt.Errorf("roll up results: %w", err)
	}
	for _, key := range fresh {
		first, err := d.firstResult(ctx, d.read, key)
		if err != nil {
			return fmt.Errorf("roll up results: %w", err)
		}
		if first.Valid && floorHour(first.Int64) < end {
			s := floorHour(first.Int64)
			byStart[s] = append(byStart[s], key)
		}
	}
	starts := make([]int64, 0, len(byStart))
	for s := range byStart {
		starts = append(starts, s)
	}
	slices.Sort(starts)
	const chunk = 100
	for _, start := range starts {
		keys := byStart[start]
		for i := 0; i < len(keys); i += chunk {
			if err := d.rollupChunk(ctx, keys[i:min(i+chunk, len(keys))], start, end); err != nil {
				return err
			}
		}
	}
	return nil
}

// rollupChunk rolls up [start, end) for a few monitors in one transaction.
func (d *DB) rollupChunk(ctx context.Context, keys []int64, start, end int64) error {
	in := strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",")
	args := make([]any, 0, len(keys)+2)
	for _, k := range keys {
		args = append(args, k)
	}
	cond, sargs := inSlices("", start, end)
	args = append(append(args, start, end), sargs...)
	type hour struct{ key, hour int64 }
	type acc struct {
		durs   []int64
		failed int64
	}
	accs := map[hour]*acc{}
	add := func(key, t, failed, dur int64) {
		h := hour{key, floorHour(t)}
		a := accs[h]
		if a == nil {
			a = &acc{}
			accs[h] = a
		}
		a.durs = append(a.durs, dur)
		a.failed += failed
	}
	err := d.snapshot(ctx, func(q querier) error {
		clear(accs)
		rows, err := q.QueryContext(ctx, d.q("SELECT monitor_key, t, "+failedExpr+", duration_us FROM results WHERE monitor_key IN ("+in+") AND t >= ? AND t < ?"+cond), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var key, t, f, dur int64
			if err := rows.Scan(&key, &t, &f, &dur); err != nil {
				rows.Close()
				return err
			}
			add(key, t, f, dur)
		}
		if err := rowsDone(rows); err != nil {
			return err
		}
		packed, err := d.packsOf(ctx, q, keys, slice(start), slice(end-1), start, end, false)
		for _, r := range packed {
			add(r.key, r.t, failedOf(r.status), r.dur)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("roll up results: %w", err)
	}
	hours := slices.Collect(maps.Keys(accs))
	slices.SortFunc(hours, func(a, b hour) int {
		if a.key != b.key {
			return compare(a.key, b.key)
		}
		return compare(a.hour, b.hour)
	})
	var out []any
	for _, h := range hours {
		a := accs[h]
		r := summarize(a.durs)
		out = append(out, h.key, h.hour, len(a.durs), a.failed, r.sum, r.p50, r.p95, r.p99, r.max)
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		const ins = "INSERT INTO rollups (monitor_key, hour, total, failed, sum_us, p50_us, p95_us, p99_us, max_us) VALUES %s ON CONFLICT (monitor_key, hour) DO NOTHING"
		if err := d.insertChunks(ctx, tx, ins, 9, 300, out); err != nil {
			return fmt.Errorf("save hourly rollups: %w", err)
		}
		upd := "UPDATE monitors SET rolled_until = ? WHERE key IN (" + in + ") AND (rolled_until IS NULL OR rolled_until < ?)"
		uargs := append([]any{end}, args[:len(keys)]...)
		uargs = append(uargs, end)
		if _, err := tx.ExecContext(ctx, d.q(upd), uargs...); err != nil {
			return fmt.Errorf("save hourly rollups: %w", err)
		}
		return nil
	})
}

type summary struct{ sum, p50, p95, p99, max int64 }

// summarize returns the sum and nearest-rank percentiles of durs, which it
// sorts.
func summarize(durs []int64) summary {
	slices.Sort(durs)
	var s summary
	for _, v := range durs {
		s.sum += v
	}
	rank := func(p int) int64 {
		// Nearest rank: the smallest value with at least p% of values at or below it.
		i := (p*len(durs)+99)/100 - 1
		return durs[max(0, min(i, len(durs)-1))]
	}
	s.p50, s.p95, s.p99, s.max = rank(50), rank(95), rank(99), durs[len(durs)-1]
	return s
}

// Rollups lists a monitor's hourly rollups in [from, to), oldest first.
func (d *DB) Rollups(ctx context.Context, monitorID string, from, to time.Time) ([]store.HourlyRollup, error) {
	monitorID = text(monitorID)
	out := []store.HourlyRollup{}
	key, ok, err := d.lookupKey(ctx, monitorTable, monitorID)
	if err != nil || !ok {
		return out, err
	}
	rows, err := d.read.QueryContext(ctx, d.q("SELECT hour, total, failed, p50_us, p95_us, p99_us, max_us FROM rollups WHERE monitor_key = ? AND hour >= ? AND hour < ? ORDER BY hour"), key, ms(from), ms(to))
	if err != nil {
		return nil, fmt.Errorf("read rollups of monitor %q: %w", monitorID, err)
	}
	for rows.Next() {
		r := store.HourlyRollup{MonitorID: monitorID}
		var h, p50, p95, p99, mx int64
		if err := rows.Scan(&h, &r.Total, &r.Failed, &p50, &p95, &p99, &mx); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read rollups of monitor %q: %w", monitorID, err)
		}
		r.Hour = fromMS(h)
		r.P50, r.P95, r.P99, r.Max = us(p50), us(p95), us(p99), us(mx)
		out = append(out, r)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read rollups of monitor %q: %w", monitorID, err)
	}
	return out, nil
}

func us(v int64) time.Duration { return time.Duration(v) * time.Microsecond }

// Uptime counts a monitor's results in [since, now): rollups for whole
// hours below the monitor's rollup watermark, raw results for the rest.
func (d *DB) Uptime(ctx context.Context, monitorID string, since time.Time) (store.Uptime, error) {
	key, ok, err := d.lookupKey(ctx, monitorTable, monitorID)
	if err != nil || !ok {
		return store.Uptime{}, err
	}
	all, err := d.uptime(ctx, since, []int64{key})
	if err != nil {
		return store.Uptime{}, fmt.Errorf("compute uptime of monitor %q: %w", monitorID, err)
	}
	return all[key], nil
}

// UptimeAll is Uptime for every monitor, in two queries. Monitors without
// results in the span are absent from the map.
func (d *DB) UptimeAll(ctx context.Context, since time.Time) (map[string]store.Uptime, error) {
	byKey, err := d.uptime(ctx, since, nil)
	if err != nil {
		return nil, fmt.Errorf("compute uptime: %w", err)
	}
	return d.uptimeByName(ctx, byKey)
}

// UptimeOf is Uptime for the monitors named, a few hundred per round of
// queries.
func (d *DB) UptimeOf(ctx context.Context, monitorIDs []string, since time.Time) (map[string]store.Uptime, error) {
	var keys []int64
	for _, id := range monitorIDs {
		key, ok, err := d.lookupKey(ctx, monitorTable, text(id))
		if err != nil {
			return nil, err
		}
		if ok {
			keys = append(keys, key)
		}
	}
	byKey := map[int64]store.Uptime{}
	for i := 0; i < len(keys); i += 500 {
		part, err := d.uptime(ctx, since, keys[i:min(i+500, len(keys))])
		if err != nil {
			return nil, fmt.Errorf("compute uptime: %w", err)
		}
		maps.Copy(byKey, part)
	}
	return d.uptimeByName(ctx, byKey)
}

func (d *DB) uptimeByName(ctx context.Context, byKey map[int64]store.Uptime) (map[string]store.Uptime, error) {
	keys := make([]int64, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	ids, err := d.names(ctx, monitorTable, keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]store.Uptime, len(byKey))
	for k, u := range byKey {
		out[ids[k]] = u
	}
	return out, nil
}

// uptime counts the results of the monitors with keys, every monitor's
// when keys is nil.
func (d *DB) uptime(ctx context.Context, since time.Time, keys []int64) (map[int64]store.Uptime, error) {
	now := ms(d.now())
	s := ms(since)
	out := map[int64]store.Uptime{}
	if s >= now || keys != nil && len(keys) == 0 {
		return out, nil
	}
	lo, floorNow := ceilHour(s), floorHour(now)
	filter := ""
	var fargs []any
	if keys != nil {
		filter = " AND m.key IN (" + strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",") + ")"
		for _, k := range keys {
			fargs = append(fargs, k)
		}
	}
	// Whole hours below the watermark come from rollups.
	hi := d.least("COALESCE(m.rolled_until, 0)", "?")
	err := d.snapshot(ctx, func(rd querier) error {
		clear(out)
		q := "SELECT r.monitor_key, CAST(COALESCE(SUM(r.total), 0) AS BIGINT), CAST(COALESCE(SUM(r.failed), 0) AS BIGINT) " +
			"FROM monitors m JOIN rollups r ON r.monitor_key = m.key AND r.hour >= ? AND r.hour < " + hi +
			" WHERE 1 = 1" + filter + " GROUP BY r.monitor_key"
		if err := d.addCounts(ctx, rd, out, q, append([]any{lo, floorNow}, fargs...)); err != nil {
			return err
		}
		// Raw results before the first whole hour, and from the watermark on.
		agg := "SELECT r.monitor_key, COUNT(*), CAST(COALESCE(SUM(" + strings.ReplaceAll(failedExpr, "status", "r.status") + "), 0) AS BIGINT) FROM monitors m JOIN results r ON r.monitor_key = m.key AND "
		if head := min(lo, now); s < head {
			cond, sargs := inSlices("r.", s, head)
			q := agg + "r.t >= ? AND r.t < ?" + cond + " WHERE 1 = 1" + filter + " GROUP BY r.monitor_key"
			if err := d.addCounts(ctx, rd, out, q, append(append([]any{s, head}, sargs...), fargs...)); err != nil {
				return err
			}
			if err := d.addPackCounts(ctx, rd, out, "?", []any{s}, head, filter, fargs); err != nil {
				return err
			}
		}
		if lo < now {
			from := d.greatest("?", hi)
			q := agg + "r.t >= " + from + " AND r.t < ? AND r." + sliceOf + " >= " + from + " / " + fmt.Sprint(resultSliceMS) + " AND r." + sliceOf + " <= ?" +
				" WHERE 1 = 1" + filter + " GROUP BY r.monitor_key"
			if err := d.addCounts(ctx, rd, out, q, append([]any{lo, floorNow, now, lo, floorNow, slice(now - 1)}, fargs...)); err != nil {
				return err
			}
			if err := d.addPackCounts(ctx, rd, out, from, []any{lo, floorNow}, now, filter, fargs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for k, u := range out {
		if u.Total == 0 {
			delete(out, k)
		}
	}
	return out, nil
}

func (d *DB) addCounts(ctx context.Context, rd querier, out map[int64]store.Uptime, q string, args []any) error {
	rows, err := rd.QueryContext(ctx, d.q(q), args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var key, total, failed int64
		if err := rows.Scan(&key, &total, &failed); err != nil {
			rows.Close()
			return err
		}
		u := out[key]
		u.Total += int(total)
		u.Failed += int(failed)
		out[key] = u
	}
	return rowsDone(rows)
}

// addPackCounts adds, on PostgreSQL, the packed results in [from, to) of
// the monitors that filter selects, from being the SQL expression fromSQL
// (with fromArgs) of each monitor m. A pack wholly inside counts by its n
// and failed columns; only the packs at the ends are read.
func (d *DB) addPackCounts(ctx context.Context, rd querier, out map[int64]store.Uptime, fromSQL string, fromArgs []any, to int64, filter string, fargs []any) error {
	if !d.postgres {
		return nil
	}
	q := "SELECT p.monitor_key, p.slice, p.n, p.failed, b.f, CASE WHEN CAST(p.slice AS BIGINT) * 600000 >= b.f AND CAST(p.slice AS BIGINT) * 600000 + 600000 <= ? THEN NULL ELSE p.data END" +
		" FROM (SELECT m.key AS k, CAST(" + fromSQL + " AS BIGINT) AS f FROM monitors m WHERE 1 = 1" + filter + ") b" +
		" JOIN result_packs p ON p.monitor_key = b.k AND p.slice >= b.f / 600000 AND p.slice <= ?"
	args := append(append(append([]any{to}, fromArgs...), fargs...), packSlice(slice(to-1)))
	rows, err := rd.QueryContext(ctx, d.q(q), args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var key, sl, n, failed, from int64
		var data []byte
		if err := rows.Scan(&key, &sl, &n, &failed, &from, &data); err != nil {
			rows.Close()
			return err
		}
		if data != nil {
			rs, err := decodePack(key, sl, data, false)
			if err != nil {
				rows.Close()
				return fmt.Errorf("results of monitor key %d in slice %d: %w", key, sl, err)
			}
			n, failed = 0, 0
			for _, r := range rs {
				if r.t >= from && r.t < to {
					n++
					failed += failedOf(r.status)
				}
			}
		}
		u := out[key]
		u.Total += int(n)
		u.Failed += int(failed)
		out[key] = u
	}
	return rowsDone(rows)
}

// Latency returns n buckets of equal width covering [since, now), oldest
// first, each starting at Time; empty buckets have Total 0. Hours whose raw
// results were pruned come from rollups (Avg from the rollup's sum, Max
// from its maximum).
func (d *DB) Latency(ctx context.Context, monitorID string, since time.Time, n int) ([]store.LatencyPoint, error) {
	now := ms(d.now())
	s := ms(since)
	n = max(1, min(n, 1000))
	if s >= now {
		return []store.LatencyPoint{}, nil
	}
	width := max(1, (now-s+int64(n)-1)/int64(n))
	type acc struct{ total, failed, sum, max int64 }
	buckets := make([]acc, n)
	key, ok, err := d.lookupKey(ctx, monitorTable, monitorID)
	if err != nil {
		return nil, err
	}
	if ok {
		err := d.snapshot(ctx, func(rd querier) error {
			clear(buckets)
			// Raw results from cutoff on; rollups for whole hours before it.
			oldest, err := d.firstResult(ctx, rd, key)
			if err != nil {
				return err
			}
			cutoff := now
			if oldest.Valid {
				cutoff = oldest.Int64
				if f := floorHour(cutoff); f != cutoff {
					var one int
					err := rd.QueryRowContext(ctx, d.q("SELECT 1 FROM rollups WHERE monitor_key = ? AND hour = ?"), key, f).Scan(&one)
					switch {
					case err == nil:
						cutoff = f + hourMS
					case err != sql.ErrNoRows:
						return err
					}
				}
			}
			if s < cutoff {
				rows, err := rd.QueryContext(ctx, d.q("SELECT hour, total, failed, sum_us, max_us FROM rollups WHERE monitor_key = ? AND hour >= ? AND hour < ?"), key, s, min(cutoff, now))
				if err != nil {
					return err
				}
				for rows.Next() {
					var h, total, failed, sum, mx int64
					if err := rows.Scan(&h, &total, &failed, &sum, &mx); err != nil {
						rows.Close()
						return err
					}
					b := &buckets[min((h-s)/width, int64(n-1))]
					b.total += total
					b.failed += failed
					b.sum += sum
					b.max = max(b.max, mx)
				}
				if err := rowsDone(rows); err != nil {
					return err
				}
			}
			cond, sargs := inSlices("", max(s, cutoff), now)
			rows, err := rd.QueryContext(ctx, d.q("SELECT (t - ?) / ?, COUNT(*), CAST(COALESCE(SUM("+failedExpr+"), 0) AS BIGINT), CAST(COALESCE(SUM(duration_us), 0) AS BIGINT), COALESCE(MAX(duration_us), 0) FROM results WHERE monitor_key = ? AND t >= ? AND t < ?"+cond+" GROUP BY 1"),
				append([]any{s, width, key, max(s, cutoff), now}, sargs...)...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var i, total, failed, sum, mx int64
				if err := rows.Scan(&i, &total, &failed, &sum, &mx); err != nil {
					rows.Close()
					return err
				}
				b := &buckets[max(0, min(i, int64(n-1)))]
				b.total += total
				b.failed += failed
				b.sum += sum
				b.max = max(b.max, mx)
			}
			if err := rowsDone(rows); err != nil {
				return err
			}
			packed, err := d.packsOf(ctx, rd, []int64{key}, slice(max(s, cutoff)), slice(now-1), max(s, cutoff), now, false)
			for _, r := range packed {
				b := &buckets[max(0, min((r.t-s)/width, int64(n-1)))]
				b.total++
				b.failed += failedOf(r.status)
				b.sum += r.dur
				b.max = max(b.max, r.dur)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("read latency of monitor %q: %w", monitorID, err)
		}
	}
	out := make([]store.LatencyPoint, n)
	for i, b := range buckets {
		p := store.LatencyPoint{Time: fromMS(s + int64(i)*width), Total: int(b.total), Failed: int(b.failed), Max: us(b.max)}
		if b.total > 0 {
			p.Avg = us(b.sum / b.total)
		}
		out[i] = p
	}
	return out, nil
}

// Prune deletes raw results older than rawBefore, and rollups, transitions,
// notification attempts, finished outbox messages, alerts resolved and
// alert links used before rollupBefore. It deletes in short transactions, a slice of monitors at a
// time, so writers are not held up. On SQLite it returns free pages to the
// file system once they exceed a tenth of the file.
func (d *DB) Prune(ctx context.Context, rawBefore, rollupBefore time.Time) (int64, error) {
	rows, err := d.read.QueryContext(ctx, "SELECT key FROM monitors ORDER BY key")
	if err != nil {
		return 0, fmt.Errorf("prune old results: %w", err)
	}
	var keys []any
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return 0, fmt.Errorf("prune old results: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rowsDone(rows); err != nil {
		return 0, fmt.Errorf("prune old results: %w", err)
	}
	var total int64
	exec := func(what, q string, args ...any) error {
		res, err := d.write.ExecContext(ctx, d.q(q), args...)
		if err != nil {
			return fmt.Errorf("prune old %s: %w", what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("prune old %s: %w", what, err)
		}
		total += n
		return nil
	}
	raw, roll := ms(rawBefore), ms(rollupBefore)
	const chunk = 100
	for i := 0; i < len(keys); i += chunk {
		part := keys[i:min(i+chunk, len(keys))]
		in := strings.TrimSuffix(strings.Repeat("?,", len(part)), ",")
		if err := exec("results", "DELETE FROM results WHERE monitor_key IN ("+in+") AND t < ? AND "+sliceOf+" <= ?", append(part[:len(part):len(part)], raw, slice(raw-1))...); err != nil {
			return total, err
		}
		n, err := d.prunePacks(ctx, part, raw)
		total += n
		if err != nil {
			return total, fmt.Errorf("prune old results: %w", err)
		}
		if err := exec("rollups", "DELETE FROM rollups WHERE monitor_key IN ("+in+") AND hour < ?", append(part[:len(part):len(part)], roll)...); err != nil {
			return total, err
		}
	}
	if err := exec("transitions", "DELETE FROM transitions WHERE t < ?", roll); err != nil {
		return total, err
	}
	if err := exec("notification attempts", "DELETE FROM attempts WHERE t < ?", roll); err != nil {
		return total, err
	}
	if err := exec("notifications", "DELETE FROM outbox WHERE state <> 'pending' AND created_at < ?", roll); err != nil {
		return total, err
	}
	if err := d.pruneAlerts(ctx, roll, exec); err != nil {
		return total, err
	}
	if !d.postgres && total > 0 {
		if err := d.vacuum(ctx); err != nil {
			return total, err
		}
	}
	return total, nil
}

// vacuum gives free pages back to the file system when they are more than a
// tenth of the SQLite file. Smaller amounts are left for new rows to reuse.
func (d *DB) vacuum(ctx context.Context) error {
	var free, pages int64
	if err := d.write.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		return fmt.Errorf("read SQLite free pages: %w", err)
	}
	if err := d.write.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return fmt.Errorf("read SQLite page count: %w", err)
	}
	if free < 1024 || free*10 < pages {
		return nil
	}
	if _, err := d.write.ExecContext(ctx, "PRAGMA incremental_vacuum"); err != nil {
		return fmt.Errorf("return free SQLite pages: %w", err)
	}
	d.log.Info("returned free database pages to the file system", "pages", free)
	return nil
}
