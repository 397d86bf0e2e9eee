package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

const replicaCols = "id, instance, host, pid, address, version, started_at, seen_at, buckets, monitors, lag_us"

// Heartbeat implements store.Replicas. One statement does it: the upsert
// only overwrites a row of the same instance or one gone stale, so two
// processes under one id cannot both win.
func (d *DB) Heartbeat(ctx context.Context, r store.Replica, staleBefore time.Time) (store.Replica, error) {
	if r.ID == "" || r.Instance == "" {
		return store.Replica{}, errs.Errorf(errs.EINVALID, "replica heartbeat: the id and instance are required")
	}
	res, err := d.write.ExecContext(ctx, d.q("INSERT INTO replicas ("+replicaCols+") VALUES "+placeholders(1, 11)+
		" ON CONFLICT (id) DO UPDATE SET instance = excluded.instance, host = excluded.host, pid = excluded.pid, address = excluded.address,"+
		" version = excluded.version, started_at = excluded.started_at, seen_at = excluded.seen_at, buckets = excluded.buckets,"+
		" monitors = excluded.monitors, lag_us = excluded.lag_us WHERE replicas.instance = excluded.instance OR replicas.seen_at < ?"),
		text(r.ID), text(r.Instance), text(r.Host), r.PID, text(r.Address), text(r.Version), ms(r.Started), ms(r.Seen),
		r.Buckets, r.Monitors, r.Lag.Microseconds(), ms(staleBefore))
	if err != nil {
		return store.Replica{}, refused(fmt.Errorf("recording replica %q: %w", r.ID, err))
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return r, err
	}
	row := d.read.QueryRowContext(ctx, d.q("SELECT "+replicaCols+" FROM replicas WHERE id = ?"), text(r.ID))
	other, err := scanReplica(row)
	if err != nil {
		return store.Replica{}, fmt.Errorf("reading replica %q: %w", r.ID, err)
	}
	return other, errs.Errorf(errs.ECONFLICT, "replica id %q is in use by another process (instance %s on %s, pid %d, last seen %s)",
		r.ID, other.Instance, other.Host, other.PID, other.Seen.Format(time.RFC3339))
}

type scanner interface{ Scan(dest ...any) error }

func scanReplica(s scanner) (store.Replica, error) {
	var r store.Replica
	var started, seen, lag int64
	if err := s.Scan(&r.ID, &r.Instance, &r.Host, &r.PID, &r.Address, &r.Version, &started, &seen, &r.Buckets, &r.Monitors, &lag); err != nil {
		return r, err
	}
	r.Started, r.Seen, r.Lag = fromMS(started), fromMS(seen), time.Duration(lag)*time.Microsecond
	return r, nil
}

// Replicas implements store.Replicas.
func (d *DB) Replicas(ctx context.Context) ([]store.Replica, error) {
	rows, err := d.read.QueryContext(ctx, "SELECT "+replicaCols+" FROM replicas ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("listing replicas: %w", err)
	}
	defer rows.Close()
	var out []store.Replica
	for rows.Next() {
		r, err := scanReplica(rows)
		if err != nil {
			return nil, fmt.Errorf("listing replicas: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LeaveReplica implements store.Replicas.
func (d *DB) LeaveReplica(ctx context.Context, id, instance string) error {
	if _, err := d.write.ExecContext(ctx, d.q("DELETE FROM replicas WHERE id = ? AND instance = ?"), text(id), text(instance)); err != nil {
		return fmt.Errorf("removing replica %q: %w", id, err)
	}
	return nil
}

// ForgetReplicas implements store.Replicas.
func (d *DB) ForgetReplicas(ctx context.Context, t time.Time) (int, error) {
	res, err := d.write.ExecContext(ctx, d.q("DELETE FROM replicas WHERE seen_at < ?"), ms(t))
	if err != nil {
		return 0, fmt.Errorf("forgetting replicas: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// maxBuckets bounds the bucket count a caller may ask for.
const maxBuckets = 1 << 16

// BucketLeases implements store.Replicas.
func (d *DB) BucketLeases(ctx context.Context, n int) ([]store.BucketLease, error) {
	if n < 1 || n > maxBuckets {
		return nil, errs.Errorf(errs.EINVALID, "bucket leases: the bucket count must be from 1 to %d, not %d", maxBuckets, n)
	}
	out, err := d.bucketLeases(ctx, n)
	if err != nil || len(out) == n {
		return out, err
	}
	series := "WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g + 1 < ?) SELECT g, '', 0 FROM s WHERE true"
	if d.postgres {
		series = "SELECT g, '', 0 FROM generate_series(0, ? - 1) g"
	}
	if _, err := d.write.ExecContext(ctx, d.q("INSERT INTO bucket_leases (bucket, owner, lease_until) "+series+" ON CONFLICT (bucket) DO NOTHING"), n); err != nil {
		return nil, fmt.Errorf("creating bucket leases: %w", err)
	}
	return d.bucketLeases(ctx, n)
}

func (d *DB) bucketLeases(ctx context.Context, n int) ([]store.BucketLease, error) {
	rows, err := d.read.QueryContext(ctx, d.q("SELECT bucket, owner, lease_until FROM bucket_leases WHERE bucket < ? ORDER BY bucket"), n)
	if err != nil {
		return nil, fmt.Errorf("reading bucket leases: %w", err)
	}
	return scanLeases(rows)
}

func scanLeases(rows *sql.Rows) ([]store.BucketLease, error) {
	defer rows.Close()
	var out []store.BucketLease
	for rows.Next() {
		var l store.BucketLease
		var until int64
		if err := rows.Scan(&l.Bucket, &l.Owner, &until); err != nil {
			return nil, fmt.Errorf("reading bucket leases: %w", err)
		}
		l.Until = fromMS(until)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading bucket leases: %w", err)
	}
	return out, nil
}

// inBuckets returns the condition "bucket is one of these" and its
// argument: an array on PostgreSQL, a JSON list read with json_each on
// SQLite, so one statement text serves any number of buckets.
func (d *DB) inBuckets(col string, buckets []int) (string, any) {
	if d.postgres {
		a := make([]int32, len(buckets))
		for i, b := range buckets {
			a[i] = int32(b)
		}
		return col + " = ANY(?)", a
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, n := range buckets {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(n))
	}
	b.WriteByte(']')
	return col + " IN (SELECT value FROM json_each(?))", b.String()
}

func checkOwner(what, owner string) error {
	if owner == "" {
		return errs.Errorf(errs.EINVALID, "%s: the owner is empty", what)
	}
	return nil
}

// ClaimBuckets implements store.Replicas. On PostgreSQL the rows are
// locked with FOR UPDATE SKIP LOCKED, so two replicas claiming at once
// take disjoint buckets and neither waits; SQLite has one writer.
//
// Taking over buckets whose lease another replica let end also locks
// that replica's registry row FOR UPDATE: its fenced writes hold the row
// FOR KEY SHARE until they commit (checkFence), so a takeover waits for
// a write already past its fence check, and a write that has not checked
// yet sees the new owner.
func (d *DB) ClaimBuckets(ctx context.Context, owner string, buckets []int, now, until time.Time) ([]store.BucketLease, error) {
	if err := checkOwner("claim buckets", owner); err != nil || len(buckets) == 0 {
		return nil, err
	}
	owner = text(owner)
	in, arg := d.inBuckets("bucket", buckets)
	q := "SELECT bucket, owner, lease_until FROM bucket_leases WHERE " + in + " AND (owner = '' OR owner = ? OR lease_until <= ?) ORDER BY bucket"
	if d.postgres {
		q += " FOR UPDATE SKIP LOCKED"
	}
	var out []store.BucketLease
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, d.q(q), arg, owner, ms(now))
		if err != nil {
			return err
		}
		if out, err = scanLeases(rows); err != nil || len(out) == 0 {
			return err
		}
		taken := make([]int, len(out))
		var from []string
		for i, l := range out {
			taken[i] = l.Bucket
			if l.Owner != "" && l.Owner != owner && !slices.Contains(from, l.Owner) {
				from = append(from, l.Owner)
			}
		}
		if d.postgres && len(from) > 0 {
			slices.Sort(from)
			rows, err := tx.QueryContext(ctx, "SELECT id FROM replicas WHERE id = ANY($1) ORDER BY id FOR UPDATE", from)
			if err != nil {
				return err
			}
			if err := rowsDone(rows); err != nil {
				return err
			}
		}
		in, arg := d.inBuckets("bucket", taken)
		_, err = tx.ExecContext(ctx, d.q("UPDATE bucket_leases SET owner = ?, lease_until = ? WHERE "+in), owner, ms(until), arg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claiming buckets: %w", err)
	}
	return out, nil
}

// RenewBuckets implements store.Replicas.
func (d *DB) RenewBuckets(ctx context.Context, owner string, buckets []int, until time.Time) ([]int, error) {
	if err := checkOwner("renew buckets", owner); err != nil || len(buckets) == 0 {
		return nil, err
	}
	in, arg := d.inBuckets("bucket", buckets)
	rows, err := d.write.QueryContext(ctx, d.q("UPDATE bucket_leases SET lease_until = ? WHERE owner = ? AND "+in+" RETURNING bucket"), ms(until), text(owner), arg)
	if err != nil {
		return nil, fmt.Errorf("renewing bucket leases: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var b int
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("renewing bucket leases: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("renewing bucket leases: %w", err)
	}
	return out, nil
}

// ReleaseBuckets implements store.Replicas.
func (d *DB) ReleaseBuckets(ctx context.Context, owner string, buckets []int, until time.Time) error {
	if err := checkOwner("release buckets", owner); err != nil || len(buckets) == 0 {
		return err
	}
	in, arg := d.inBuckets("bucket", buckets)
	if _, err := d.write.ExecContext(ctx, d.q("UPDATE bucket_leases SET owner = '', lease_until = ? WHERE owner = ? AND "+in), ms(until), text(owner), arg); err != nil {
		return fmt.Errorf("releasing bucket leases: %w", err)
	}
	return nil
}

var _ store.Replicas = (*DB)(nil)
