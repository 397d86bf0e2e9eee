package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/testkit"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

func TestCLIInitValidate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	if code, _, stderr := runCLI(t, "", "init", "--config", path); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "", "init", "--config", path); code == 0 {
		t.Error("init overwrote an existing file without --force")
	}
	code, stdout, stderr := runCLI(t, "", "validate", "--config", path)
	if code != 0 || !strings.Contains(stdout, ": OK (") || !strings.Contains(stdout, " heartbeat") {
		t.Fatalf("validate of the starter config: exit %d\n%s%s", code, stdout, stderr)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	writeConfig(t, bad, "monitors:\n  - id: a\n    type: http\n    interval: 0s\n    bogus: 1\n    http:\n      url: example.org\n")
	code, _, stderr = runCLI(t, "", "validate", "--config", bad)
	if code != 1 {
		t.Errorf("validate of a broken config: exit %d, want 1", code)
	}
	for _, want := range []string{"bad.yaml:5:", "bogus"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("validate output lacks %q:\n%s", want, stderr)
		}
	}
}

func TestCLIServeWithoutConfig(t *testing.T) {
	code, _, stderr := runCLI(t, "", "serve", "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	if code == 0 || !strings.Contains(stderr, "tocsin init") {
		t.Errorf("serve without a config: exit %d, output %q; want a pointer to tocsin init", code, stderr)
	}
}

func TestCLICheck(t *testing.T) {
	target := testkit.NewTarget(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, `monitors:
  - id: site
    type: http
    http:
      url: `+target.URL+`
      expect:
        body_contains: ok
`)
	code, stdout, stderr := runCLI(t, "", "check", "--config", path, "site")
	if code != 0 || !strings.HasPrefix(stdout, "OK - site:") || strings.Count(stdout, " time=") != 1 || !strings.Contains(stdout, " status_code=200") {
		t.Errorf("check of a healthy target: exit %d, %q %q", code, stdout, stderr)
	}
	target.SetFailing(true)
	code, stdout, _ = runCLI(t, "", "check", "site", "--json", "--config", path)
	if code != 2 {
		t.Errorf("check of a failing target: exit %d, want 2 (CRITICAL)", code)
	}
	var out checkOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, stdout)
	}
	if out.Status != "CRITICAL" || out.ExitCode != 2 || !strings.Contains(out.Reason, "503") {
		t.Errorf("--json = %+v", out)
	}
	if code, _, stderr := runCLI(t, "", "check", "--config", path, "nope"); code != 3 || !strings.Contains(stderr, "site") {
		t.Errorf("check of an unknown monitor: exit %d, %q; want 3 and the list of monitors", code, stderr)
	}
}

func TestCLIUserAdd(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, "storage:\n  dsn: "+filepath.Join(dir, "t.db")+"\n")
	if code, _, stderr := runCLI(t, "short\n", "user", "add", "--config", path, "admin"); code == 0 {
		t.Errorf("a short password was accepted: %s", stderr)
	}
	if code, stdout, stderr := runCLI(t, "a long enough password\n", "user", "add", "--config", path, "admin"); code != 0 {
		t.Fatalf("user add: exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, "a long enough password\n", "user", "add", "--config", path, "admin"); code == 0 || !strings.Contains(stderr, "admin") {
		t.Errorf("a duplicate user was accepted: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "t.db")); err != nil {
		t.Error(err)
	}
	// The audit log says the command line made the account, once.
	st, err := sqlstore.Open(t.Context(), sqlstore.Options{Driver: "sqlite", DSN: filepath.Join(dir, "t.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.AuditLog(t.Context(), store.AuditFilter{Action: "user.create"})
	if err != nil || len(es) != 1 || es[0].Actor != store.ActorCLI || es[0].ObjectID != "admin" {
		t.Errorf("audit entries of user add: %+v, %v", es, err)
	}
	if u, err := st.UserByName(t.Context(), "admin"); err != nil || u.Role != store.RoleAdmin {
		t.Errorf("user add without --role: %+v, %v; want an admin", u, err)
	}

	// --role gives another role; a role that is none is refused.
	if code, _, stderr := runCLI(t, "a long enough password\n", "user", "add", "--config", path, "--role", "root", "eve"); code != 2 || !strings.Contains(stderr, "viewer, responder or admin") {
		t.Errorf("--role root: exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := runCLI(t, "a long enough password\n", "user", "add", "--config", path, "--role", "viewer", "vera"); code != 0 || !strings.Contains(stdout, "viewer") {
		t.Fatalf("--role viewer: exit %d: %s%s", code, stdout, stderr)
	}
	if u, err := st.UserByName(t.Context(), "vera"); err != nil || u.Role != store.RoleViewer {
		t.Errorf("user add --role viewer: %+v, %v", u, err)
	}
	// tocsin user role changes it, and the audit log says so.
	if code, stdout, stderr := runCLI(t, "", "user", "role", "--config", path, "vera", "responder"); code != 0 || !strings.Contains(stdout, "responder") {
		t.Fatalf("user role: exit %d: %s%s", code, stdout, stderr)
	}
	if u, err := st.UserByName(t.Context(), "vera"); err != nil || u.Role != store.RoleResponder {
		t.Errorf("after user role: %+v, %v", u, err)
	}
	if code, _, stderr := runCLI(t, "", "user", "role", "--config", path, "nobody", "admin"); code != 1 || !strings.Contains(stderr, "nobody") {
		t.Errorf("user role of nobody: exit %d: %s", code, stderr)
	}
	vera, err := st.UserByName(t.Context(), "vera")
	if err != nil {
		t.Fatal(err)
	}
	// The audit log names the user by id, as the users page and the API do.
	if es, err := st.AuditLog(t.Context(), store.AuditFilter{Action: "user.role"}); err != nil || len(es) != 1 || es[0].ObjectKind != "user" || es[0].ObjectID != strconv.FormatInt(vera.ID, 10) {
		t.Errorf("audit entries of user role: %+v, %v", es, err)
	}
	// The last administrator is not demoted; once vera is one, admin may be.
	if code, _, stderr := runCLI(t, "", "user", "role", "--config", path, "admin", "viewer"); code != 1 || !strings.Contains(stderr, "admin is the last administrator") {
		t.Errorf("demoting the last administrator: exit %d: %s", code, stderr)
	}
	if u, err := st.UserByName(t.Context(), "admin"); err != nil || u.Role != store.RoleAdmin {
		t.Errorf("the last administrator after a refused demotion: %+v, %v", u, err)
	}
	for _, args := range [][]string{{"vera", "admin"}, {"admin", "viewer"}} {
		if code, stdout, stderr := runCLI(t, "", append([]string{"user", "role", "--config", path}, args...)...); code != 0 {
			t.Errorf("user role %v: exit %d: %s%s", args, code, stdout, stderr)
		}
	}
	if u, err := st.UserByName(t.Context(), "admin"); err != nil || u.Role != store.RoleViewer {
		t.Errorf("admin after vera was made an administrator and admin a viewer: %+v, %v", u, err)
	}
}

func TestPerfdata(t *testing.T) {
	tests := []struct {
		r    probe.Result
		want string
	}{
		{probe.Result{Duration: 1500 * time.Millisecond}, " | time=1.5s;;;0"},
		{probe.Result{Duration: time.Second, Metrics: []probe.Metric{
			{Name: "time", Value: 0.25, Unit: "s", Warn: "1", Min: "0"},
			{Name: "free space", Value: 12, Unit: "%", Warn: "20", Crit: "10", Min: "0", Max: "100"},
			{Name: "it's", Value: 3},
		}}, " | time=0.25s;1;;0 'free space'=12%;20;10;0;100 'it''s'=3"},
	}
	for _, tt := range tests {
		if got := perfdata(tt.r); got != tt.want {
			t.Errorf("perfdata(%+v) = %q, want %q", tt.r.Metrics, got, tt.want)
		}
	}
}

// TestCLICheckJSONErrors checks that `tocsin check --json` says why no
// check ran in JSON on stdout, with exit code 3 (UNKNOWN): every error of a
// broken configuration with its position, the monitors there are for an
// unknown id, and a missing configuration. The text stays on stderr.
func TestCLICheckJSONErrors(t *testing.T) {
	dir := t.TempDir()
	decode := func(what, stdout string) checkError {
		t.Helper()
		var e checkError
		if err := json.Unmarshal([]byte(stdout), &e); err != nil {
			t.Fatalf("%s: --json output does not parse: %v\n%s", what, err, stdout)
		}
		if e.Status != "UNKNOWN" || e.ExitCode != 3 || e.Reason == "" {
			t.Errorf("%s: --json = %+v, want status UNKNOWN, exit code 3 and a reason", what, e)
		}
		return e
	}

	bad := filepath.Join(dir, "bad.yaml")
	writeConfig(t, bad, "monitors:\n  - id: a\n    type: http\n    interval: 0s\n    bogus: 1\n    http:\n      url: example.org\n")
	code, stdout, stderr := runCLI(t, "", "check", "--json", "--config", bad, "a")
	if code != 3 || !strings.Contains(stderr, "bad.yaml:5:") {
		t.Errorf("check of a broken config: exit %d, stderr %q; want 3 and the errors", code, stderr)
	}
	e := decode("broken config", stdout)
	if len(e.Errors) < 2 || e.Monitor != "a" {
		t.Fatalf("broken config: --json = %+v, want every error", e)
	}
	var bogus *checkConfigErr
	for i := range e.Errors {
		if strings.Contains(e.Errors[i].Message, "bogus") {
			bogus = &e.Errors[i]
		}
	}
	if bogus == nil || bogus.File != bad || bogus.Line != 5 || bogus.Column == 0 {
		t.Errorf("broken config: errors %+v lack bogus at %s:5", e.Errors, bad)
	}

	good := filepath.Join(dir, "good.yaml")
	writeConfig(t, good, "monitors:\n  - id: site\n    type: tcp\n    tcp:\n      address: 127.0.0.1:9\n")
	code, stdout, stderr = runCLI(t, "", "check", "nope", "--json", "--config", good)
	if code != 3 || !strings.Contains(stderr, "site") {
		t.Errorf("check of an unknown monitor: exit %d, stderr %q", code, stderr)
	}
	if e := decode("unknown monitor", stdout); e.Monitor != "nope" || len(e.Monitors) != 1 || e.Monitors[0] != "site" {
		t.Errorf("unknown monitor: --json = %+v, want monitor nope and the list [site]", e)
	}

	code, stdout, _ = runCLI(t, "", "check", "--json", "--config", filepath.Join(dir, "missing.yaml"), "site")
	if code != 3 {
		t.Errorf("check without a config: exit %d, want 3", code)
	}
	decode("missing config", stdout)
}
