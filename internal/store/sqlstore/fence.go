package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// checkFence is the last statement of a fenced write: it fails the
// transaction with ECONFLICT wrapping a *store.LeaseLostError unless
// f.Owner holds the lease of every bucket of f.Buckets until more than
// f.Margin from now. A nil or empty fence checks nothing.
//
// On PostgreSQL the lease rows are read with FOR SHARE, in bucket order
// (as RenewBuckets and ReleaseBuckets lock them, so neither waits on the
// other in a circle): a replica taking one over must update the row,
// which it cannot do while this transaction holds it (ClaimBuckets skips
// such a row until its next round), so the write commits before any
// takeover of its buckets, or reads the new owner and rolls back. The check costs one statement that
// returns one row; the lost buckets are looked for only when it fails.
// On SQLite, whose writes are serialised, there is one process and the
// check is the same without the lock.
func (d *DB) checkFence(ctx context.Context, tx *sql.Tx, f *store.Fence) error {
	if f.Empty() {
		return nil
	}
	limit := ms(d.now().Add(f.Margin))
	buckets := slices.Compact(slices.Sorted(slices.Values(f.Buckets)))
	owner := text(f.Owner)
	in, arg := d.inBuckets("bucket", buckets)
	lock := ""
	if d.postgres {
		lock = " FOR SHARE"
	}
	var held int
	err := tx.QueryRowContext(ctx, d.q("SELECT COALESCE(SUM(CASE WHEN owner = ? AND lease_until > ? THEN 1 ELSE 0 END), 0)"+
		" FROM (SELECT owner, lease_until FROM bucket_leases WHERE "+in+" ORDER BY bucket"+lock+") l"), owner, limit, arg).Scan(&held)
	if err != nil {
		return fmt.Errorf("check the leases of the monitors written: %w", err)
	}
	if held == len(buckets) {
		return nil
	}
	rows, err := tx.QueryContext(ctx, d.q("SELECT bucket FROM bucket_leases WHERE "+in+" AND owner = ? AND lease_until > ?"), arg, owner, limit)
	if err != nil {
		return fmt.Errorf("check the leases of the monitors written: %w", err)
	}
	ok := map[int]bool{}
	for rows.Next() {
		var b int
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return fmt.Errorf("check the leases of the monitors written: %w", err)
		}
		ok[b] = true
	}
	if err := rowsDone(rows); err != nil {
		return fmt.Errorf("check the leases of the monitors written: %w", err)
	}
	var lost []int
	for _, b := range buckets {
		if !ok[b] {
			lost = append(lost, b)
		}
	}
	return &errs.Error{
		Code: errs.ECONFLICT,
		Message: fmt.Sprintf("write refused: replica %q no longer holds the leases of %d buckets of the monitors written (another replica took them over, or they end within %s)",
			f.Owner, len(lost), f.Margin),
		Err: &store.LeaseLostError{Owner: f.Owner, Buckets: lost},
	}
}
