package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
	"github.com/tocsin/tocsin/internal/web/api"
)

// TestChangeCommands records change events with the command line against
// a running server and lists them; bad ones are refused with the server's
// words. On each database.
func TestChangeCommands(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			cfg := strings.Replace(baseConfig(t, driver, target.URL, hook.URL), "    channels: [ops-hook]\n",
				"    channels: [ops-hook]\n    depends_on: [host:fw1]\n", 1) + "hosts:\n  - {id: fw1, name: Edge firewall}\n"
			writeConfig(t, path, cfg)
			r := start(t, path)
			st := r.app.Store()
			token, _ := signIn(t, st)

			code, out, errOut := cliEnv(t, r.url, token, "change", "--title", "allow SFTP from the ERP network", "--component", "host:fw1",
				"--link", "https://tickets.example.com/4711", "--time", "2026-03-02 21:30", "--timezone", "Europe/Oslo", "--author", "ann")
			if code != 0 || !strings.Contains(out, "recorded: allow SFTP from the ERP network at 2026-03-02 20:30Z by ann") {
				t.Fatalf("change: exit %d: %s%s", code, out, errOut)
			}
			if code, out, errOut := cliEnv(t, r.url, token, "change", "add", "--title", "deploy web 2.1", "--service", "web"); code != 0 || !strings.Contains(out, "by ada") {
				t.Fatalf("change add: exit %d: %s%s", code, out, errOut)
			}
			cs, err := st.ChangeList(t.Context(), store.ChangeFilter{})
			if err != nil || len(cs) != 2 {
				t.Fatalf("stored changes: %+v %v", cs, err)
			}
			if fw := cs[1]; fw.Components[0] != "host:fw1" || fw.CreatedBy != "ada" || !fw.Time.Equal(time.Date(2026, 3, 2, 20, 30, 0, 0, time.UTC)) || fw.Link != "https://tickets.example.com/4711" {
				t.Errorf("the firewall change as stored: %+v", fw)
			}

			code, out, _ = cliEnv(t, r.url, token, "change", "list")
			if out = squash(out); code != 0 || !strings.Contains(out, "ID TIME AUTHOR TOUCHES TITLE") || !strings.Contains(out, "2026-03-02 20:30Z ann host:fw1 allow SFTP") {
				t.Errorf("change list: exit %d:\n%s", code, out)
			}
			code, out, _ = cliEnv(t, r.url, token, "change", "list", "--service", "web", "--json")
			var l api.List[api.Change]
			if err := json.Unmarshal([]byte(out), &l); code != 0 || err != nil || len(l.Data) != 1 || l.Data[0].Title != "deploy web 2.1" {
				t.Errorf("change list --service web --json: exit %d: %s", code, out)
			}
			if code, out, _ := cliEnv(t, r.url, token, "change", "list", "--service", "nope"); code != 0 || strings.TrimSpace(out) != "no changes" {
				t.Errorf("no changes: exit %d: %s", code, out)
			}

			for _, tc := range []struct {
				args []string
				code int
				want string
			}{
				{[]string{"change", "--service", "web"}, 1, "a change needs a title"},
				{[]string{"change", "--title", "x", "--service", "shop"}, 1, `unknown service "shop"`},
				{[]string{"change", "--title", "x", "--time", "noon"}, 1, "--time"},
				{[]string{"change", "--title", "x", "stray"}, 1, "unexpected arguments"},
				{[]string{"change", "--colour", "red"}, 2, ""},
			} {
				code, _, errOut := cliEnv(t, r.url, token, tc.args...)
				if code != tc.code || !strings.Contains(errOut, tc.want) {
					t.Errorf("%q: exit %d: %s, want %d saying %q", tc.args, code, errOut, tc.code, tc.want)
				}
			}
			if code, _, errOut := cliEnv(t, r.url, "wrong-token", "change", "--title", "x"); code != 1 || errOut == "" {
				t.Errorf("a bad token: exit %d: %s", code, errOut)
			}
			if code, _, errOut := cliEnv(t, "", token, "change", "--title", "x"); code != 2 || !strings.Contains(errOut, "no server") {
				t.Errorf("no server: exit %d: %s", code, errOut)
			}
		})
	}
}

// coverageYAML is a small catalog with something to fix in each way the
// coverage report knows, and a firewall two services depend on.
const coverageYAML = `
people:
  - {id: ann, name: Ann, email: ann@example.com, phone: "+47 555 01 234", contacts: [{channel: room}]}
channels:
  - {id: room, type: inbox}
escalation_policies:
  - {id: infra, steps: [{after: 0s, notify: [person:ann]}]}
hosts:
  - {id: fw1, name: Edge firewall}
services:
  - {id: sftp, owners: [ann], escalation_policy: infra, depends_on: [host:fw1]}
  - {id: export, owners: [ann], escalation_policy: infra, depends_on: [sftp]}
  - {id: wiki}
monitors:
  - {id: sftp-port, service: sftp, type: tcp, tcp: {address: "sftp.example.com:22"}}
  - id: export-fresh
    service: export
    type: sftp
    sftp: {address: "sftp.example.com:22", user: erp, password: x, path: /out/export.csv, max_age: 26h}
heartbeats:
  - {id: nightly, uuid: 7c9e6679-7425-40de-944b-e07fc1f90ae7}
`

const cleanCoverageYAML = `
people:
  - {id: ann, name: Ann, contacts: [{channel: room}]}
channels:
  - {id: room, type: inbox}
escalation_policies:
  - {id: infra, steps: [{after: 0s, notify: [person:ann]}]}
services:
  - {id: web, owners: [ann], escalation_policy: infra}
monitors:
  - {id: home, service: web, type: http, http: {url: "https://www.example.com/", expect: {body_contains: Welcome}}}
heartbeats:
  - {id: backup, uuid: 7c9e6679-7425-40de-944b-e07fc1f90ae7, service: web}
`

func writeTemp(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCoverageCommand reports coverage from the configuration file alone:
// exit 1 with every finding, 0 when nothing is to fix, 2 for a file that
// does not load.
func TestCoverageCommand(t *testing.T) {
	path := writeTemp(t, coverageYAML)
	code, out, errOut := runCLI(t, "", "coverage", "--config", path)
	out = squash(out)
	for _, want := range []string{
		"SERVICE END TO END OWNER POLICY CHECKS",
		"sftp no yes yes tcp sftp-port (liveness)",
		"export yes yes yes sftp export-fresh (functional)",
		"wiki no no no -",
		"5 to fix:",
		`- service "sftp" has only liveness checks (sftp-port (tcp)): nothing proves it works end to end`,
		`- service "wiki" has no monitor and no heartbeat`,
		`- heartbeat "nightly": its alerts reach nobody on call: it belongs to no service`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("coverage output lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("coverage with findings: exit %d, want 1: %s", code, errOut)
	}
	code, out, _ = runCLI(t, "", "coverage", "--json", "--config", path)
	var cov api.Coverage
	if err := json.Unmarshal([]byte(out), &cov); err != nil || code != 1 || cov.Clean || len(cov.Findings) != 5 {
		t.Errorf("coverage --json: exit %d: %v\n%s", code, err, out)
	}

	code, out, _ = runCLI(t, "", "coverage", "--config", writeTemp(t, cleanCoverageYAML))
	if code != 0 || !strings.Contains(out, "nothing to report") {
		t.Errorf("a clean configuration: exit %d:\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "", "coverage", "--config", writeTemp(t, "services: [{id: x, colour: red}]\n")); code != 2 || !strings.Contains(errOut, "colour") {
		t.Errorf("a bad configuration: exit %d: %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "", "coverage", "--config", filepath.Join(t.TempDir(), "missing.yaml")); code != 2 {
		t.Errorf("a missing configuration: exit %d", code)
	}
	if code, _, _ := runCLI(t, "", "coverage", "--config", path, "extra"); code != 2 {
		t.Errorf("an extra argument: exit %d", code)
	}
}

// TestImpactCommand previews from the configuration file alone what
// depends on a host, with owners and who is on call.
func TestImpactCommand(t *testing.T) {
	path := writeTemp(t, coverageYAML)
	code, out, errOut := runCLI(t, "", "impact", "host:fw1", "--config", path)
	out = squash(out)
	for _, want := range []string{
		"if host:fw1 (Edge firewall) goes, 2 services are affected:",
		"sftp directly Ann Ann +47 555 01 234 -",
		"export through another service Ann Ann +47 555 01 234 -",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("impact output lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("impact: exit %d: %s", code, errOut)
	}
	code, out, _ = runCLI(t, "", "impact", "--json", "--config", path, "sftp")
	var imp api.Impact
	if err := json.Unmarshal([]byte(out), &imp); err != nil || code != 0 || len(imp.Affected) != 1 || imp.Affected[0].Service != "export" {
		t.Errorf("impact --json sftp: exit %d: %v\n%s", code, err, out)
	}
	if code, out, _ := runCLI(t, "", "impact", "--config", path, "wiki"); code != 0 || !strings.Contains(out, "no service depends on wiki") {
		t.Errorf("impact of a leaf: exit %d: %s", code, out)
	}
	if code, _, errOut := runCLI(t, "", "impact", "--config", path, "host:db9"); code != 1 || !strings.Contains(errOut, `unknown host "db9"`) {
		t.Errorf("an unknown host: exit %d: %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "", "impact", "--config", path); code != 2 {
		t.Errorf("no entry: exit %d", code)
	}
}
