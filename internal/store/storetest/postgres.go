package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/tocsin/tocsin/internal/testkit"
)

// PostgresEnv names the environment variable holding the PostgreSQL DSN for
// tests. CI sets it; when it is set, an unreachable server fails the test,
// and when it is not, the test skips and [testkit.Main] says so once.
const PostgresEnv = "TOCSIN_TEST_POSTGRES"

// DefaultPostgresDSN is used when PostgresEnv is unset.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresDSN creates a fresh schema for the test, drops it when the test
// ends, and returns a DSN whose search_path is that schema, so parallel
// tests and packages never see each other's tables. When the server is not
// reachable it skips the test, or fails it when PostgresEnv is set. A
// package that calls it uses testkit.Main as its TestMain.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := PostgresServer(t)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "tocsin_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	return withSearchPath(base, schema)
}

// PostgresServer returns the DSN of the PostgreSQL server tests use
// (PostgresEnv, else DefaultPostgresDSN) once it answers a ping. When it
// does not, it skips the test, or fails it when PostgresEnv is set. Tests
// that need a database of their own rather than a schema make it there.
func PostgresServer(t testing.TB) string {
	t.Helper()
	base, fromEnv := os.LookupEnv(PostgresEnv)
	if !fromEnv || base == "" {
		base, fromEnv = DefaultPostgresDSN, false
	}
	need := testkit.Need{
		Missing: "PostgreSQL not reachable at " + redact(base),
		Fix:     "start it (Debian: pg_ctlcluster VERSION main start; .ci/run does) or set " + PostgresEnv + " to the DSN of one that runs",
	}
	if fromEnv {
		need.RequiredBy = PostgresEnv + " is set"
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		need.Unmet(t, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		need.Unmet(t, err)
	}
	return base
}

// withSearchPath adds search_path to a URL or key=value DSN.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema
}

// redact hides a password in a URL DSN.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	return u.Redacted()
}
