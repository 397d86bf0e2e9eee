package sqlstore_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestMain says once, at the end, when PostgreSQL tests skipped.
func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// TestPostgresRequired runs the PostgreSQL suite in a child process with
// TOCSIN_TEST_POSTGRES naming a server that is not there: the run fails and
// says what is missing and how to start it, instead of skipping.
func TestPostgresRequired(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestPostgres$")
	cmd.Env = append(os.Environ(), storetest.PostgresEnv+"=postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the run passed:\n%s", out)
	}
	for _, want := range []string{"--- FAIL: TestPostgres", "PostgreSQL not reachable at postgres://postgres@127.0.0.1:1/test", storetest.PostgresEnv + " is set, so this test must run: start it"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%.3000s", want, out)
		}
	}
	if strings.Contains(string(out), "skipped") {
		t.Errorf("something skipped:\n%.3000s", out)
	}
}
