package app

import (
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/testkit"
)

// The credentials of the monitor in TestMonitorSecretsNeverShown.
var monitorSecrets = []string{"pw-s3cret-1", "tok-s3cret-2", "hdr-s3cret-3", "key-s3cret-4"}

func checkNoSecret(t *testing.T, where, text string) {
	t.Helper()
	for _, s := range monitorSecrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q:\n%s", where, s, text)
		}
	}
}

// TestMonitorSecretsNeverShown runs a monitor whose URL holds a user name
// and password and a ?token=, with an Authorization header, against a
// port where nothing listens, and checks that none of its secrets appears
// in the webhook payload of its failure, the UI, the API (the monitor and
// its results: the probe's reason), the log, `tocsin check --json`, or a
// configuration error about it — while the target is still shown, with
// the secrets replaced by xxxxx.
func TestMonitorSecretsNeverShown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // connections to addr are refused from now on
	hook := testkit.NewWebhook(t)
	monitorYAML := `monitors:
  - id: vault
    service: web
    type: http
    interval: 300ms
    timeout: 250ms
    failure_threshold: 1
    http:
      url: http://admin:pw-s3cret-1@` + addr + `/health?token=tok-s3cret-2&page=1&API_KEY=key-s3cret-4
      headers:
        Authorization: Bearer hdr-s3cret-3
`
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, "sqlite")+`
channels:
  - id: ops-hook
    type: webhook
    webhook:
      url: `+hook.URL+`
services:
  - id: web
    channels: [ops-hook]
`+monitorYAML)
	var logs lockedBuffer
	r := runApp(t, Options{ConfigPath: path, WatchInterval: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))})

	d := hook.WaitFor(t, 15*time.Second, testkit.EventIs("monitor.down", "vault"))
	checkNoSecret(t, "the webhook payload", string(d.Body))
	if reason, _ := d.Event["reason"].(string); !strings.Contains(reason, "admin:xxxxx@"+addr) || !strings.Contains(reason, "token=xxxxx") {
		t.Errorf("the webhook reason %q does not name the target without its secrets", reason)
	}

	token, cookie := signIn(t, r.app.Store())
	get := func(p string, session bool) string { t.Helper(); return signedIn(t, r.url, p, session, token, cookie) }
	for _, p := range []string{"/", "/monitors/vault", "/?q=vault"} {
		page := get(p, true)
		checkNoSecret(t, "the page "+p, page)
		if !strings.Contains(page, "admin:xxxxx@"+addr) {
			t.Errorf("the page %s does not show the target without its secrets", p)
		}
	}
	for _, p := range []string{"/api/v1/monitors", "/api/v1/monitors/vault", "/api/v1/monitors/vault/results", "/api/v1/monitors/vault/transitions"} {
		body := get(p, false)
		checkNoSecret(t, "the API "+p, body)
		if !strings.Contains(body, "xxxxx") {
			t.Errorf("the API %s does not show the target or reason without its secrets: %s", p, body)
		}
	}
	log := logs.String()
	checkNoSecret(t, "the log", log)
	if !strings.Contains(log, "vault") {
		t.Errorf("the log says nothing of the monitor:\n%s", log)
	}

	code, stdout, stderr := runCLI(t, "", "check", "--json", "--config", path, "vault")
	checkNoSecret(t, "tocsin check --json", stdout+stderr)
	if code != 2 || !strings.Contains(stdout, "admin:xxxxx@") {
		t.Errorf("tocsin check --json: exit %d, %s %s", code, stdout, stderr)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	writeConfig(t, bad, strings.NewReplacer("http://admin", "ftp://admin").Replace(monitorYAML)+`
  - id: broken
    type: http
    http:
      url: https://admin:pw-s3cret-1@/health?token=tok-s3cret-2
  - id: unparsable
    type: http
    http:
      url: https://admin:pw-s3cret-1/x@host/?token=tok-s3cret-2
channels:
  - id: hook
    type: webhook
    webhook:
      url: hooks.example.org/?token=tok-s3cret-2
`)
	code, _, stderr = runCLI(t, "", "validate", "--config", bad)
	checkNoSecret(t, "tocsin validate", stderr)
	if code != 1 || strings.Count(stderr, ".url:") < 4 {
		t.Errorf("tocsin validate: exit %d, want 1 and four URL errors:\n%s", code, stderr)
	}
}
