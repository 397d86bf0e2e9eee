package app

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify/channels"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestAPIMonitors creates, replaces and deletes a monitor through the API
// of a running server, on each database: its results arrive, its new
// interval applies, it goes when deleted, and the monitor of the file runs
// on untouched throughout; a reload and a restart keep it, and a monitor
// the file later defines with its id wins.
func TestAPIMonitors(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			apiTarget := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			cfg := baseConfig(t, driver, target.URL, hook.URL)
			writeConfig(t, path, cfg)
			r := runApp(t, Options{ConfigPath: path, WatchInterval: -1})
			token, _ := signIn(t, r.app.Store())
			call := func(method, p, body string) (int, string) {
				t.Helper()
				status, b := withToken(t, r.url, token, method, p, body)
				var out bytes.Buffer
				if json.Compact(&out, []byte(b)) != nil {
					return status, b
				}
				return status, out.String()
			}

			waitState(t, r.app, "site", monitor.StatusUp)
			siteProber := r.app.eng.Probers()["site"]
			siteSince := mustView(t, r.app, "site").State.Since
			untouched := func(when string) {
				t.Helper()
				if r.app.eng.Probers()["site"] != siteProber {
					t.Errorf("%s: the file's monitor got a new prober", when)
				}
				if got := mustView(t, r.app, "site").State.Since; !got.Equal(siteSince) {
					t.Errorf("%s: the file's monitor's state was reset (since %v, was %v)", when, got, siteSince)
				}
			}

			body := `{"id": "api-site", "service": "web", "interval": "300ms", "timeout": "250ms",
			  "http": {"url": "` + apiTarget.URL + `", "expect": {"body_contains": "ok"}}}`
			status, out := call("POST", "/api/v1/monitors", body)
			if status != 201 || !strings.Contains(out, `"source":"api"`) || !strings.Contains(out, `"interval_ms":300`) {
				t.Fatalf("create: %d %s", status, out)
			}
			waitState(t, r.app, "api-site", monitor.StatusUp)
			res, err := r.app.Store().Results(t.Context(), "api-site", store.Page{})
			if err != nil || len(res) == 0 {
				waitUntil(t, "results of the new monitor", func() bool {
					res, err = r.app.Store().Results(t.Context(), "api-site", store.Page{})
					return err == nil && len(res) > 0
				})
			}
			untouched("after create")

			if status, out := call("GET", "/api/v1/monitors", ""); status != 200 || !strings.Contains(out, `"source":"config"`) || !strings.Contains(out, `"source":"api"`) {
				t.Errorf("list: %d %s", status, out)
			}
			for _, tc := range []struct {
				method, path, body string
				status             int
				want               string
			}{
				{"POST", "/api/v1/monitors", body, 409, `created in the API`},
				{"POST", "/api/v1/monitors", `{"id": "site", "http": {"url": "https://example.com/"}}`, 409, `configuration file`},
				{"POST", "/api/v1/monitors", `{"id": "x", "interval": "0s", "http": {"url": "https://example.com/"}}`, 400, `interval: must be longer than zero`},
				{"POST", "/api/v1/monitors", `{"id": "x", "channels": ["nope"], "http": {"url": "https://example.com/"}}`, 400, `undefined channel`},
				{"POST", "/api/v1/monitors", `{"id": "x", "command": {"path": "/bin/true"}}`, 400, `runs a program on the server`},
				{"POST", "/api/v1/monitors", `{"id": "x", "name": "` + strings.Repeat("x", 70<<10) + `"}`, 413, ``},
				{"PUT", "/api/v1/monitors/site", `{"id": "site", "http": {"url": "https://example.com/"}}`, 409, `configuration file`},
				{"PUT", "/api/v1/monitors/nope", `{"id": "nope", "http": {"url": "https://example.com/"}}`, 404, ``},
				{"PUT", "/api/v1/monitors/api-site", `{"id": "other", "http": {"url": "https://example.com/"}}`, 400, `cannot change`},
				{"DELETE", "/api/v1/monitors/site", ``, 409, `configuration file`},
			} {
				if status, out := call(tc.method, tc.path, tc.body); status != tc.status || !strings.Contains(out, tc.want) {
					t.Errorf("%s %s %.60s: %d %s; want %d with %q", tc.method, tc.path, tc.body, status, out, tc.status, tc.want)
				}
			}
			if _, ok := r.app.config().Monitor("x"); ok {
				t.Error("a refused monitor runs")
			}

			yamlBody := "id: api-site\nservice: web\ninterval: 2s\ntimeout: 1s\nhttp:\n  url: " + apiTarget.URL + "\n"
			if status, out := call("PUT", "/api/v1/monitors/api-site", yamlBody); status != 200 || !strings.Contains(out, `"interval_ms":2000`) {
				t.Fatalf("replace: %d %s", status, out)
			}
			if m, ok := r.app.config().Monitor("api-site"); !ok || m.Interval.D() != 2*time.Second || !m.Stored {
				t.Errorf("after replace the running monitor is %+v", m)
			}
			untouched("after replace")

			if err := r.app.Reload(t.Context()); err != nil {
				t.Fatal(err)
			}
			if m, ok := r.app.config().Monitor("api-site"); !ok || !m.Stored {
				t.Error("a reload dropped the monitor created through the API")
			}

			if status, out := call("DELETE", "/api/v1/monitors/api-site", ""); status != 204 {
				t.Fatalf("delete: %d %s", status, out)
			}
			if _, ok := r.app.eng.View("api-site"); ok {
				t.Error("the deleted monitor is still evaluated")
			}
			if status, _ := call("DELETE", "/api/v1/monitors/api-site", ""); status != 404 {
				t.Errorf("delete twice: %d, want 404", status)
			}
			untouched("after delete")

			// Kept across a restart; a monitor of the file with its id wins.
			if status, out := call("POST", "/api/v1/monitors", "id: kept\nhttp: {url: '"+apiTarget.URL+"'}\n"); status != 201 {
				t.Fatalf("create kept: %d %s", status, out)
			}
			r.stop()
			r = runApp(t, Options{ConfigPath: path, WatchInterval: -1})
			if m, ok := r.app.config().Monitor("kept"); !ok || !m.Stored {
				t.Fatal("the monitor created through the API did not survive a restart")
			}
			writeConfig(t, path, cfg+"  - {id: kept, type: tcp, tcp: {address: '"+strings.TrimPrefix(target.URL, "http://")+"'}}\n")
			if err := r.app.Reload(t.Context()); err != nil {
				t.Fatal(err)
			}
			if m, ok := r.app.config().Monitor("kept"); !ok || m.Stored || m.Type != "tcp" {
				t.Errorf("after the file defined kept: %+v, want the file's tcp monitor", m)
			}
		})
	}
}

func mustView(t *testing.T, a *App, id string) struct{ State monitor.State } {
	t.Helper()
	v, ok := a.eng.View(id)
	if !ok {
		t.Fatalf("monitor %q is not evaluated", id)
	}
	return struct{ State monitor.State }{v.State}
}

// TestExportRoundTrip: `tocsin export` writes the monitors created through
// the API as a file that, included from the main one, loads as the same
// monitors; --all adds the file's own, and the export reads the database
// without writing to it.
func TestExportRoundTrip(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	cfg := baseConfig(t, "sqlite", target.URL, hook.URL)
	writeConfig(t, path, cfg)
	r := runApp(t, Options{ConfigPath: path, WatchInterval: -1})
	mr := (*monitorRuntime)(r.app)
	for _, body := range []string{
		`{"id": "api-http", "name": "Shop API", "service": "web", "channels": ["ops-hook"], "interval": "45s", "failure_threshold": 3, "tags": ["shop"],
		  "http": {"url": "` + target.URL + `/health", "method": "HEAD", "expect": {"status": ["2xx"], "max_response_time": "2s"}}}`,
		"id: api-tcp\ntcp:\n  address: " + strings.TrimPrefix(target.URL, "http://") + "\npaused: true\n",
	} {
		if _, err := mr.CreateMonitor(t.Context(), []byte(body), "ada"); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	running := map[string]string{}
	for _, m := range r.app.config().Monitors {
		running[m.ID] = monitorText(t, m)
		if m.Stored {
			want = append(want, m.ID)
		}
	}
	r.stop()

	// tocsin check runs a monitor created through the API as it runs one
	// of the file, and lists them with the file's for an unknown id.
	if code, stdout, stderr := runCLI(t, "", "check", "--config", path, "api-tcp"); code != 0 || !strings.HasPrefix(stdout, "OK - api-tcp: ") {
		t.Errorf("check of a monitor created through the API: exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCLI(t, "", "check", "--config", path, "nope"); code != 3 || !strings.Contains(stderr, "(monitors: site, api-http, api-tcp)") {
		t.Errorf("check of an unknown monitor: exit %d: %s", code, stderr)
	}

	dbFile := r.app.config().Storage.DSN
	before, err := os.Stat(dbFile)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "api.yaml")
	if code, _, stderr := runCLI(t, "", "export", "--config", path, "--out", out); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	if after, err := os.Stat(dbFile); err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("export changed the database file %s", dbFile)
	}
	main := filepath.Join(dir, "main.yaml")
	writeConfig(t, main, cfg+"include: [api.yaml]\n")
	loaded, err := config.Load(main, channels.Config(probekinds.Config()))
	if err != nil {
		t.Fatalf("loading the exported file: %v", err)
	}
	var got []string
	for _, m := range loaded.Monitors[1:] {
		got = append(got, m.ID)
		if text := monitorText(t, m); text != running[m.ID] {
			t.Errorf("monitor %q read back as\n%s\nwant\n%s", m.ID, text, running[m.ID])
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("exported %v, want %v", got, want)
	}

	code, stdout, stderr := runCLI(t, "", "export", "--config", path, "--all")
	if code != 0 {
		t.Fatalf("export --all: exit %d: %s", code, stderr)
	}
	allFile := filepath.Join(dir, "all.yaml")
	writeConfig(t, allFile, stdout)
	writeConfig(t, main, strings.Split(cfg, "monitors:\n")[0]+"include: [all.yaml]\n")
	loaded, err = config.Load(main, channels.Config(probekinds.Config()))
	if err != nil {
		t.Fatalf("loading the export of every monitor: %v", err)
	}
	if len(loaded.Monitors) != 3 || loaded.Monitors[0].ID != "site" || monitorText(t, loaded.Monitors[0]) != running["site"] {
		t.Errorf("export --all read back as %d monitors", len(loaded.Monitors))
	}
}

// monitorText is m as YAML, to compare definitions.
func monitorText(t *testing.T, m config.Monitor) string {
	t.Helper()
	f, err := config.MonitorFields(m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// tocsin export writes no secret in clear unless asked: a value read from
// ${NAME} is written as the reference, one read from a *_file key as the
// key, any other secret (a password in a URL, a secret query parameter or
// header, a password) as a reference to a variable that stderr names.
// With those variables set the file reads back as the running monitors;
// --include-secrets writes the values themselves.
func TestExportKeepsSecretsOut(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	if err := os.WriteFile(filepath.Join(dir, "ssh-password"), []byte("file-password-42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EXPORT_TEST_TOKEN", "env-token-42")
	cfg := baseConfig(t, "sqlite", target.URL, hook.URL) + `  - id: auth
    type: http
    http:
      url: http://shop:url-password-42@127.0.0.1:1/health?token=query-token-42
      headers:
        Authorization: Bearer ${EXPORT_TEST_TOKEN}
        X-Api-Key: inline-key-42
        Accept: text/plain
      expect:
        body_contains: "costs $${PRICE} or $$5"
  - id: box
    type: ssh
    ssh:
      address: 127.0.0.1:1
      user: probe
      password_file: ssh-password
  - id: box2
    type: ssh
    ssh:
      address: 127.0.0.1:2
      user: probe
      password: inline-password-42
`
	writeConfig(t, path, cfg)
	r := runApp(t, Options{ConfigPath: path, WatchInterval: -1})
	mr := (*monitorRuntime)(r.app)
	if _, err := mr.CreateMonitor(t.Context(), []byte(`{"id": "api-key", "http": {"url": "`+target.URL+`/", "headers": {"Cookie": "session=api-cookie-42"}}}`), "ada"); err != nil {
		t.Fatal(err)
	}
	running := map[string]string{}
	for _, m := range r.app.config().Monitors {
		running[m.ID] = monitorText(t, m)
	}
	r.stop()

	secrets := []string{"env-token-42", "file-password-42", "url-password-42", "query-token-42", "inline-key-42", "inline-password-42", "api-cookie-42"}
	code, stdout, stderr := runCLI(t, "", "export", "--config", path, "--all")
	if code != 0 {
		t.Fatalf("export --all: exit %d: %s", code, stderr)
	}
	for _, s := range secrets {
		if strings.Contains(stdout, s) || strings.Contains(stderr, s) {
			t.Errorf("the export holds the secret %q:\n%s\n%s", s, stdout, stderr)
		}
	}
	for _, want := range []string{"Bearer ${EXPORT_TEST_TOKEN}", "password_file: " + filepath.Join(dir, "ssh-password"), "costs $${PRICE} or $$5"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the export lacks %q:\n%s", want, stdout)
		}
	}
	vars := map[string]string{
		"TOCSIN_AUTH_HTTP_URL":               "http://shop:url-password-42@127.0.0.1:1/health?token=query-token-42",
		"TOCSIN_AUTH_HTTP_HEADERS_X_API_KEY": "inline-key-42",
		"TOCSIN_BOX2_SSH_PASSWORD":           "inline-password-42",
		"TOCSIN_API_KEY_HTTP_HEADERS_COOKIE": "session=api-cookie-42",
	}
	for name := range vars {
		if !strings.Contains(stdout, "${"+name+"}") || !strings.Contains(stderr, name) {
			t.Errorf("the secret %s is not written as a reference and named:\n%s\n%s", name, stdout, stderr)
		}
	}
	if strings.Contains(stdout, "TOCSIN_AUTH_HTTP_HEADERS_ACCEPT") {
		t.Errorf("a header that is no secret was hidden:\n%s", stdout)
	}
	for name, v := range vars {
		t.Setenv(name, v)
	}
	// In clear, box's password is written and its password_file, which
	// may not be set beside it, is not: it reads back different.
	readBack := func(doc string, differs string) {
		t.Helper()
		writeConfig(t, filepath.Join(dir, "all.yaml"), doc)
		main := filepath.Join(dir, "main.yaml")
		writeConfig(t, main, strings.Split(cfg, "monitors:\n")[0]+"include: [all.yaml]\n")
		loaded, err := config.Load(main, channels.Config(probekinds.Config()))
		if err != nil {
			t.Fatalf("loading the export: %v\n%s", err, doc)
		}
		if len(loaded.Monitors) != len(running) {
			t.Fatalf("read back %d monitors, want %d", len(loaded.Monitors), len(running))
		}
		for _, m := range loaded.Monitors {
			if text := monitorText(t, m); text != running[m.ID] && m.ID != differs {
				t.Errorf("monitor %q read back as\n%s\nwant\n%s", m.ID, text, running[m.ID])
			}
		}
	}
	readBack(stdout, "")

	code, stdout, stderr = runCLI(t, "", "export", "--config", path, "--all", "--include-secrets")
	if code != 0 {
		t.Fatalf("export --all --include-secrets: exit %d: %s", code, stderr)
	}
	for _, s := range secrets {
		if !strings.Contains(stdout, s) {
			t.Errorf("--include-secrets left out %q:\n%s", s, stdout)
		}
	}
	readBack(stdout, "box")
}
