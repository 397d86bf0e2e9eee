package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// hostile are texts that the COPY text format escapes or that a database
// may refuse: tabs, newlines, backslashes, \N, NUL, invalid UTF-8, and
// long ones.
var hostile = []string{
	"tab\there", "line\nbreak\r\n", `back\slash \N \\N \x41`, "nul \x00 byte", "bad utf-8 \xff\xfe", "ünïcødé ✓ 🚨",
	"=HYPERLINK(\"x\")", strings.Repeat("long ", 2000),
}

// crossData is what the test writes into the first database and reads
// back from each restored one, through the store.
type crossData struct {
	Results     map[string][]probe.Result
	Transitions []monitor.Transition
	Pings       []store.Ping
	Users       []store.User
	Monitors    []store.StoredMonitor
	Audit       []store.AuditEntry
}

func fillCross(t *testing.T, ctx context.Context, db *sqlstore.DB, base time.Time) {
	t.Helper()
	u, err := db.CreateUser(ctx, store.User{Name: "ada " + hostile[0], PasswordHash: "h", Role: store.RoleResponder, OIDCSubject: "https://id.example.com sub-1"})
	must(t, err)
	for i, h := range hostile {
		_, err := db.CreateMonitor(ctx, store.StoredMonitor{ID: fmt.Sprint("api-", i), Spec: "id: x\nname: " + h + "\n", CreatedBy: h})
		must(t, err)
		_, err = db.AddAudit(ctx, store.AuditEntry{Time: base.Add(time.Duration(i) * time.Second), Actor: "user:ada", User: u.Name, IP: "192.0.2.1", Action: "monitor.pause", ObjectKind: "monitor", ObjectID: h, Summary: h})
		must(t, err)
	}
	// An hour of results every 10 s for three monitors, with reasons,
	// metrics (stored as detail) and every status.
	var b store.Batch
	for i := range 360 {
		at := base.Add(time.Duration(i) * 10 * time.Second)
		for m, id := range []string{"web", "db", "api"} {
			r := probe.Result{MonitorID: id, Time: at, Status: probe.Status(i % 4), Duration: time.Duration(i*1000+m) * time.Microsecond}
			if r.Status != probe.OK {
				r.Reason = hostile[(i+m)%len(hostile)]
			}
			if m == 0 {
				r.Metrics = []probe.Metric{{Name: "status_code", Value: float64(200 + i%5)}}
			}
			b.Results = append(b.Results, r)
		}
		if i%90 == 0 {
			b.Transitions = append(b.Transitions, monitor.Transition{MonitorID: "web", From: monitor.StatusUp, To: monitor.StatusDown, Time: at, Reason: hostile[i%len(hostile)], Flapping: i%180 == 0})
		}
	}
	must(t, db.SaveBatch(ctx, b))
	var pings []store.Ping
	for i, h := range hostile {
		pings = append(pings, store.Ping{HeartbeatID: "nightly", Time: base.Add(time.Duration(i) * time.Minute), Kind: "success",
			Body: []byte("out\x00\t\\\n\xff" + h), Truncated: i%2 == 0, Transport: "http", Method: "POST", Source: "192.0.2.7", UserAgent: h})
	}
	must(t, db.SavePings(ctx, store.PingBatch{Pings: pings}))
}

func readCross(t *testing.T, ctx context.Context, db *sqlstore.DB) crossData {
	t.Helper()
	d := crossData{Results: map[string][]probe.Result{}}
	for _, id := range []string{"web", "db", "api"} {
		for before := int64(0); ; {
			page, err := db.Results(ctx, id, store.Page{Limit: 1000, Before: before})
			must(t, err)
			for _, r := range page {
				d.Results[id] = append(d.Results[id], r.Result)
			}
			if len(page) < 1000 {
				break
			}
			before = page[len(page)-1].ID
		}
	}
	trs, err := db.Transitions(ctx, "web", store.Page{Limit: 100})
	must(t, err)
	for _, tr := range trs {
		d.Transitions = append(d.Transitions, tr.Transition)
	}
	pings, err := db.Pings(ctx, "nightly", store.Page{Limit: 100})
	must(t, err)
	for _, p := range pings {
		p.ID = 0
		d.Pings = append(d.Pings, p)
	}
	u, err := db.UserByOIDCSubject(ctx, "https://id.example.com sub-1")
	must(t, err)
	d.Users = append(d.Users, u)
	d.Monitors, err = db.StoredMonitors(ctx)
	must(t, err)
	d.Audit, err = db.AuditLog(ctx, store.AuditFilter{Page: store.Page{Limit: 100}})
	must(t, err)
	return d
}

// TestRestoreAcrossDrivers backs up a database of each driver, restores
// it into the other driver and back again, and reads the same data from
// all three through the store: results (on PostgreSQL most of them packed
// into result_packs first, so a restore into SQLite unpacks them), their
// reasons and metrics, transitions, pings with binary bodies, users,
// monitors made through the API and the audit log, all with text that
// COPY escapes or a database refuses. New ids go past the restored ones.
func TestRestoreAcrossDrivers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to func(*testing.T) backupTarget
	}{
		{"sqlite to postgres and back", sqliteTarget, postgresTarget},
		{"postgres to sqlite and back", postgresTarget, sqliteTarget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			now := func() time.Time { return base.Add(3 * time.Hour) }
			src := tc.from(t)
			src.opts.Now = now
			db, err := sqlstore.Open(ctx, src.opts)
			must(t, err)
			defer db.Close()
			fillCross(t, ctx, db, base)
			if src.opts.Driver == sqlstore.DriverPostgres {
				n, err := db.CompactResults(ctx, base.Add(50*time.Minute))
				must(t, err)
				var packs int
				must(t, src.raw(t).QueryRow("SELECT COUNT(*) FROM result_packs").Scan(&packs))
				if n == 0 || packs == 0 {
					t.Fatalf("compaction packed %d results into %d packs: the test needs packed results", n, packs)
				}
			}
			want := readCross(t, ctx, db)
			if len(want.Results["web"]) != 360 || len(want.Pings) != len(hostile) {
				t.Fatalf("the source reads %d results and %d pings", len(want.Results["web"]), len(want.Pings))
			}

			dir := t.TempDir()
			first := filepath.Join(dir, "first.backup")
			info, err := db.Backup(ctx, first, nil)
			must(t, err)
			mid := tc.to(t)
			mid.opts.Now = now
			if _, err := sqlstore.Restore(ctx, mid.opts, first, nil); err != nil {
				t.Fatalf("restore the %s backup into %s: %v", info.Driver, mid.opts.Driver, err)
			}
			mdb, err := sqlstore.Open(ctx, mid.opts)
			must(t, err)
			defer mdb.Close()
			got := readCross(t, ctx, mdb)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("restored into %s (-source +restored):\n%.5000s", mid.opts.Driver, diff)
			}
			// New rows get ids past the restored ones.
			c, err := mdb.AddAudit(ctx, store.AuditEntry{Time: now(), Actor: "cli", Action: "x"})
			must(t, err)
			if c.ID <= want.Audit[0].ID {
				t.Errorf("an audit entry added after the restore got id %d, not past %d", c.ID, want.Audit[0].ID)
			}

			second := filepath.Join(dir, "second.backup")
			_, err = mdb.Backup(ctx, second, nil)
			must(t, err)
			back := tc.from(t)
			back.opts.Now = now
			if _, err := sqlstore.Restore(ctx, back.opts, second, nil); err != nil {
				t.Fatalf("restore the %s backup back into %s: %v", mid.opts.Driver, back.opts.Driver, err)
			}
			bdb, err := sqlstore.Open(ctx, back.opts)
			must(t, err)
			defer bdb.Close()
			again := readCross(t, ctx, bdb)
			again.Audit = again.Audit[1:] // the entry added in between
			if !reflect.DeepEqual(want, again) {
				t.Errorf("after the round trip back into %s the data differs: %s", back.opts.Driver, cmp.Diff(want, again))
			}
		})
	}
}
