package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// keyTable describes a table that maps text to a small integer key. Keys
// are never reassigned, so they are cached for the life of the DB.
type keyTable struct {
	table, col string
	keys       func(d *DB) map[string]int64
	names      func(d *DB) map[int64]string
}

var (
	monitorTable = keyTable{
		table: "monitors", col: "id",
		keys:  func(d *DB) map[string]int64 { return d.monitorKeys },
		names: func(d *DB) map[int64]string { return d.monitorIDs },
	}
	metricTable = keyTable{
		table: "metric_kinds", col: "spec",
		keys:  func(d *DB) map[string]int64 { return d.metricKeys },
		names: func(d *DB) map[int64]string { return d.metricSpecs },
	}
)

// ensureKeys returns the keys of names, creating the missing ones in a
// transaction of their own. Keys are created outside the caller's
// transaction so a cached key always exists in the database, even when the
// caller's transaction rolls back.
func (d *DB) ensureKeys(ctx context.Context, kt keyTable, names []string) (map[string]int64, error) {
	out := make(map[string]int64, len(names))
	var missing []string
	d.mu.Lock()
	cache := kt.keys(d)
	for _, n := range names {
		if k, ok := cache[n]; ok {
			out[n] = k
		} else if _, seen := out[n]; !seen {
			out[n] = 0
			missing = append(missing, n)
		}
	}
	d.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	// In order, so that writers registering the same names at once take
	// the unique index's locks in one order and never deadlock.
	slices.Sort(missing)
	const chunk = 500
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		for i := 0; i < len(missing); i += chunk {
			part := missing[i:min(i+chunk, len(missing))]
			args := make([]any, len(part))
			for j, n := range part {
				args[j] = text(n)
			}
			ins := fmt.Sprintf("INSERT INTO %s (%s) VALUES %s ON CONFLICT (%s) DO NOTHING",
				kt.table, kt.col, placeholders(len(part), 1), kt.col)
			if _, err := tx.ExecContext(ctx, d.q(ins), args...); err != nil {
				return fmt.Errorf("register %s: %w", kt.table, err)
			}
			sel := fmt.Sprintf("SELECT key, %s FROM %s WHERE %s IN (%s)",
				kt.col, kt.table, kt.col, strings.TrimSuffix(strings.Repeat("?,", len(part)), ","))
			rows, err := tx.QueryContext(ctx, d.q(sel), args...)
			if err != nil {
				return fmt.Errorf("read %s keys: %w", kt.table, err)
			}
			stored := make(map[string]int64, len(part))
			for rows.Next() {
				var k int64
				var n string
				if err := rows.Scan(&k, &n); err != nil {
					rows.Close()
					return fmt.Errorf("read %s keys: %w", kt.table, err)
				}
				stored[n] = k
			}
			if err := rowsDone(rows); err != nil {
				return fmt.Errorf("read %s keys: %w", kt.table, err)
			}
			for _, n := range part {
				out[n] = stored[text(n)]
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, n := range missing {
		if k := out[n]; k != 0 {
			kt.keys(d)[n] = k
			kt.names(d)[k] = text(n)
		}
	}
	return out, nil
}

// lookupKey returns the key of name, or ok false when it was never stored.
func (d *DB) lookupKey(ctx context.Context, kt keyTable, name string) (key int64, ok bool, err error) {
	d.mu.Lock()
	k, ok := kt.keys(d)[name]
	d.mu.Unlock()
	if ok {
		return k, true, nil
	}
	q := fmt.Sprintf("SELECT key FROM %s WHERE %s = ?", kt.table, kt.col)
	err = d.read.QueryRowContext(ctx, d.q(q), text(name)).Scan(&k)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("look up %s %q: %w", kt.table, name, err)
	}
	d.mu.Lock()
	kt.keys(d)[name] = k
	kt.names(d)[k] = text(name)
	d.mu.Unlock()
	return k, true, nil
}

// names resolves keys to their text, loading unknown ones from the table.
func (d *DB) names(ctx context.Context, kt keyTable, keys []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(keys))
	var missing []any
	d.mu.Lock()
	for _, k := range keys {
		if n, ok := kt.names(d)[k]; ok {
			out[k] = n
		} else if _, seen := out[k]; !seen {
			out[k] = ""
			missing = append(missing, k)
		}
	}
	d.mu.Unlock()
	for i := 0; i < len(missing); i += 500 {
		part := missing[i:min(i+500, len(missing))]
		q := fmt.Sprintf("SELECT key, %s FROM %s WHERE key IN (%s)",
			kt.col, kt.table, strings.TrimSuffix(strings.Repeat("?,", len(part)), ","))
		rows, err := d.read.QueryContext(ctx, d.q(q), part...)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", kt.table, err)
		}
		for rows.Next() {
			var k int64
			var n string
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read %s: %w", kt.table, err)
			}
			out[k] = n
			d.mu.Lock()
			kt.keys(d)[n] = k
			kt.names(d)[k] = n
			d.mu.Unlock()
		}
		if err := rowsDone(rows); err != nil {
			return nil, fmt.Errorf("read %s: %w", kt.table, err)
		}
	}
	return out, nil
}
