package sqlstore_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// TestStatesSinceLateCommit: on PostgreSQL, a transaction that began
// before a read and commits after it has its state in the next read,
// although a transaction that began after it committed first: marks are
// not taken in commit order.
func TestStatesSinceLateCommit(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	db := openStore(t, "postgres", dsn, nil)
	ctx := context.Background()
	up := monitor.State{Status: monitor.StatusUp, Since: time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.SaveBatch(ctx, store.Batch{States: map[string]monitor.State{"early": up, "late": up}}))
	_, mark, err := db.MonitorStatesSince(ctx, 0, "")
	must(err)

	// A transaction saving the state of "early" the way SaveBatch does,
	// left open while another saves "late" and commits.
	raw, err := sql.Open("pgx", dsn)
	must(err)
	defer raw.Close()
	tx, err := raw.BeginTx(ctx, nil)
	must(err)
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `UPDATE monitor_states SET state = '{"status":"down","since":"2024-03-04T00:00:00Z","consecutive_failures":0,"consecutive_successes":0,"last_status":0,"flapping":false}',
		changed = pg_current_xact_id()::text::bigint WHERE monitor_key = (SELECT key FROM monitors WHERE id = 'early')`)
	must(err)
	down := up
	down.Status = monitor.StatusDown
	must(db.SaveBatch(ctx, store.Batch{States: map[string]monitor.State{"late": down}}))
	got, mark, err := db.MonitorStatesSince(ctx, mark, "")
	must(err)
	if got["late"].Status != monitor.StatusDown {
		t.Fatalf("the read after late's commit = %v, want late down", got)
	}
	must(tx.Commit())
	got, _, err = db.MonitorStatesSince(ctx, mark, "")
	must(err)
	if got["early"].Status != monitor.StatusDown {
		t.Fatalf("the read after early's commit = %v, want early down: its transaction was passed over", got)
	}
}
