package app

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestAlertsCommands lists, shows, acknowledges, snoozes, unacknowledges
// and resolves a paged alert with the command line against a running
// server, and finds each action stored as the token's user's; an unknown
// id, a bad token, a bad duration and a server that is down are clear
// errors. On each database.
func TestAlertsCommands(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, baseConfig(t, driver, target.URL, hook.URL))
			r := start(t, path)
			st := r.app.Store()
			token, _ := signIn(t, st)
			opened := time.Now().UTC().Truncate(time.Millisecond)
			if err := st.SaveBatch(t.Context(), store.Batch{Alerts: []store.AlertChange{
				{GroupKey: "web", ServiceID: "web", MonitorID: "checkout", Down: true, Time: opened, Reason: "GET /cart: 503"},
				{GroupKey: "web", ServiceID: "web", MonitorID: "login", Down: true, Time: opened, Reason: "timeout"},
			}}); err != nil {
				t.Fatal(err)
			}
			a, err := st.ActiveAlert(t.Context(), "web")
			if err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(a.ID, 10)

			code, out, errOut := cliEnv(t, r.url, token, "alerts", "list", "--state", "active")
			if out = squash(out); code != 0 || !strings.Contains(out, "ID STATE SERVICE") || !strings.Contains(out, id+" open web") || !strings.Contains(out, "2: checkout,login") {
				t.Fatalf("alerts list: exit %d:\n%s%s", code, out, errOut)
			}
			if code, out, _ := cliEnv(t, r.url, token, "alerts", "list", "--state", "resolved"); code != 0 || strings.TrimSpace(out) != "no alerts" {
				t.Errorf("alerts list --state resolved: exit %d: %s", code, out)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "alerts", "list", "--state", "sleeping"); code != 1 || !strings.Contains(errOut, "sleeping") {
				t.Errorf("an unknown state: exit %d: %s", code, errOut)
			}
			code, out, errOut = cliEnv(t, r.url, token, "alerts", "show", id)
			if out = squash(out); code != 0 || !strings.Contains(out, "alert "+id+" open") || !strings.Contains(out, "checkout down") || !strings.Contains(out, "opened system - monitor checkout failed: GET /cart: 503") {
				t.Fatalf("alerts show: exit %d:\n%s%s", code, out, errOut)
			}

			code, out, errOut = cliEnv(t, r.url, token, "alerts", "ack", id)
			if code != 0 || !strings.Contains(out, "alert "+id+" acknowledged by ada at ") {
				t.Fatalf("alerts ack: exit %d: %s%s", code, out, errOut)
			}
			if got, _ := st.Alert(t.Context(), a.ID); got.State != store.AlertAcknowledged || got.AcknowledgedBy != "user:ada" {
				t.Errorf("stored after ack: %s by %q", got.State, got.AcknowledgedBy)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "alerts", "ack", id); code != 1 || !strings.Contains(errOut, "acknowledged already") {
				t.Errorf("second ack: exit %d: %s", code, errOut)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "alerts", "snooze", id); code != 1 || !strings.Contains(errOut, "--for") {
				t.Errorf("snooze without --for: exit %d: %s", code, errOut)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "alerts", "snooze", "--for", "soon", id); code != 1 || !strings.Contains(errOut, `--for "soon"`) {
				t.Errorf("snooze --for soon: exit %d: %s", code, errOut)
			}
			code, out, errOut = cliEnv(t, r.url, token, "alerts", "snooze", id, "--for", "1d")
			if code != 0 || !strings.Contains(out, "snoozed by ada until") {
				t.Fatalf("alerts snooze: exit %d: %s%s", code, out, errOut)
			}
			if got, _ := st.Alert(t.Context(), a.ID); time.Until(got.SnoozedUntil) < 23*time.Hour {
				t.Errorf("snoozed until %s, want a day from now", got.SnoozedUntil)
			}
			if code, out, errOut := cliEnv(t, r.url, token, "alerts", "unack", id); code != 0 || !strings.Contains(out, "alert "+id+" open") {
				t.Fatalf("alerts unack: exit %d: %s%s", code, out, errOut)
			}
			if code, out, errOut := cliEnv(t, r.url, token, "alerts", "resolve", id); code != 0 || !strings.Contains(out, "resolved by ada") {
				t.Fatalf("alerts resolve: exit %d: %s%s", code, out, errOut)
			}
			code, out, _ = cliEnv(t, r.url, token, "alerts", "show", id)
			out = squash(out)
			for _, want := range []string{"resolved by ada", "acknowledged ada - via the API", "snoozed ada - until", "unacknowledged ada - via the API", "resolved ada - via the API"} {
				if code != 0 || !strings.Contains(out, want) {
					t.Errorf("alerts show after acting lacks %q: exit %d:\n%s", want, code, out)
				}
			}

			if code, _, errOut := cliEnv(t, r.url, token, "alerts", "show", "999999"); code != 1 || !strings.Contains(errOut, "alert 999999 does not exist") {
				t.Errorf("an unknown id: exit %d: %s", code, errOut)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "alerts", "ack", "seven"); code != 1 || !strings.Contains(errOut, `no alert "seven"`) {
				t.Errorf("a bad id: exit %d: %s", code, errOut)
			}
			if code, _, errOut := cliEnv(t, r.url, "tocsin_wrong-token", "alerts", "list"); code != 1 || !strings.Contains(errOut, "API token is unknown or was revoked") {
				t.Errorf("a bad token: exit %d: %s", code, errOut)
			}
			if got, _ := st.Alert(t.Context(), a.ID); got.State != store.AlertResolved {
				t.Errorf("state after the refusals: %s", got.State)
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			down := "http://" + l.Addr().String()
			l.Close()
			if code, _, errOut := cliEnv(t, down, token, "alerts", "list"); code != 1 || !strings.Contains(errOut, "reaching "+down) {
				t.Errorf("a server that is down: exit %d: %s", code, errOut)
			}
			if code, _, errOut := cliEnv(t, r.url, token, "alerts", "page", id); code != 2 || !strings.Contains(errOut, `unknown command "page"`) {
				t.Errorf("an unknown subcommand: exit %d: %s", code, errOut)
			}
		})
	}
}

// squash collapses the runs of blanks a table is aligned with.
func squash(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
