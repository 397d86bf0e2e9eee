package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit"
)

// storageYAML returns the storage section for a driver, with a database
// private to the test.
func storageYAML(t *testing.T, driver string) string {
	switch driver {
	case "sqlite":
		return fmt.Sprintf("storage:\n  driver: sqlite\n  dsn: %s\n", filepath.Join(t.TempDir(), "tocsin.db"))
	case "postgres":
		return fmt.Sprintf("storage:\n  driver: postgres\n  dsn: %q\n", storetest.PostgresDSN(t))
	}
	t.Fatalf("unknown driver %q", driver)
	return ""
}

func writeConfig(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

type running struct {
	app  *App
	url  string
	stop func()
}

// runApp runs an App with o until the test ends or stop is called. It
// fills in what o leaves out: a logger that discards, a listener on a free
// port of 127.0.0.1.
func runApp(t *testing.T, o Options) *running {
	t.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Listener == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		o.Listener = ln
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, o)
	if err != nil {
		cancel()
		o.Listener.Close()
		t.Fatalf("New: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stop := sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	t.Cleanup(stop)
	return &running{app: a, url: "http://" + o.Listener.Addr().String(), stop: stop}
}

// start runs an App from the config file at path until the test ends,
// watching the file for changes.
func start(t *testing.T, path string) *running {
	t.Helper()
	return runApp(t, Options{ConfigPath: path, WatchInterval: 50 * time.Millisecond})
}

func baseConfig(t *testing.T, driver, targetURL, hookURL string) string {
	return `server:
  listen: 127.0.0.1:0
` + storageYAML(t, driver) + `
channels:
  - id: ops-hook
    type: webhook
    webhook:
      url: ` + hookURL + `
services:
  - id: web
    name: Website
    channels: [ops-hook]
monitors:
  - id: site
    service: web
    type: http
    interval: 300ms
    timeout: 250ms
    failure_threshold: 2
    http:
      url: ` + targetURL + `
      expect:
        body_contains: ok
`
}

// TestEndToEnd starts the app, flips a target to failing and back, and
// receives both webhooks, on each database.
func TestEndToEnd(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, baseConfig(t, driver, target.URL, hook.URL))
			r := start(t, path)

			waitState(t, r.app, "site", monitor.StatusUp)
			failedAt := time.Now()
			target.SetFailing(true)
			down := hook.WaitFor(t, 10*time.Second, testkit.EventIs("monitor.down", "site"))
			t.Logf("monitor.down received %s after the target failed", down.At.Sub(failedAt).Round(time.Millisecond))
			if got := down.Header.Get("Idempotency-Key"); got == "" || got != down.Event["id"] {
				t.Errorf("Idempotency-Key = %q, want the event id %v", got, down.Event["id"])
			}
			for _, k := range []string{"id", "event", "monitor_id", "service_id", "status", "reason", "time"} {
				if _, ok := down.Event[k]; !ok {
					t.Errorf("webhook payload lacks %q: %s", k, down.Body)
				}
			}
			if down.Event["service_id"] != "web" || down.Event["status"] != "down" {
				t.Errorf("payload = %s", down.Body)
			}
			if reason, _ := down.Event["reason"].(string); !strings.Contains(reason, "503") {
				t.Errorf("reason %q does not say what failed", reason)
			}
			if ts, _ := down.Event["time"].(string); !strings.HasSuffix(ts, "Z") {
				t.Errorf("time %q is not RFC 3339 UTC", ts)
			}
			target.SetFailing(false)
			hook.WaitFor(t, 10*time.Second, testkit.EventIs("monitor.up", "site"))

			// The transitions and attempts are stored and visible.
			r.stop()
		})
	}
}

func waitState(t *testing.T, a *App, id string, want monitor.Status) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if en, ok := a.eng.View(id); ok && en.State.Status == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	en, _ := a.eng.View(id)
	t.Fatalf("monitor %q is %s, want %s", id, en.State.Status, want)
}

// TestReload checks that a valid config is swapped in, that monitors whose
// definition did not change keep their state, and that a broken config is
// rejected while the old one keeps running.
func TestReload(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	cfg := baseConfig(t, "sqlite", target.URL, hook.URL)
	writeConfig(t, path, cfg)
	reloaded := &logSignal{msg: "configuration reloaded", c: make(chan struct{}, 1)}
	r := runApp(t, Options{ConfigPath: path, WatchInterval: 50 * time.Millisecond, Logger: slog.New(reloaded)})
	waitState(t, r.app, "site", monitor.StatusUp)
	before, _ := r.app.eng.View("site")

	added := cfg + `  - id: port
    service: web
    type: tcp
    interval: 300ms
    timeout: 250ms
    tcp:
      address: ` + strings.TrimPrefix(target.URL, "http://") + "\n"
	writeConfig(t, path, added)
	if err := r.app.Reload(context.Background()); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	waitState(t, r.app, "port", monitor.StatusUp)
	after, _ := r.app.eng.View("site")
	if !after.State.Since.Equal(before.State.Since) {
		t.Errorf("unchanged monitor lost its state: since %v → %v", before.State.Since, after.State.Since)
	}

	writeConfig(t, path, added+"  - id: bad\n    type: http\n    interval: -5s\n    http:\n      url: nowhere\n")
	err := r.app.Reload(context.Background())
	if err == nil {
		t.Fatal("Reload accepted a broken config")
	}
	st := (*runtime)(r.app).ConfigStatus()
	if len(st.Errors) == 0 || !strings.Contains(strings.Join(st.Errors, "\n"), "tocsin.yaml:") {
		t.Errorf("config status errors = %q, want file:line errors", st.Errors)
	}
	if _, ok := r.app.eng.View("bad"); ok {
		t.Error("a monitor from the rejected config is running")
	}
	if _, ok := r.app.eng.View("port"); !ok {
		t.Error("the running config was dropped by a rejected reload")
	}

	// A fixed file is picked up by the watcher without a signal. Every
	// reload before it has ended: the rejected one above read the file last.
	select {
	case <-reloaded.c:
	default:
	}
	writeConfig(t, path, cfg)
	select {
	case <-reloaded.c:
	case <-time.After(5 * time.Second):
		t.Fatal("the file watcher did not apply the fixed config")
	}
	if _, ok := r.app.eng.View("port"); ok {
		t.Error("the watcher's reload kept a monitor the fixed config removed")
	}
	if st := (*runtime)(r.app).ConfigStatus(); len(st.Errors) != 0 {
		t.Errorf("errors still shown after a good reload: %q", st.Errors)
	}
}

// logSignal is a slog handler that tells on c (buffered, one deep) that
// msg was logged, so a test can wait for what the app does on its own. It
// discards every record.
type logSignal struct {
	msg string
	c   chan struct{}
}

func (h *logSignal) Enabled(context.Context, slog.Level) bool { return true }

func (h *logSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.c <- struct{}{}:
		default:
		}
	}
	return nil
}

func (h *logSignal) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logSignal) WithGroup(string) slog.Handler      { return h }

// TestPauseResume pauses a monitor through the runtime the UI and API use.
func TestPauseResume(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, baseConfig(t, "sqlite", target.URL, hook.URL))
	r := start(t, path)
	rt := (*runtime)(r.app)
	waitState(t, r.app, "site", monitor.StatusUp)
	if err := rt.SetPaused(context.Background(), "site", true); err != nil {
		t.Fatal(err)
	}
	hits := target.Hits()
	time.Sleep(time.Second)
	if got := target.Hits(); got > hits+1 {
		t.Errorf("paused monitor kept probing: %d → %d hits", hits, got)
	}
	target.SetFailing(true)
	if err := rt.SetPaused(context.Background(), "site", false); err != nil {
		t.Fatal(err)
	}
	waitState(t, r.app, "site", monitor.StatusDown)
	if err := rt.SetPaused(context.Background(), "nope", true); err == nil {
		t.Error("pausing an unknown monitor worked")
	}
}

// TestHealthEndpoints checks /healthz, /readyz and /metrics on a running app.
func TestHealthEndpoints(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, baseConfig(t, "sqlite", target.URL, hook.URL))
	r := start(t, path)
	waitState(t, r.app, "site", monitor.StatusUp)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(r.url + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
		if p == "/metrics" {
			for _, name := range []string{"tocsin_monitor_up", "tocsin_monitor_latency_seconds", "tocsin_probe_duration_seconds", "tocsin_scheduler_lateness_seconds", "tocsin_outbox_depth"} {
				if !strings.Contains(string(body), name) {
					t.Errorf("/metrics lacks %s", name)
				}
			}
		}
	}
}

// withToken sends a request with body to a running app with the API
// token signIn made, and returns the answer's status and body.
func withToken(t *testing.T, base, token, method, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	return send(t, req)
}

// signedIn reads one page or API answer of a running app as the person
// signIn made: with the session cookie when session is set, with the API
// token otherwise. Anything but 200 ends the test.
func signedIn(t *testing.T, base, path string, session bool, token, cookie string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	if session {
		req.AddCookie(&http.Cookie{Name: "tocsin_session", Value: cookie})
	} else {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	status, b := send(t, req)
	if status != 200 {
		t.Fatalf("GET %s: %d %s", path, status, b)
	}
	return b
}

// send sends req and returns the answer's status and body.
func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestReloadRefusesANewMetricsToken: the /metrics token is read when the
// web server starts, so a reload that changes it is refused, naming the
// setting and not the secret, and the running token still guards
// /metrics.
func TestReloadRefusesANewMetricsToken(t *testing.T) {
	path, storage := filepath.Join(t.TempDir(), "tocsin.yaml"), storageYAML(t, "sqlite")
	conf := func(token string) string {
		return "server:\n  listen: 127.0.0.1:0\n  metrics_token: " + token + "\n" + storage
	}
	writeConfig(t, path, conf("first-secret-token"))
	r := runApp(t, Options{ConfigPath: path, WatchInterval: -1})
	writeConfig(t, path, conf("second-secret-token"))
	err := r.app.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "server.metrics_token") || !strings.Contains(err.Error(), "restart") || strings.Contains(err.Error(), "secret-token") {
		t.Fatalf("reload changing server.metrics_token: %v, want it refused with the setting named and the tokens not", err)
	}
	if got := r.app.config().Server.MetricsToken; got != "first-secret-token" {
		t.Errorf("running token after a refused reload: %q", got)
	}
	for token, want := range map[string]int{"first-secret-token": http.StatusOK, "second-secret-token": http.StatusUnauthorized} {
		req, _ := http.NewRequest("GET", r.url+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("/metrics with the %s: %d, want %d", token, resp.StatusCode, want)
		}
	}
}
