package sqlstore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// TestReadOnlySQLite: a store opened ReadOnly reads what the server wrote,
// cannot write, and leaves the file as it was.
func TestReadOnlySQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.db")
	rw, err := sqlstore.Open(t.Context(), sqlstore.Options{DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.CreateMonitor(t.Context(), store.StoredMonitor{ID: "web", Spec: "id: web\n", CreatedBy: "ada"}); err != nil {
		t.Fatal(err)
	}
	if err := rw.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	ro, err := sqlstore.Open(t.Context(), sqlstore.Options{DSN: path, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	list, err := ro.StoredMonitors(t.Context())
	if err != nil || len(list) != 1 || list[0].ID != "web" {
		t.Errorf("StoredMonitors = %+v, %v", list, err)
	}
	if _, err := ro.CreateMonitor(t.Context(), store.StoredMonitor{ID: "other", Spec: "id: other\n"}); err == nil {
		t.Error("a read-only store wrote")
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the read-only store changed the file")
	}
	if _, err := sqlstore.Open(t.Context(), sqlstore.Options{DSN: filepath.Join(t.TempDir(), "none.db"), ReadOnly: true}); err == nil {
		t.Error("a read-only open of a missing file succeeded")
	}
}
