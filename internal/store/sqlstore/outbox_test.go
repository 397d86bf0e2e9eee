package sqlstore_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, to damage a row behind the store's back

	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// TestClaimGivesUpUnreadableMessage damages the stored event of one
// notification: claiming must still hand out the others, and give the
// damaged one up where the notifications page shows it, instead of failing
// every claim from then on.
func TestClaimGivesUpUnreadableMessage(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{sqlstore.DriverSQLite, sqlstore.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			dsn, sqlDriver := filepath.Join(t.TempDir(), "tocsin.db"), "sqlite"
			if driver == sqlstore.DriverPostgres {
				dsn, sqlDriver = storetest.PostgresDSN(t), "pgx"
			}
			now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
			db := openStore(t, driver, dsn, func() time.Time { return now })
			var msgs []notify.OutboxMessage
			for _, id := range []string{"n1", "n2", "n3"} {
				msgs = append(msgs, notify.OutboxMessage{ID: id, Channel: "ops", NextAttempt: now, CreatedAt: now,
					Event: notify.Event{ID: id, Event: "monitor.down", MonitorID: "web", Status: "down", Time: now}})
			}
			if err := db.SaveBatch(t.Context(), store.Batch{Outbox: msgs}); err != nil {
				t.Fatal(err)
			}
			raw, err := sql.Open(sqlDriver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			if _, err := raw.ExecContext(t.Context(), "UPDATE outbox SET event = '{\"id\": ' WHERE id = 'n2'"); err != nil {
				t.Fatal(err)
			}

			got, err := db.ClaimDue(t.Context(), "me", now, time.Minute, 10)
			if err != nil {
				t.Fatalf("ClaimDue with one unreadable message: %v", err)
			}
			states := map[string]string{}
			for _, m := range got {
				states[m.ID] = m.State
			}
			if len(got) != 3 || states["n1"] != "pending" || states["n3"] != "pending" || states["n2"] != "failed" {
				t.Fatalf("claimed %v, want n1 and n3 pending and n2 given up", states)
			}
			if depth, err := db.OutboxDepth(t.Context()); err != nil || depth != 2 {
				t.Errorf("OutboxDepth = %d, %v; want 2", depth, err)
			}
			listed, err := db.OutboxMessages(t.Context(), "", store.Page{})
			if err != nil || len(listed) != 3 {
				t.Fatalf("OutboxMessages = %d, %v; want all 3 listed", len(listed), err)
			}
			for _, m := range listed {
				if m.ID == "n2" && (m.State != "failed" || !strings.Contains(m.LastError, "cannot be read")) {
					t.Errorf("n2 listed as %q, %q; want failed, saying it cannot be read", m.State, m.LastError)
				}
			}
			if again, err := db.ClaimDue(t.Context(), "me", now.Add(time.Hour), time.Minute, 10); err != nil || len(again) != 2 {
				t.Errorf("claiming after the leases ended: %d, %v; want n1 and n3 again", len(again), err)
			}
		})
	}
}
