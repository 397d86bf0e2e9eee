package app

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestRecurringMaintenanceCLI plans recurring windows with the command line
// against a running server: bad input is refused with clear words; a window
// opening every minute for two minutes holds back the failure of the
// service's monitor; the listing shows how it repeats and its next opening;
// ending it releases the notification. On each database.
func TestRecurringMaintenanceCLI(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, baseConfig(t, driver, target.URL, hook.URL))
			r := start(t, path)
			st := r.app.Store()
			token, _ := signIn(t, st)
			waitState(t, r.app, "site", monitor.StatusUp)

			for _, tc := range []struct {
				args []string
				want string
			}{
				{[]string{"--cron", "0 2 * *", "--duration", "2h"}, "invalid cron expression"},
				{[]string{"--cron", "0 2 * * SUN"}, "--cron needs --duration"},
				{[]string{"--cron", "0 2 * * SUN", "--duration", "2h", "--timezone", "Europe/Atlantis"}, `unknown timezone "Europe/Atlantis"`},
				{[]string{"--cron", "0 2 * * SUN", "--duration", "2h", "--start", "2030-01-02 00:00", "--end", "2030-01-01 00:00"}, "is not after the start"},
			} {
				args := append([]string{"maintenance", "add", "--service", "web", "--reason", "x"}, tc.args...)
				if code, out, errOut := cliEnv(t, r.url, token, args...); code != 1 || !strings.Contains(errOut, tc.want) {
					t.Errorf("%v: exit %d: %s%s, want %q", tc.args, code, out, errOut, tc.want)
				}
			}

			code, out, errOut := cliEnv(t, r.url, token, "maintenance", "add", "--service", "web", "--reason", "weekly patching",
				"--cron", "0 2 * * SUN", "--duration", "2h", "--timezone", "Europe/Oslo", "--start", "2030-03-01 00:00", "--end", "2030-04-30 00:00")
			// The first Sunday of March 2030 is the 3rd; 02:00 in Oslo is 01:00 UTC.
			if code != 0 || !strings.Contains(out, "maintenance window 1: service=web, every 0 2 * * SUN for 2h0m0s (Europe/Oslo), until 2030-04-29 22:00Z; next opening 2030-03-03 01:00Z to 2030-03-03 03:00Z") {
				t.Fatalf("maintenance add --cron: exit %d: %s%s", code, out, errOut)
			}
			code, out, errOut = cliEnv(t, r.url, token, "maintenance", "add", "--service", "web", "--reason", "rolling restarts",
				"--cron", "* * * * *", "--duration", "2m")
			if code != 0 || !strings.Contains(out, "maintenance window 2: service=web, every * * * * * for 2m0s (UTC), until ended; next opening") {
				t.Fatalf("maintenance add --cron every minute: exit %d: %s%s", code, out, errOut)
			}
			code, out, _ = cliEnv(t, r.url, token, "maintenance", "list")
			if code != 0 || !strings.Contains(out, "REPEATS") || !strings.Contains(out, "0 2 * * SUN for 2h0m0s (Europe/Oslo)") ||
				!strings.Contains(out, "2030-03-03 01:00Z") || !strings.Contains(out, "rolling restarts") {
				t.Errorf("maintenance list:\n%s", out)
			}
			if _, ok := r.app.eng.Mutes().Check("site", time.Now()); !ok {
				t.Fatal("site is not muted by the window opening every minute")
			}

			failedAt := time.Now().UTC()
			target.SetFailing(true)
			waitTransition(t, st, "site", monitor.StatusDown, failedAt.Add(-time.Second))
			if n := countEvents(t, st, "site", "monitor.down"); n != 0 {
				t.Fatalf("%d monitor.down notifications stored during recurring maintenance, want none", n)
			}
			if code, out, errOut := cliEnv(t, r.url, token, "maintenance", "end", "2"); code != 0 || !strings.Contains(out, "maintenance window 2 ended") {
				t.Fatalf("maintenance end: exit %d: %s%s", code, out, errOut)
			}
			hook.WaitFor(t, 10*time.Second, testkit.EventIs("monitor.down", "site"))
			if _, ok := r.app.eng.Mutes().Check("site", time.Now().Add(time.Hour)); ok {
				t.Error("site muted after its recurring window ended")
			}
			if code, _, errOut := cliEnv(t, r.url, token, "maintenance", "end", "2"); code != 1 || !strings.Contains(errOut, "already ended") {
				t.Errorf("ending twice: exit %d: %s", code, errOut)
			}
		})
	}
}
