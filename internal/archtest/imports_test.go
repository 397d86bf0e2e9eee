package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// rule says which of the module's packages the packages in pkgs may
// import; words says the same for people and is what a failure shows.
type rule struct {
	words string
	pkgs  []string
	may   []string
	// onlyTests marks a test harness: no package's non-test files may
	// import the packages in pkgs.
	onlyTests bool
}

// exception is one known import against the rules, tolerated until the
// change that removes it merges.
type exception struct {
	from, to string
	why      string
}

func cat(lists ...[]string) []string { return slices.Concat(lists...) }

// match reports whether the module-relative package path p matches pattern.
func match(pattern, p string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return p == base || strings.HasPrefix(p, base+"/")
	}
	return p == pattern
}

// governing returns the rule for package p: the one naming it exactly,
// else the one with the longest "/..." pattern that matches it.
func governing(rules []rule, p string) (rule, bool) {
	best, bestLen, found := rule{}, -1, false
	for _, r := range rules {
		for _, pat := range r.pkgs {
			if !match(pat, p) {
				continue
			}
			n := len(pat)
			if pat == p {
				n = 1 << 30 // an exact name beats any pattern
			}
			if n > bestLen {
				best, bestLen, found = r, n, true
			}
		}
	}
	return best, found
}

// check returns one line per import in graph (package → the module's
// packages it imports, paths relative to the module) that no rule allows
// and no pending entry excuses, per package no rule governs, and per
// pending entry whose import is gone.
func check(graph map[string][]string, rules []rule, pending []exception) []string {
	var problems []string
	used := make(map[exception]bool)
	pkgs := make([]string, 0, len(graph))
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, p := range pkgs {
		r, ok := governing(rules, p)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: no rule in rules_test.go says what it may import; add one, in words", p))
			continue
		}
		for _, imp := range graph[p] {
			if ir, ok := governing(rules, imp); ok && ir.onlyTests {
				problems = append(problems, fmt.Sprintf("%s imports %s, against the rule %q", p, imp, ir.words))
				continue
			}
			if slices.ContainsFunc(r.may, func(pat string) bool { return match(pat, imp) }) {
				continue
			}
			if i := slices.IndexFunc(pending, func(e exception) bool { return e.from == p && e.to == imp }); i >= 0 {
				used[pending[i]] = true
				continue
			}
			problems = append(problems, fmt.Sprintf("%s imports %s, against the rule %q", p, imp, r.words))
		}
	}
	for _, e := range pending {
		if !used[e] {
			problems = append(problems, fmt.Sprintf("pending entry %s → %s (%s): that import is gone or allowed now; delete the entry", e.from, e.to, e.why))
		}
	}
	return problems
}

// moduleGraph lists the module's packages with `go list` and returns, for
// each, the module's packages its non-test files import, all as paths
// relative to the module.
func moduleGraph(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Path}} {{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	modPath, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	mod := modPath + "/"
	watchSources(t, dir)
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports,Error", mod+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	graph := make(map[string][]string)
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var pkg struct {
			ImportPath string
			Imports    []string
			Error      *struct{ Err string }
		}
		if err := dec.Decode(&pkg); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("reading go list: %v", err)
		}
		if pkg.Error != nil {
			t.Fatalf("go list %s: %s", pkg.ImportPath, pkg.Error.Err)
		}
		p := strings.TrimPrefix(pkg.ImportPath, mod)
		graph[p] = nil
		for _, imp := range pkg.Imports {
			if rel, ok := strings.CutPrefix(imp, mod); ok {
				graph[p] = append(graph[p], rel)
			}
		}
	}
	if len(graph) < 10 {
		t.Fatalf("go list found %d packages in %s; the graph cannot be checked", len(graph), mod)
	}
	return graph
}

// watchSources stats every Go file of the module and reads every
// directory's listing under dir. go test caches a passing result against
// the files a test opened or stat'ed, not against what a command it runs
// read; without this, a new import would still find the old pass cached.
func watchSources(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && path != dir && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata"):
			return filepath.SkipDir
		case !d.IsDir() && strings.HasSuffix(path, ".go"):
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("listing the module's sources: %v", err)
	}
}

// TestImportDirections checks every import between the module's packages
// against the rules.
func TestImportDirections(t *testing.T) {
	for _, p := range check(moduleGraph(t), rules, pending) {
		t.Error(p)
	}
}

// TestCheck runs the checker on a small made-up graph: an allowed import
// passes, a new one against a rule fails with the rule's words and the
// import, a pending one is excused, a pending one that is gone and a
// package without a rule fail, and so does a package that imports a test
// harness.
func TestCheck(t *testing.T) {
	rules := []rule{
		{words: "probe kinds know nothing of alerts", pkgs: []string{"internal/probe/..."}, may: []string{"internal/probe/...", "internal/errs"}},
		{words: "probe imports only leaves", pkgs: []string{"internal/probe"}, may: []string{"internal/errs"}},
		{words: "leaves import nothing", pkgs: []string{"internal/errs"}},
		{words: "alert imports no store", pkgs: []string{"internal/alert/..."}, may: []string{"internal/probe"}},
		{words: "app wires", pkgs: []string{"internal/app"}, may: []string{"..."}},
		{words: "webtest is for tests", pkgs: []string{"internal/web/webtest"}, may: []string{"internal/probe"}, onlyTests: true},
	}
	graph := map[string][]string{
		"internal/errs":        nil,
		"internal/probe":       {"internal/errs"},
		"internal/probe/http":  {"internal/probe", "internal/errs", "internal/alert"},
		"internal/alert":       {"internal/probe", "internal/store"},
		"internal/app":         {"internal/alert", "internal/probe/http", "internal/store", "internal/web/webtest"},
		"internal/store":       {"internal/probe/http"},
		"internal/web/webtest": {"internal/probe"},
	}
	got := check(graph, rules, []exception{
		{from: "internal/alert", to: "internal/store", why: "being fixed"},
		{from: "internal/web", to: "internal/probe/ssh", why: "fixed already"},
	})
	want := []string{
		`internal/app imports internal/web/webtest, against the rule "webtest is for tests"`,
		`internal/probe/http imports internal/alert, against the rule "probe kinds know nothing of alerts"`,
		"internal/store: no rule in rules_test.go says what it may import; add one, in words",
		"pending entry internal/web → internal/probe/ssh (fixed already): that import is gone or allowed now; delete the entry",
	}
	if !slices.Equal(got, want) {
		t.Errorf("check found\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(want, "\n "))
	}
	// The base package takes the exact rule, not its kinds' pattern.
	if r, _ := governing(rules, "internal/probe"); r.words != "probe imports only leaves" {
		t.Errorf("internal/probe is governed by %q", r.words)
	}
}
