// Package proc runs Tocsin as real processes for tests of several
// replicas: the tocsin binary built once per test binary, `tocsin serve`
// processes a test can kill with SIGKILL, a PostgreSQL database of its own
// per test, and a TCP proxy between a replica and PostgreSQL that a test
// cuts to partition that replica.
//
// A package using it makes Main its TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(proc.Main(m)) }
package proc

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/tocsin/tocsin/internal/testkit"
)

// build is the one binary a test process builds.
var build struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Main runs the package's tests as testkit.Main does, then removes the
// binary Binary built.
func Main(m *testing.M) int {
	code := testkit.Main(m)
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
	return code
}

// Binary returns the path of the tocsin binary, built from cmd/tocsin of
// this module the first time a test asks (later calls wait for that build
// and share it).
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			build.err = err
			return
		}
		if build.dir, build.err = os.MkdirTemp("", "tocsin-proc-"); build.err != nil {
			return
		}
		build.path = filepath.Join(build.dir, "tocsin")
		cmd := exec.Command("go", "build", "-o", build.path, "./cmd/tocsin")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build ./cmd/tocsin: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// moduleRoot is the directory of this module's go.mod, found from this
// source file.
func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot find the source of package cluster")
	}
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above %s", filepath.Dir(file))
		}
		dir = parent
	}
}

// Database creates an empty PostgreSQL database on the server of server
// (a DSN that answers, such as storetest.PostgresServer returns), drops it
// when the test ends, closing the connections still open to it, and
// returns the DSN of the new database.
func Database(t testing.TB, server string) string {
	t.Helper()
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("proc.Database needs a postgres:// URL, not %q", server)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "tocsin_proc_" + hex.EncodeToString(b[:])
	run := func(query string) error {
		db, err := sql.Open("pgx", server)
		if err != nil {
			return err
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_, err = db.ExecContext(ctx, query)
		return err
	}
	if err := run("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := run("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// WithHost returns dsn (a postgres:// URL) pointing at addr (host:port)
// instead of its own server: the DSN a replica behind a Proxy uses.
func WithHost(t testing.TB, dsn, addr string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	u.Host = addr
	return u.String()
}

// HostOf returns the host:port of a postgres:// URL.
func HostOf(t testing.TB, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse DSN: %v", err)
	}
	if !strings.Contains(u.Host, ":") {
		return u.Host + ":5432"
	}
	return u.Host
}

// WaitFor calls cond every poll until it returns true, and fails the test
// with what's message when timeout passes first. It returns how long it
// waited.
func WaitFor(t testing.TB, timeout, poll time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(poll)
	}
	return time.Since(start)
}
