package sqlstore_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

// backupTarget is a database to back up or restore into: the options
// that open it and a raw connection to compare its tables.
type backupTarget struct {
	opts sqlstore.Options
	raw  func(t *testing.T) *sql.DB
}

func sqliteTarget(t *testing.T) backupTarget {
	path := filepath.Join(t.TempDir(), "tocsin.db")
	return backupTarget{
		opts: sqlstore.Options{Driver: sqlstore.DriverSQLite, DSN: path},
		raw: func(t *testing.T) *sql.DB {
			db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	}
}

func postgresTarget(t *testing.T) backupTarget {
	dsn := storetest.PostgresDSN(t)
	return backupTarget{
		opts: sqlstore.Options{Driver: sqlstore.DriverPostgres, DSN: dsn},
		raw: func(t *testing.T) *sql.DB {
			db, err := sql.Open("pgx", dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
	}
}

var backupDrivers = []struct {
	name   string
	target func(*testing.T) backupTarget
}{
	{"sqlite", sqliteTarget},
	{"postgres", postgresTarget},
}

// dump reads every table of a database (the migrations' bookkeeping
// aside) as sorted lines of text, one per row.
func dump(t *testing.T, db *sql.DB, postgres bool) map[string][]string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'"
	if postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'"
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string][]string{}
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		lines := []string{}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = fmt.Sprintf("%x", bs)
				}
				if tm, ok := v.(time.Time); ok {
					v = tm.UTC().Format(time.RFC3339Nano)
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			lines = append(lines, b.String())
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		slices.Sort(lines)
		out[table] = lines
	}
	return out
}

// TestBackupUnderLoad backs a database up while writers add results,
// monitors, changes and audit entries, restores it into an empty one and
// finds every table as the backup's snapshot had it: the counts its header
// names, every row also in the source, and each writer's rows a prefix of
// what it wrote (a consistent snapshot has no holes).
func TestBackupUnderLoad(t *testing.T) {
	for _, drv := range backupDrivers {
		t.Run(drv.name, func(t *testing.T) {
			src, dst := drv.target(t), drv.target(t)
			ctx := t.Context()
			db, err := sqlstore.Open(ctx, src.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			if _, err := db.CreateUser(ctx, store.User{Name: "ada", PasswordHash: "x", Role: store.RoleAdmin}); err != nil {
				t.Fatal(err)
			}
			// A few rows before the writers start, so a backup taken at
			// once still holds something of each kind.
			for i := range 50 {
				must(t, db.SaveBatch(ctx, store.Batch{Results: []probe.Result{{MonitorID: "web", Time: base.Add(time.Duration(i) * time.Second), Status: probe.Critical, Duration: time.Millisecond, Reason: "503 \x00 ünïcode"}}}))
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			writer := func(fn func(i int) error) {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						if err := fn(i); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			writer(func(i int) error {
				return db.SaveBatch(ctx, store.Batch{Results: []probe.Result{
					{MonitorID: "api", Time: base.Add(time.Duration(i) * time.Second), Status: probe.OK, Duration: time.Duration(i) * time.Microsecond},
					{MonitorID: "db", Time: base.Add(time.Duration(i) * time.Second), Status: probe.Warning, Duration: time.Millisecond, Reason: fmt.Sprint("slow ", i)},
				}})
			})
			writer(func(i int) error {
				_, err := db.CreateMonitor(ctx, store.StoredMonitor{ID: fmt.Sprintf("m%06d", i), Spec: fmt.Sprintf("id: m%06d\ntype: http\n", i), CreatedBy: "ada"})
				return err
			})
			writer(func(i int) error {
				_, err := db.AddChange(ctx, store.Change{Title: fmt.Sprint("deploy ", i), Author: "ada", Time: base.Add(time.Duration(i) * time.Minute), Services: []string{"web"}})
				return err
			})
			time.Sleep(200 * time.Millisecond) // let the writers get going; the check does not depend on how far
			file := filepath.Join(t.TempDir(), "backup")
			info, err := db.Backup(ctx, file, nil)
			if err != nil {
				t.Fatal(err)
			}
			close(stop)
			wg.Wait()
			if info.Schema != sqlstore.KnownSchema(drv.name) || info.Driver != drv.name {
				t.Errorf("backup info = %+v", info)
			}
			if st, err := os.Stat(file); err != nil {
				t.Error(err)
			} else if st.Mode().Perm() != 0o600 {
				t.Errorf("the backup file has mode %v, want 0600", st.Mode())
			}

			restored, err := sqlstore.Restore(ctx, dst.opts, file, nil)
			if err != nil {
				t.Fatal(err)
			}
			if restored.Rows() != info.Rows() {
				t.Errorf("restore read %d rows, the backup wrote %d", restored.Rows(), info.Rows())
			}
			pg := drv.name == sqlstore.DriverPostgres
			got, all := dump(t, dst.raw(t), pg), dump(t, src.raw(t), pg)
			for _, tb := range info.Tables {
				if int64(len(got[tb.Name])) != tb.Rows {
					t.Errorf("table %s: %d rows restored, the backup holds %d", tb.Name, len(got[tb.Name]), tb.Rows)
				}
				if tb.Name == "result_writes" || tb.Name == "cursors" {
					continue // counters that move on after the snapshot
				}
				for _, row := range got[tb.Name] {
					if _, ok := slices.BinarySearch(all[tb.Name], row); !ok {
						t.Errorf("table %s: restored row %s is not in the source", tb.Name, row)
						break
					}
				}
			}
			if len(got["api_monitors"]) == 0 || len(got["changes"]) == 0 || len(got["users"]) != 1 {
				t.Errorf("the restored database lacks rows: %d monitors, %d changes, %d users", len(got["api_monitors"]), len(got["changes"]), len(got["users"]))
			}

			// The restored store opens and reads as the source did.
			rdb, err := sqlstore.Open(ctx, dst.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			mons, err := rdb.StoredMonitors(ctx)
			must(t, err)
			for i, m := range mons {
				if want := fmt.Sprintf("m%06d", i); m.ID != want {
					t.Fatalf("stored monitor %d is %s, want %s: the snapshot has a hole", i, m.ID, want)
				}
			}
			web, err := rdb.Results(ctx, "web", store.Page{Limit: 100})
			must(t, err)
			srcWeb, err := db.Results(ctx, "web", store.Page{Limit: 100})
			must(t, err)
			if len(web) != 50 || !reflect.DeepEqual(web, srcWeb) {
				t.Errorf("results of web after restore: %+v\nbefore: %+v", web, srcWeb)
			}
			// Results come a page of at most 1,000 at a time: read them all.
			var api []store.StoredResult
			for before := int64(0); ; {
				page, err := rdb.Results(ctx, "api", store.Page{Limit: 1000, Before: before})
				must(t, err)
				api = append(api, page...)
				if len(page) < 1000 {
					break
				}
				before = page[len(page)-1].ID
			}
			for i, r := range slices.Backward(api) {
				_ = i
				if want := base.Add(time.Duration(len(api)-1-i) * time.Second); !r.Time.Equal(want) {
					t.Fatalf("result of api at %s, want %s: the snapshot has a hole", r.Time, want)
				}
			}
			// New rows get new ids: the sequences went past the restored ones.
			c, err := rdb.AddChange(ctx, store.Change{Title: "after", Author: "ada", Time: base})
			must(t, err)
			var maxID int64
			for _, row := range got["changes"] {
				var id int64
				fmt.Sscanf(row, "id=%d|", &id)
				maxID = max(maxID, id)
			}
			if c.ID <= maxID {
				t.Errorf("a change added after the restore got id %d, not past the restored %d", c.ID, maxID)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestRestoreRefuses: a database that holds rows, a backup from a newer schema, a damaged or cut short file and a
// file that is no backup are each refused with a message naming the
// problem, and leave the target as it was.
func TestRestoreRefuses(t *testing.T) {
	for _, drv := range backupDrivers {
		t.Run(drv.name, func(t *testing.T) {
			ctx := t.Context()
			src := drv.target(t)
			db, err := sqlstore.Open(ctx, src.opts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				_, err := db.CreateMonitor(ctx, store.StoredMonitor{ID: fmt.Sprint("m", i), Spec: "id: x\n", CreatedBy: "ada"})
				must(t, err)
			}
			must(t, db.SaveBatch(ctx, store.Batch{Results: []probe.Result{{MonitorID: "web", Time: time.Now(), Status: probe.OK}}}))
			dir := t.TempDir()
			good := filepath.Join(dir, "good")
			if _, err := db.Backup(ctx, good, nil); err != nil {
				t.Fatal(err)
			}
			db.Close()
			data, err := os.ReadFile(good)
			must(t, err)

			write := func(name string, b []byte) string {
				p := filepath.Join(dir, name)
				must(t, os.WriteFile(p, b, 0o600))
				return p
			}
			type refusal struct {
				name, file, want, code string
				target                 sqlstore.Options
			}
			cases := []refusal{
				{"not empty", good, "is not empty: it holds api_monitors (3 rows), monitors (1 row), results (1 row)", errs.ECONFLICT, src.opts},
				{"truncated", write("cut", data[:len(data)*2/3]), "cut short", "", drv.target(t).opts},
				{"not a backup", write("notes.txt", []byte("hello, this is not a backup\n")), "is not a Tocsin backup: it is neither a SQLite database nor", errs.EINVALID, drv.target(t).opts},
			}
			if drv.name == sqlstore.DriverPostgres {
				cases = append(cases, refusal{"gzip of something else", write("other.gz", gzipped("{\"a\":1}\n")), "its first line is not a Tocsin backup header", errs.EINVALID, drv.target(t).opts})
			} else {
				cases = append(cases, refusal{"sqlite of something else", write("other.db", otherSQLite(t, dir)), "not one of Tocsin's: it has no goose_db_version table", errs.EINVALID, drv.target(t).opts})
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					_, err := sqlstore.Restore(ctx, c.target, c.file, nil)
					if err == nil || !strings.Contains(err.Error(), c.want) {
						t.Fatalf("Restore = %v, want an error with %q", err, c.want)
					}
					if c.code != "" && errs.Code(err) != c.code {
						t.Errorf("code %q, want %q", errs.Code(err), c.code)
					}
				})
			}
			// The refused restores left the source as it was, and a
			// target they were refused on is still empty: a good restore
			// into it works.
			again, err := sqlstore.Open(ctx, src.opts)
			must(t, err)
			mons, err := again.StoredMonitors(ctx)
			again.Close()
			if err != nil || len(mons) != 3 {
				t.Errorf("after the refusals the source has %d monitors, %v", len(mons), err)
			}
		})
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	io.WriteString(w, s)
	w.Close()
	return b.Bytes()
}

func otherSQLite(t *testing.T, dir string) []byte {
	p := filepath.Join(dir, "plain.db")
	db, err := sql.Open("sqlite", p)
	must(t, err)
	_, err = db.Exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi')")
	must(t, err)
	db.Close()
	b, err := os.ReadFile(p)
	must(t, err)
	return b
}

// TestNewerSchemaRefused: a database a newer tocsin migrated is refused by
// Open (the server and every command) and by a read-only Open, with the
// versions in the message; a backup from it is refused by Restore.
func TestNewerSchemaRefused(t *testing.T) {
	for _, drv := range backupDrivers {
		t.Run(drv.name, func(t *testing.T) {
			ctx := t.Context()
			tg := drv.target(t)
			db, err := sqlstore.Open(ctx, tg.opts)
			must(t, err)
			file := filepath.Join(t.TempDir(), "backup")
			known := sqlstore.KnownSchema(drv.name)
			future := known + 6
			old := filepath.Join(t.TempDir(), "old")
			if _, err := db.Backup(ctx, old, nil); err != nil {
				t.Fatal(err)
			}
			newer := futureBackup(t, old, drv.name, future)
			_, err = sqlstore.Restore(ctx, drv.target(t).opts, newer, nil)
			if want := fmt.Sprintf("the backup is schema %d, and this tocsin knows schemas up to %d: upgrade tocsin first", future, known); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Restore of a newer backup = %v, want %q", err, want)
			}
			bump(t, ctx, tg, future)
			_, err = db.Backup(ctx, file, nil)
			want := fmt.Sprintf("database is at schema %d, and this tocsin knows schemas up to %d", future, known)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Backup of a newer database = %v, want %q", err, want)
			}
			db.Close()
			for _, ro := range []bool{false, true} {
				o := tg.opts
				o.ReadOnly = ro
				_, err := sqlstore.Open(ctx, o)
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Open(ReadOnly=%v) = %v, want %q", ro, err, want)
				}
			}
		})
	}
}

// bump records a migration newer than this build knows, as a later
// version of tocsin would.
func bump(t *testing.T, ctx context.Context, tg backupTarget, version int64) {
	t.Helper()
	db := tg.raw(t)
	if tg.opts.Driver == sqlstore.DriverSQLite {
		var err error
		db, err = sql.Open("sqlite", tg.opts.DSN)
		must(t, err)
		defer db.Close()
	}
	q := "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)"
	if tg.opts.Driver == sqlstore.DriverSQLite {
		q = "INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)"
	}
	if _, err := db.ExecContext(ctx, q, version); err != nil {
		t.Fatal(err)
	}
}

// futureBackup is a copy of the backup at path as a later tocsin at
// schema version would have written it.
func futureBackup(t *testing.T, path, driver string, version int64) string {
	t.Helper()
	out := path + ".future"
	data, err := os.ReadFile(path)
	must(t, err)
	if driver == sqlstore.DriverSQLite {
		must(t, os.WriteFile(out, data, 0o600))
		db, err := sql.Open("sqlite", out)
		must(t, err)
		defer db.Close()
		_, err = db.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)", version)
		must(t, err)
		return out
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	must(t, err)
	plain, err := io.ReadAll(zr)
	must(t, err)
	head, rest, _ := bytes.Cut(plain, []byte("\n"))
	var info map[string]any
	must(t, json.Unmarshal(head, &info))
	info["schema"] = version
	head, err = json.Marshal(info)
	must(t, err)
	must(t, os.WriteFile(out, gzipped(string(head)+"\n"+string(rest)), 0o600))
	return out
}

// TestRestoreOlderSchema: a backup taken at an older schema is loaded at
// that schema and migrated forward, so the rows come through the
// migrations as an upgrade in place would take them.
func TestRestoreOlderSchema(t *testing.T) {
	for _, drv := range backupDrivers {
		t.Run(drv.name, func(t *testing.T) {
			ctx := t.Context()
			src, dst := drv.target(t), drv.target(t)
			must(t, sqlstore.MigrateTo(ctx, src.opts, 16))
			raw := src.raw(t)
			q := "INSERT INTO users (name, password_hash, admin, created_at) VALUES ($1, 'h', $2, 0)"
			admin := any(true)
			if drv.name == sqlstore.DriverSQLite {
				q, admin = strings.ReplaceAll(strings.ReplaceAll(q, "$1", "?"), "$2", "?"), 1
				var err error
				raw, err = sql.Open("sqlite", src.opts.DSN)
				must(t, err)
				defer raw.Close()
			}
			for _, n := range []string{"ada", "grace"} {
				_, err := raw.ExecContext(ctx, q, n, admin)
				must(t, err)
			}
			ro := src.opts
			ro.ReadOnly = true
			db, err := sqlstore.Open(ctx, ro)
			must(t, err)
			file := filepath.Join(t.TempDir(), "backup")
			info, err := db.Backup(ctx, file, nil)
			db.Close()
			must(t, err)
			if info.Schema != 16 {
				t.Errorf("backup schema %d, want 16", info.Schema)
			}
			// The target is empty but at this build's schema, as a server
			// started once on it leaves it: it is taken back to the
			// backup's schema before the rows go in.
			empty, err := sqlstore.Open(ctx, dst.opts)
			must(t, err)
			empty.Close()
			if _, err := sqlstore.Restore(ctx, dst.opts, file, nil); err != nil {
				t.Fatal(err)
			}
			rdb, err := sqlstore.Open(ctx, dst.opts)
			must(t, err)
			defer rdb.Close()
			v, err := rdb.SchemaVersion(ctx)
			must(t, err)
			if v != sqlstore.KnownSchema(drv.name) {
				t.Errorf("restored schema %d, want %d", v, sqlstore.KnownSchema(drv.name))
			}
			u, err := rdb.UserByName(ctx, "grace")
			if err != nil || u.Role != store.RoleAdmin {
				t.Errorf("UserByName(grace) = %+v, %v", u, err)
			}
			added, err := rdb.CreateUser(ctx, store.User{Name: "linus", PasswordHash: "h"})
			if err != nil || added.ID <= u.ID {
				t.Errorf("a user added after the restore: %+v, %v (grace has id %d)", added, err, u.ID)
			}
		})
	}
}

// BenchmarkBackupRestore backs up and restores a database of 200,000
// results of 100 monitors, reporting rows per second of each.
func BenchmarkBackupRestore(b *testing.B) {
	for _, drv := range backupDrivers {
		b.Run(drv.name, func(b *testing.B) {
			ctx := b.Context()
			src := benchTarget(b, drv.name)
			db, err := sqlstore.Open(ctx, src.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			for i := range 2000 {
				rs := make([]probe.Result, 0, 100)
				for m := range 100 {
					rs = append(rs, probe.Result{MonitorID: fmt.Sprint("m", m), Time: base.Add(time.Duration(i) * time.Minute), Status: probe.Status(i % 3), Duration: time.Millisecond, Reason: "slow"})
				}
				if err := db.SaveBatch(ctx, store.Batch{Results: rs}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			var backup, restore time.Duration
			var rows int64
			for b.Loop() {
				file := filepath.Join(b.TempDir(), "backup")
				start := time.Now()
				info, err := db.Backup(ctx, file, nil)
				if err != nil {
					b.Fatal(err)
				}
				backup += time.Since(start)
				dst := benchTarget(b, drv.name)
				start = time.Now()
				if _, err := sqlstore.Restore(ctx, dst.opts, file, nil); err != nil {
					b.Fatal(err)
				}
				restore += time.Since(start)
				rows += info.Rows()
			}
			b.ReportMetric(float64(rows)/backup.Seconds(), "backup-rows/s")
			b.ReportMetric(float64(rows)/restore.Seconds(), "restore-rows/s")
		})
	}
}

func benchTarget(b *testing.B, driver string) backupTarget {
	if driver == sqlstore.DriverSQLite {
		return backupTarget{opts: sqlstore.Options{Driver: driver, DSN: filepath.Join(b.TempDir(), "tocsin.db")}}
	}
	return backupTarget{opts: sqlstore.Options{Driver: driver, DSN: storetest.PostgresDSN(b)}}
}
