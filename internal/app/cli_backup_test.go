package app

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestCLIBackupWhileServing takes `tocsin backup` of a running server
// whose monitor writes results, restores it with `tocsin restore` into an
// empty database, finds there the results the server had written (every
// restored one also in the source) and refuses a second restore into the
// now full database.
func TestCLIBackupWhileServing(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			dir := t.TempDir()
			path := filepath.Join(dir, "tocsin.yaml")
			writeConfig(t, path, baseConfig(t, driver, target.URL, hook.URL))
			r := start(t, path)
			waitState(t, r.app, "site", monitor.StatusUp)
			ctx := context.Background()
			deadline := time.Now().Add(15 * time.Second)
			for {
				rs, err := r.app.Store().Results(ctx, "site", store.Page{Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				if len(rs) >= 3 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("only %d results stored", len(rs))
				}
				time.Sleep(50 * time.Millisecond)
			}

			file := filepath.Join(dir, "tocsin.backup")
			code, _, stderr := runCLI(t, "", "backup", "--config", path, file)
			if code != 0 || !strings.Contains(stderr, "tocsin backup: wrote "+file+": "+driver+" database at schema ") {
				t.Fatalf("backup: exit %d: %s", code, stderr)
			}
			restored := filepath.Join(dir, "restored.yaml")
			writeConfig(t, restored, baseConfig(t, driver, target.URL, hook.URL))
			code, _, stderr = runCLI(t, "", "restore", "--config", restored, file)
			if code != 0 || !strings.Contains(stderr, "tocsin restore: loaded "+file) {
				t.Fatalf("restore: exit %d: %s", code, stderr)
			}
			code, _, stderr = runCLI(t, "", "restore", "--config", restored, file)
			if code != 1 || !strings.Contains(stderr, "is not empty: it holds ") || !strings.Contains(stderr, "results (") {
				t.Errorf("second restore: exit %d: %s", code, stderr)
			}

			cfg, code := loadConfig(restored, Env{Stderr: os.Stderr})
			if code != 0 {
				t.Fatal("config")
			}
			st, err := sqlstore.Open(ctx, storeOptions(cfg, nil))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			got, err := st.Results(ctx, "site", store.Page{Limit: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			// The server wrote on after the backup, so it holds more.
			src, err := r.app.Store().Results(ctx, "site", store.Page{Limit: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < 3 || len(src) < len(got) {
				t.Errorf("%d results restored, want at least 3 and at most the %d of the source", len(got), len(src))
			}
			for _, g := range got {
				if !slices.ContainsFunc(src, func(s store.StoredResult) bool { return s.ID == g.ID && s.Status == g.Status }) {
					t.Errorf("restored result %+v is not in the source", g)
				}
			}
		})
	}
}

// TestCLINewerDatabaseRefused: serve and export refuse a database that a
// newer tocsin has migrated, naming both schema versions.
func TestCLINewerDatabaseRefused(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "tocsin.db")
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, "server:\n  listen: 127.0.0.1:0\nstorage:\n  driver: sqlite\n  dsn: "+dbPath+"\n")
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{DSN: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	known := sqlstore.KnownSchema("sqlite")
	if _, err := db.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)", known+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, cmd := range []string{"serve", "export", "backup"} {
		args := []string{cmd, "--config", path}
		if cmd == "backup" {
			args = append(args, filepath.Join(dir, "b"))
		}
		code, _, stderr := runCLI(t, "", args...)
		want := "is at schema " + strconv.FormatInt(known+1, 10) + ", and this tocsin knows schemas up to " + strconv.FormatInt(known, 10) + ": a newer tocsin has used it"
		if code != 1 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d: %s\nwant %q", cmd, code, stderr, want)
		}
	}
}
