package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// The alert changes of a batch used to be applied one at a time, each
// with its own statements. refApplyAlertChange and refReleaseAlertMonitor
// are that code, kept as the reference the batch code must agree with.

// refApplyAlertChange applies one change as the store once did.
func (d *DB) refApplyAlertChange(ctx context.Context, tx execer, c store.AlertChange) error {
	c.GroupKey, c.MonitorID, c.ServiceID, c.PolicyID, c.Reason, c.ImpactedBy = text(c.GroupKey), text(c.MonitorID), text(c.ServiceID), text(c.PolicyID), text(c.Reason), text(c.ImpactedBy)
	at := ms(c.Time)
	if c.Released != "" {
		moved, err := d.refReleaseAlertMonitor(ctx, tx, c)
		if err != nil || !moved {
			return err
		}
	}
	var id int64
	var step int
	var updated sql.NullInt64
	err := tx.QueryRowContext(ctx, d.q("SELECT id, step, updated_at FROM alerts WHERE group_key = ? AND state <> 'resolved'"+d.forUpdate()), c.GroupKey).Scan(&id, &step, &updated)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if err == sql.ErrNoRows {
		if !c.Down {
			return nil // a recovery no alert waits for
		}
		if err := tx.QueryRowContext(ctx, d.q("INSERT INTO alerts (group_key, service_id, policy_id, state, opened_at) VALUES (?, ?, ?, 'open', ?) RETURNING id"),
			c.GroupKey, c.ServiceID, c.PolicyID, at).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, d.q("INSERT INTO alert_monitors (alert_id, monitor_id, status, reason, joined_at, changed_at, impacted_by) VALUES (?, ?, 'down', ?, ?, ?, ?)"),
			id, c.MonitorID, c.Reason, at, at, c.ImpactedBy); err != nil {
			return err
		}
		if err := d.addAction(ctx, tx, store.AlertAction{AlertID: id, Time: c.Time, Kind: store.ActionOpened, Who: "system", Detail: "monitor " + c.MonitorID + " failed: " + c.Reason}); err != nil {
			return err
		}
		if !c.FirstStep.IsZero() {
			return d.addTimer(ctx, tx, store.AlertTimer{AlertID: id, DueAt: c.FirstStep, Kind: store.TimerStep, Step: 1})
		}
		return nil
	}
	var status string
	err = tx.QueryRowContext(ctx, d.q("SELECT status FROM alert_monitors WHERE alert_id = ? AND monitor_id = ?"), id, c.MonitorID).Scan(&status)
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	known := err == nil
	if !c.Down {
		if !known || status != "down" {
			return nil
		}
		if _, err := tx.ExecContext(ctx, d.q("UPDATE alert_monitors SET status = 'up', changed_at = ? WHERE alert_id = ? AND monitor_id = ?"), at, id, c.MonitorID); err != nil {
			return err
		}
		if err := d.addAction(ctx, tx, store.AlertAction{AlertID: id, Time: c.Time, Kind: store.ActionRecovered, Who: "system", Detail: "monitor " + c.MonitorID + " recovered"}); err != nil {
			return err
		}
		var down int
		if err := tx.QueryRowContext(ctx, d.q("SELECT COUNT(*) FROM alert_monitors WHERE alert_id = ? AND status = 'down'"), id).Scan(&down); err != nil {
			return err
		}
		if down > 0 {
			return nil
		}
		return d.resolveAlert(ctx, tx, id, "system", c.Time, "every monitor recovered")
	}
	switch {
	case known && status == "down":
		_, err := tx.ExecContext(ctx, d.q("UPDATE alert_monitors SET reason = ? WHERE alert_id = ? AND monitor_id = ?"), c.Reason, id, c.MonitorID)
		return err
	case known:
		if _, err := tx.ExecContext(ctx, d.q("UPDATE alert_monitors SET status = 'down', reason = ?, changed_at = ?, impacted_by = ? WHERE alert_id = ? AND monitor_id = ?"), c.Reason, at, c.ImpactedBy, id, c.MonitorID); err != nil {
			return err
		}
	default:
		if _, err := tx.ExecContext(ctx, d.q("INSERT INTO alert_monitors (alert_id, monitor_id, status, reason, joined_at, changed_at, impacted_by) VALUES (?, ?, 'down', ?, ?, ?, ?)"),
			id, c.MonitorID, c.Reason, at, at, c.ImpactedBy); err != nil {
			return err
		}
	}
	detail := "monitor " + c.MonitorID + " failed: " + c.Reason
	if c.ImpactedBy != "" {
		detail = "monitor " + c.MonitorID + " failed, impacted by " + c.ImpactedBy + ": " + c.Reason
	}
	if err := d.addAction(ctx, tx, store.AlertAction{AlertID: id, Time: c.Time, Kind: store.ActionJoined, Who: "system", Detail: detail}); err != nil {
		return err
	}
	// Before the first page nobody needs an update: the page lists every
	// monitor. After it, one alert.updated per interval at most: a
	// pending update timer carries every join until it fires.
	if step == 0 {
		return nil
	}
	var pending int
	if err := tx.QueryRowContext(ctx, d.q("SELECT COUNT(*) FROM alert_timers WHERE alert_id = ? AND kind = 'update'"), id).Scan(&pending); err != nil {
		return err
	}
	if pending > 0 {
		return nil
	}
	due := c.Time
	if updated.Valid {
		if next := fromMS(updated.Int64).Add(c.UpdateEvery); next.After(due) {
			due = next
		}
	}
	return d.addTimer(ctx, tx, store.AlertTimer{AlertID: id, DueAt: due, Kind: store.TimerUpdate})
}

// refReleaseAlertMonitor is the reference's release of a monitor.
func (d *DB) refReleaseAlertMonitor(ctx context.Context, tx execer, c store.AlertChange) (bool, error) {
	c.Released = text(c.Released)
	rows, err := tx.QueryContext(ctx, d.q("SELECT am.alert_id FROM alert_monitors am JOIN alerts a ON a.id = am.alert_id "+
		"WHERE am.monitor_id = ? AND am.impacted_by = ? AND am.status = 'down' AND a.state <> 'resolved'"), c.MonitorID, c.Released)
	if err != nil {
		return false, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return false, err
		}
		ids = append(ids, id)
	}
	if err := rowsDone(rows); err != nil {
		return false, err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, d.q("UPDATE alert_monitors SET status = 'moved', changed_at = ? WHERE alert_id = ? AND monitor_id = ?"), ms(c.Time), id, c.MonitorID); err != nil {
			return false, err
		}
		if err := d.addAction(ctx, tx, store.AlertAction{AlertID: id, Time: c.Time, Kind: store.ActionRecovered, Who: "system",
			Detail: "monitor " + c.MonitorID + " is still failing on its own: " + c.Released + " recovered"}); err != nil {
			return false, err
		}
		var down int
		if err := tx.QueryRowContext(ctx, d.q("SELECT COUNT(*) FROM alert_monitors WHERE alert_id = ? AND status = 'down'"), id).Scan(&down); err != nil {
			return false, err
		}
		if down == 0 {
			if err := d.resolveAlert(ctx, tx, id, "system", c.Time, "every monitor recovered"); err != nil {
				return false, err
			}
		}
	}
	return len(ids) > 0, nil
}

// TestAlertChangesMatchOneByOne applies random batches of alert changes
// (failures, recoveries, joins, dependencies released, escalated and paged
// alerts between batches) to two stores: one applies each batch with the
// batch code, the other one change at a time with the reference. Every
// row of the alert tables must come out the same, but for the ids.
func TestAlertChangesMatchOneByOne(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{DriverSQLite, DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			seeds := 30
			if testing.Short() {
				seeds = 8
			}
			for seed := range uint64(seeds) {
				open := func() *DB {
					dsn := filepath.Join(t.TempDir(), "tocsin.db")
					if driver == DriverPostgres {
						dsn = storetest.PostgresDSN(t)
					}
					d, err := Open(t.Context(), Options{Driver: driver, DSN: dsn})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { d.Close() })
					return d
				}
				batch, ref := open(), open()
				rng := rand.New(rand.NewPCG(seed, 7))
				at := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
				for round := range 5 {
					cs := randomAlertChanges(rng, &at)
					if err := batch.inTx(t.Context(), func(tx *sql.Tx) error { return batch.saveAlertChanges(t.Context(), tx, slices.Clone(cs)) }); err != nil {
						t.Fatalf("seed %d round %d: batch: %v", seed, round, err)
					}
					if err := ref.inTx(t.Context(), func(tx *sql.Tx) error {
						for _, c := range cs {
							if err := ref.refApplyAlertChange(t.Context(), tx, c); err != nil {
								return err
							}
						}
						return nil
					}); err != nil {
						t.Fatalf("seed %d round %d: reference: %v", seed, round, err)
					}
					// Escalate and page some active alerts, the same on both.
					for _, key := range []string{"g0", "g1", "g2"} {
						if rng.IntN(2) == 0 {
							continue
						}
						at = at.Add(time.Second)
						for _, d := range []*DB{batch, ref} {
							for _, q := range []string{
								"UPDATE alerts SET step = 1, updated_at = ? WHERE group_key = ? AND state <> 'resolved'",
								"INSERT INTO alert_actions (alert_id, t, kind, who) SELECT id, ?, 'notified', 'system' FROM alerts WHERE group_key = ? AND state <> 'resolved'",
							} {
								if _, err := d.write.ExecContext(t.Context(), d.q(q), ms(at), key); err != nil {
									t.Fatal(err)
								}
							}
						}
					}
					want, got := dumpAlerts(t, ref), dumpAlerts(t, batch)
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("seed %d round %d: changes %v\nalert tables differ (-one by one +batch):\n%s", seed, round, cs, diff)
					}
				}
			}
		})
	}
}

// randomAlertChanges returns a batch over three group keys and four
// monitors, each change a millisecond after the one before.
func randomAlertChanges(rng *rand.Rand, at *time.Time) []store.AlertChange {
	n := 1 + rng.IntN(12)
	cs := make([]store.AlertChange, n)
	for i := range cs {
		*at = at.Add(time.Millisecond)
		c := store.AlertChange{
			GroupKey:    fmt.Sprintf("g%d", rng.IntN(3)),
			MonitorID:   fmt.Sprintf("m%d", rng.IntN(4)),
			ServiceID:   "svc",
			Down:        rng.IntN(3) > 0,
			Time:        *at,
			Reason:      fmt.Sprintf("reason %d", rng.IntN(3)),
			UpdateEvery: time.Duration(rng.IntN(3)) * time.Second,
		}
		if c.Down && rng.IntN(3) == 0 {
			c.FirstStep = at.Add(time.Minute)
		}
		switch rng.IntN(6) {
		case 0:
			c.ImpactedBy = "dep"
		case 1:
			c.Released, c.Down = "dep", true
		}
		cs[i] = c
	}
	return cs
}

// dumpAlerts reads every row of the alert tables, naming each alert by its
// group key and opening time instead of its id.
func dumpAlerts(t *testing.T, d *DB) []string {
	t.Helper()
	ctx := t.Context()
	names := map[int64]string{}
	var out []string
	read := func(q string, row func(*sql.Rows) (string, error)) {
		rows, err := d.read.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var part []string
		for rows.Next() {
			s, err := row(rows)
			if err != nil {
				t.Fatal(err)
			}
			part = append(part, s)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(part)
		out = append(out, part...)
	}
	read("SELECT id, group_key, service_id, policy_id, state, opened_at, resolved_by, resolved_at, step, snoozed_until FROM alerts", func(r *sql.Rows) (string, error) {
		var id, opened, step int64
		var key, svc, pol, state, by string
		var resolved, snoozed sql.NullInt64
		err := r.Scan(&id, &key, &svc, &pol, &state, &opened, &by, &resolved, &step, &snoozed)
		names[id] = fmt.Sprintf("%s@%d", key, opened)
		return fmt.Sprintf("alert %s %s %s %s by=%q at=%v step=%d snoozed=%v", names[id], svc, pol, state, by, resolved, step, snoozed), err
	})
	read("SELECT alert_id, monitor_id, status, reason, joined_at, changed_at, impacted_by FROM alert_monitors", func(r *sql.Rows) (string, error) {
		var id, joined, changed int64
		var mon, status, reason, imp string
		err := r.Scan(&id, &mon, &status, &reason, &joined, &changed, &imp)
		return fmt.Sprintf("member %s %s %s %q joined=%d changed=%d impacted=%q", names[id], mon, status, reason, joined, changed, imp), err
	})
	// The log of each alert in its order.
	seq := map[string]int{}
	rows, err := d.read.QueryContext(ctx, "SELECT alert_id, t, kind, who, detail FROM alert_actions ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for rows.Next() {
		var id, at int64
		var kind, who, detail string
		if err := rows.Scan(&id, &at, &kind, &who, &detail); err != nil {
			t.Fatal(err)
		}
		seq[names[id]]++
		acts = append(acts, fmt.Sprintf("action %s #%d t=%d %s %s %q", names[id], seq[names[id]], at, kind, who, detail))
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(acts)
	out = append(out, acts...)
	read("SELECT alert_id, due_at, kind, step, round, payload FROM alert_timers", func(r *sql.Rows) (string, error) {
		var id, due, step, round int64
		var kind, payload string
		err := r.Scan(&id, &due, &kind, &step, &round, &payload)
		return fmt.Sprintf("timer %s due=%d %s step=%d round=%d %q", names[id], due, kind, step, round, payload), err
	})
	return out
}
