package testkit

import (
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
)

// Need is something from the machine that some tests need — a database, a
// browser — and what to do when it is missing. On a developer's machine a
// missing one skips those tests, and [Main] says so once at the end of the
// package run; where the environment asks for it (CI sets a variable) its
// absence fails them instead, so nothing skips there unnoticed.
type Need struct {
	// Missing says what is absent and where it was looked for:
	// "PostgreSQL not reachable at postgres://…", "chromium not found in PATH".
	Missing string
	// Fix says how to provide it: "start it (pg_ctlcluster 15 main start) or
	// set TOCSIN_TEST_POSTGRES to a server that runs".
	Fix string
	// RequiredBy names what made it required ("TOCSIN_TEST_BROWSER=required");
	// empty when it is optional.
	RequiredBy string
}

// Unmet ends t because the need is not met: err says why. A required need
// fails the test with what is missing and how to provide it; an optional one
// skips it and is counted for [Main].
func (n Need) Unmet(t testing.TB, err error) {
	t.Helper()
	if n.RequiredBy != "" {
		t.Fatalf("%s: %v\n%s, so this test must run: %s", n.Missing, err, n.RequiredBy, n.Fix)
	}
	envSkips.add(n.Missing + "; " + n.Fix)
	t.Skipf("%s: %v; %s", n.Missing, err, n.Fix)
}

// Main runs the package's tests and then prints one line for each missing
// need that made tests skip, with how many and how to provide it. Use it as
// the whole TestMain of a package whose tests call [Need.Unmet]:
//
//	func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }
//
// go test shows a passing package's output only with -v.
func Main(m *testing.M) int {
	code := m.Run()
	envSkips.report(os.Stdout)
	return code
}

// envSkips is the one process-wide record a test binary keeps of its
// environment skips: the tests that add to it and the TestMain that reports
// it share nothing else.
var envSkips skipLog

// skipLog counts skips by cause, in the order the causes first appeared.
type skipLog struct {
	mu     sync.Mutex
	causes []string
	counts map[string]int
}

func (l *skipLog) add(cause string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[string]int{}
	}
	if l.counts[cause] == 0 {
		l.causes = append(l.causes, cause)
	}
	l.counts[cause]++
}

func (l *skipLog) report(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.causes {
		n := l.counts[c]
		tests := "tests"
		if n == 1 {
			tests = "test"
		}
		fmt.Fprintf(w, "%d %s skipped: %s\n", n, tests, c)
	}
}
