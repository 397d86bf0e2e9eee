package app

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestActionsCommands adds follow-up actions with the command line,
// lists them by status and owner with the overdue one marked, marks one
// done and moves another along, against a running server on each
// database; bad input is a clear error.
func TestActionsCommands(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, baseConfig(t, driver, target.URL, hook.URL))
			r := start(t, path)
			st := r.app.Store()
			token, _ := signIn(t, st)
			now := time.Now()
			in, err := st.OpenIncident(t.Context(), store.Incident{Title: "Checkout fails", Severity: "p2", OpenedAt: now, DetectedAt: now,
				ReportedKind: store.ReportedByStaff, ReportedAt: now, DeclaredBy: "ada"}, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			inc := strconv.FormatInt(in.ID, 10)
			past := now.UTC().AddDate(0, 0, -3).Format(store.DateLayout)
			code, out, errOut := cliEnv(t, r.url, token, "actions", "add", "--incident", inc, "--title", "Alert on payment latency", "--owner", "ana",
				"--due", past, "--priority", "high", "--type", "detective", "--link", "https://tickets.example/OPS-1")
			if code != 0 || !strings.Contains(out, "added to incident "+inc+", due "+past+" OVERDUE") {
				t.Fatalf("actions add: exit %d: %s%s", code, out, errOut)
			}
			first := strings.Fields(out)[2]
			code, out, errOut = cliEnv(t, r.url, token, "actions", "add", "--incident", inc, "--title", "Load test checkout", "--owner", "bo")
			if code != 0 || !strings.Contains(out, "due -") {
				t.Fatalf("actions add without a date: exit %d: %s%s", code, out, errOut)
			}
			second := strings.Fields(out)[2]
			if code, _, errOut := cliEnv(t, r.url, token, "actions", "add", "--incident", inc, "--title", "x", "--due", "soon"); code != 1 || !strings.Contains(errOut, `due date "soon"`) {
				t.Errorf("a bad due date: exit %d: %s", code, errOut)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "actions", "add", "--title", "x"); code != 1 || !strings.Contains(errOut, "--incident") {
				t.Errorf("no incident: exit %d: %s", code, errOut)
			}
			code, out, errOut = cliEnv(t, r.url, token, "actions", "list")
			if out = squash(out); code != 0 || !strings.Contains(out, "ID INCIDENT STATUS DUE") ||
				!strings.Contains(out, first+" "+inc+" open "+past+" OVERDUE high detective ana Alert on payment latency") ||
				!strings.Contains(out, second+" "+inc+" open - medium corrective bo Load test checkout") {
				t.Fatalf("actions list: exit %d:\n%s%s", code, out, errOut)
			}
			if code, out, _ := cliEnv(t, r.url, token, "actions", "list", "--status", "overdue"); code != 0 || strings.Contains(out, "Load test") || !strings.Contains(out, "payment latency") {
				t.Errorf("actions list --status overdue: exit %d: %s", code, out)
			}
			if code, out, _ := cliEnv(t, r.url, token, "actions", "list", "--owner", "bo"); code != 0 || strings.Contains(out, "payment latency") || !strings.Contains(out, "Load test") {
				t.Errorf("actions list --owner bo: exit %d: %s", code, out)
			}
			if code, out, errOut := cliEnv(t, r.url, token, "actions", "done", first); code != 0 || strings.TrimSpace(out) != "follow-up action "+first+" is done" {
				t.Fatalf("actions done: exit %d: %s%s", code, out, errOut)
			}
			if code, out, errOut := cliEnv(t, r.url, token, "actions", "status", second, "in_progress"); code != 0 || !strings.Contains(out, "is in_progress") {
				t.Fatalf("actions status: exit %d: %s%s", code, out, errOut)
			}
			if code, out, _ := cliEnv(t, r.url, token, "actions", "list", "--status", "done"); code != 0 || !strings.Contains(out, "payment latency") || strings.Contains(out, "Load test") {
				t.Errorf("actions list --status done: exit %d: %s", code, out)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "actions", "done", "99999"); code != 1 || !strings.Contains(errOut, "no follow-up action 99999") {
				t.Errorf("done of no action: exit %d: %s", code, errOut)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "actions", "done", "abc"); code != 1 || !strings.Contains(errOut, "positive numbers") {
				t.Errorf("done of a bad id: exit %d: %s", code, errOut)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "actions", "status", second, "finished"); code != 1 || !strings.Contains(errOut, `status "finished"`) {
				t.Errorf("a bad status: exit %d: %s", code, errOut)
			}
			id, _ := strconv.ParseInt(first, 10, 64)
			a, err := st.FollowUp(t.Context(), id)
			if err != nil || a.Status != store.ActionDone || a.UpdatedBy != "ada" || a.DoneAt.IsZero() {
				t.Errorf("stored: %+v %v", a, err)
			}
		})
	}
}
