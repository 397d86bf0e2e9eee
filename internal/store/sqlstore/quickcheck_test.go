package sqlstore_test

import (
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// A page damaged in the middle of the file (the header is intact, so the
// file opens and most queries work) is found when the store opens, and
// the refusal says where the file is and how to recover it.
func TestOpenRefusesADamagedFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tocsin.db")
	openClose := func() {
		t.Helper()
		db, err := sqlstore.Open(t.Context(), sqlstore.Options{DSN: path})
		if err != nil {
			t.Fatalf("Open of a healthy file: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	openClose()
	// Fill a few hundred pages, so the middle of the file is table data.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE filler (id INTEGER PRIMARY KEY, v BLOB);
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000)
		INSERT INTO filler SELECT i, randomblob(600) FROM n;`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	openClose()

	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	const page = 4096
	mid := fi.Size() / page / 2 * page
	if _, err := f.WriteAt([]byte(strings.Repeat("\xa5", 300)), mid+8); err != nil {
		t.Fatal(err)
	}
	f.Close()

	_, err = sqlstore.Open(t.Context(), sqlstore.Options{DSN: path})
	if err == nil {
		t.Fatal("Open of a damaged file succeeded")
	}
	for _, want := range []string{"the SQLite database " + path + " is damaged; Tocsin will not start on it.",
		"PRAGMA quick_check found: Tree ", "restore the latest backup",
		`sqlite3 ` + path + ` ".recover" | sqlite3 ` + path + `.recovered`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\ndoes not say %q", err, want)
		}
	}

	// A check cut short by its budget lets the store open, and says so.
	var logs strings.Builder
	db, err := sqlstore.Open(t.Context(), sqlstore.Options{DSN: path, QuickCheckBudget: time.Nanosecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Open with a check cut short: %v", err)
	}
	db.Close()
	if !strings.Contains(logs.String(), "the start-up check of the SQLite file was cut short") {
		t.Errorf("log %q does not say the check was cut short", logs.String())
	}

	// A damaged header gets the same advice.
	if err := os.WriteFile(path, []byte(strings.Repeat("x", 8192)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = sqlstore.Open(t.Context(), sqlstore.Options{DSN: path})
	if err == nil || !strings.Contains(err.Error(), "is damaged; Tocsin will not start on it.\nopening it failed: file is not a database") {
		t.Errorf("Open of a file with a damaged header: %v", err)
	}
}
