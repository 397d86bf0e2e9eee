package sqlstore_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit/proc"
)

// TestFencedBatchTakenOverMidway has a replica's batch write stall in the
// middle of its transaction (a row it writes is locked by another
// transaction, as a stalled network would leave it waiting) while the
// lease of its monitor's bucket ends and another replica takes it over.
// When the write goes on, PostgreSQL itself refuses it at the fence and
// nothing of it is stored: not the state, not the page. The same write
// with the lease still held commits.
func TestFencedBatchTakenOverMidway(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	clk := storetest.NewClock(start)
	s := openStore(t, "postgres", dsn, clk.Now)
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	ctx := t.Context()
	const ttl, margin = 15 * time.Second, 3 * time.Second
	if _, err := s.BucketLeases(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Heartbeat(ctx, store.Replica{ID: "a", Instance: "1", Seen: start}, start.Add(-ttl)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimBuckets(ctx, "a", []int{0, 1, 2}, start, start.Add(ttl)); err != nil {
		t.Fatal(err)
	}

	// midway writes monitor id down under a's lease of bucket, stalls it
	// on the row of id's state, runs meanwhile, and returns what the
	// write returned.
	midway := func(id string, bucket int, meanwhile func()) error {
		t.Helper()
		up := monitor.State{Status: monitor.StatusUp, Since: start}
		if err := s.SaveBatch(ctx, store.Batch{States: map[string]monitor.State{id: up}}); err != nil {
			t.Fatalf("SaveBatch of the up state: %v", err)
		}
		tx, err := raw.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var xid string
		if err := tx.QueryRowContext(ctx, "SELECT pg_current_xact_id()::xid::text").Scan(&xid); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "SELECT 1 FROM monitor_states WHERE monitor_key = (SELECT key FROM monitors WHERE id = $1) FOR UPDATE", id); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			done <- s.SaveBatch(ctx, storetest.FencedDown(id, start.Add(time.Second), &store.Fence{Owner: "a", Buckets: []int{bucket}, Margin: margin}))
		}()
		for waiting := 0; waiting == 0; {
			if err := raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_locks WHERE NOT granted AND locktype = 'transactionid' AND transactionid::text = $1", xid).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				t.Fatalf("SaveBatch returned %v without waiting for the locked row", err)
			case <-time.After(10 * time.Millisecond):
			}
		}
		meanwhile()
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return <-done
	}
	states := func() map[string]monitor.State {
		t.Helper()
		st, err := s.MonitorStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	if err := midway("held", 0, func() {}); err != nil {
		t.Fatalf("a write under a lease still held = %v, want it committed", err)
	}
	if st := states()["held"]; st.Status != monitor.StatusDown {
		t.Errorf("state after the write under a held lease = %s, want down", st.Status)
	}

	err = midway("taken", 1, func() {
		// a's lease ended (no renewal) and b takes the bucket over.
		clk.Set(start.Add(ttl))
		got, err := s.ClaimBuckets(ctx, "b", []int{1}, start.Add(ttl), start.Add(2*ttl))
		if err != nil || len(got) != 1 {
			t.Fatalf("b's takeover during the write = %v, %v; want bucket 1", got, err)
		}
	})
	if lost, ok := store.LeaseLost(err); !ok || !slices.Equal(lost, []int{1}) {
		t.Fatalf("a write whose lease was taken over midway = %v, want the lease of bucket 1 lost", err)
	}
	if st := states()["taken"]; st.Status != monitor.StatusUp {
		t.Errorf("state after the refused write = %s, want up as before it", st.Status)
	}
	rs, err := s.Results(ctx, "taken", store.Page{})
	if err != nil || len(rs) != 0 {
		t.Errorf("the refused write stored %d results (%v), want none", len(rs), err)
	}
	msgs, err := s.ChannelMessages(ctx, []string{"ops"}, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Event.MonitorID == "taken" {
			t.Errorf("the refused write queued notification %q", m.ID)
		}
	}
}

// TestTakeoverWaitsForAFencedWrite: a write past its fence check holds its
// replica's registry row (FOR KEY SHARE) until it ends, and a replica
// taking over buckets whose lease that replica let end waits for it, so
// the write cannot commit after the takeover; the replica's own
// heartbeats do not wait.
func TestTakeoverWaitsForAFencedWrite(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	s := openStore(t, "postgres", dsn, func() time.Time { return start })
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	ctx := t.Context()
	const ttl = 15 * time.Second
	if _, err := s.BucketLeases(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Heartbeat(ctx, store.Replica{ID: "a", Instance: "1", Seen: start}, start.Add(-ttl)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimBuckets(ctx, "a", []int{0}, start, start.Add(ttl)); err != nil {
		t.Fatal(err)
	}
	// A's write, past its check, as checkFence leaves it.
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT 1 FROM replicas WHERE id = 'a' FOR KEY SHARE"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Heartbeat(ctx, store.Replica{ID: "a", Instance: "1", Seen: start.Add(time.Second)}, start.Add(-ttl)); err != nil {
		t.Fatalf("a's heartbeat during its write: %v", err)
	}
	claimed := make(chan []store.BucketLease, 1)
	go func() {
		got, err := s.ClaimBuckets(ctx, "b", []int{0}, start.Add(ttl), start.Add(2*ttl))
		if err != nil {
			t.Error(err)
		}
		claimed <- got
	}()
	select {
	case got := <-claimed:
		t.Fatalf("b took %v over while a's write was past its fence check", got)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := <-claimed; len(got) != 1 || got[0].Owner != "a" {
		t.Fatalf("b's takeover once a's write ended = %v, want bucket 0 from a", got)
	}
}

// TestStalledTransactionEndedByTheServer stalls the network (a proxy that
// holds every byte, closing nothing) in the middle of a replica's batch
// write, once the server has begun it. With IdleInTransaction set, as
// replicas set it, PostgreSQL ends the transaction waiting for its
// client, so the rows it locked are free for the monitors' next owner
// while the network is still stalled; when it resumes, the write fails
// and nothing of it was stored.
func TestStalledTransactionEndedByTheServer(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresDSN(t)
	proxy := proc.NewProxy(t, proc.HostOf(t, dsn))
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	s, err := sqlstore.Open(t.Context(), sqlstore.Options{Driver: sqlstore.DriverPostgres, DSN: proc.WithHost(t, dsn, proxy.Addr()),
		Now: func() time.Time { return start }, IdleInTransaction: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	ctx := t.Context()
	if err := s.SaveBatch(ctx, store.Batch{States: map[string]monitor.State{"web": {Status: monitor.StatusUp, Since: start}}}); err != nil {
		t.Fatal(err)
	}
	// The write waits on a row lock, inside its transaction, and the
	// network stalls while it waits.
	tx, err := raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var xid string
	if err := tx.QueryRowContext(ctx, "SELECT pg_current_xact_id()::xid::text").Scan(&xid); err != nil {
		t.Fatal(err)
	}
	lockState := "SELECT 1 FROM monitor_states WHERE monitor_key = (SELECT key FROM monitors WHERE id = 'web') FOR UPDATE"
	if _, err := tx.ExecContext(ctx, lockState); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.SaveBatch(ctx, storetest.FencedDown("web", start, nil)) }()
	var writer int
	for writer == 0 {
		err := raw.QueryRowContext(ctx, "SELECT pid FROM pg_locks WHERE NOT granted AND locktype = 'transactionid' AND transactionid::text = $1", xid).Scan(&writer)
		if err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	proxy.Stall()
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// The write takes the row, and waits for its client.
	for state := ""; state != "idle in transaction"; time.Sleep(10 * time.Millisecond) {
		if err := raw.QueryRowContext(ctx, "SELECT coalesce(state, '') FROM pg_stat_activity WHERE pid = $1", writer).Scan(&state); err != nil {
			t.Fatal(err)
		}
	}
	// The next owner's write of the same row goes through while the
	// stalled one's client still hears nothing.
	next, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := raw.ExecContext(next, "UPDATE monitor_states SET state = state WHERE monitor_key = (SELECT key FROM monitors WHERE id = 'web')"); err != nil {
		t.Fatalf("the rows of a transaction stalled on the network stay locked: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("the stalled write returned %v before the network resumed", err)
	default:
	}
	proxy.Resume()
	if err := <-done; err == nil {
		t.Fatal("the write ended by the server while stalled reports success")
	}
	states, err := s.MonitorStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := states["web"]; st.Status != monitor.StatusUp {
		t.Errorf("state after the write ended by the server = %s, want up as before", st.Status)
	}
}
