package sqlstore_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

func openStore(t testing.TB, driver, dsn string, now func() time.Time) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: driver, DSN: dsn, Now: now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open(%s, %s): %v", driver, dsn, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestSQLiteFile(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return openStore(t, "sqlite", filepath.Join(t.TempDir(), "tocsin.db"), now)
	})
}

func TestSQLiteMemory(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return openStore(t, "sqlite", ":memory:", now)
	})
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return openStore(t, "postgres", storetest.PostgresDSN(t), now)
	})
}

func TestOpenTwiceMigratesOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tocsin.db")
	first := openStore(t, "sqlite", path, nil)
	if _, err := first.CreateUser(t.Context(), store.User{Name: "ada", PasswordHash: "h"}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	second := openStore(t, "sqlite", path, nil)
	if n, err := second.UserCount(t.Context()); err != nil || n != 1 {
		t.Errorf("UserCount after reopening = %d, %v; want 1", n, err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	for _, o := range []sqlstore.Options{
		{Driver: "mysql", DSN: "x"},
		{Driver: "sqlite"},
		{Driver: "postgres"},
	} {
		_, err := sqlstore.Open(t.Context(), o)
		if errs.Code(err) != errs.EINVALID {
			t.Errorf("Open(%+v) error = %v, want code %q", o, err, errs.EINVALID)
		}
	}
	_, err := sqlstore.Open(t.Context(), sqlstore.Options{DSN: filepath.Join(t.TempDir(), "missing", "dir", "x.db")})
	if err == nil {
		t.Error("Open in a missing directory succeeded, want an error")
	}
}
