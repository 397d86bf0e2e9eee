package app

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestIncidentCommands declares a customer-reported incident with the
// command line, adds a note with its own time, lists and shows it; bad
// input is a clear error. On each database.
func TestIncidentCommands(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, baseConfig(t, driver, target.URL, hook.URL))
			r := start(t, path)
			st := r.app.Store()
			token, _ := signIn(t, st)
			reported := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Minute)

			code, out, errOut := cliEnv(t, r.url, token, "incident", "declare", "--title", "SFTP export blocked", "--service", "web",
				"--severity", "P1", "--reported-by", "ACME support", "--kind", "customer", "--reported-at", reported.Format("2006-01-02 15:04"))
			if code != 0 || !strings.Contains(out, "incident 1 declared: SFTP export blocked (p1, investigating)") {
				t.Fatalf("declare: exit %d:\n%s%s", code, out, errOut)
			}
			in, err := st.Incident(t.Context(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if in.ReportedKind != store.ReportedByCustomer || in.ReportedName != "ACME support" || !in.ReportedAt.Equal(reported) || !in.DetectedAt.Equal(reported) {
				t.Errorf("stored incident = %+v", in)
			}
			code, out, errOut = cliEnv(t, r.url, token, "incident", "note", "--key", "--at", reported.Add(time.Hour).Format(time.RFC3339), "1", "firewall rule 42 blocks port 22")
			if code != 0 || !strings.Contains(out, "note added") {
				t.Fatalf("note: exit %d:\n%s%s", code, out, errOut)
			}
			code, out, errOut = cliEnv(t, r.url, token, "incident", "list", "--state", "active")
			if out = squash(out); code != 0 || !strings.Contains(out, "1 investigating p1") || !strings.Contains(out, "customer SFTP export blocked") {
				t.Errorf("list: exit %d:\n%s%s", code, out, errOut)
			}
			code, out, errOut = cliEnv(t, r.url, token, "incident", "show", "1")
			if out = squash(out); code != 0 || !strings.Contains(out, "reported by ACME support (customer)") || !strings.Contains(out, "note ada KEY firewall rule 42 blocks port 22") {
				t.Errorf("show: exit %d:\n%s%s", code, out, errOut)
			}
			for _, bad := range [][]string{
				{"declare", "--service", "web"},
				{"declare", "--title", "x", "--kind", "robot"},
				{"declare", "--title", "x", "--severity", "p7"},
				{"declare", "--title", "x", "--reported-at", "yesterday"},
				{"note", "1", ""},
				{"show", "abc"},
				{"show", "99"},
			} {
				if code, _, errOut := cliEnv(t, r.url, token, append([]string{"incident"}, bad...)...); code != 1 || errOut == "" {
					t.Errorf("incident %v: exit %d, %q; want 1 with an error", bad, code, errOut)
				}
			}
		})
	}
}
