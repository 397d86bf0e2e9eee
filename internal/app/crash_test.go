package app

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/testkit"
)

// TestMain lets the crash test run this test binary as a real Tocsin server
// it can kill with SIGKILL, and says once, at the end, when PostgreSQL tests
// skipped.
func TestMain(m *testing.M) {
	if path := os.Getenv("TOCSIN_TEST_SERVE"); path != "" {
		os.Exit(Main(context.Background(), []string{"serve", "--config", path, "--log-level", "warn"}, Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	os.Exit(testkit.Main(m))
}

func startChild(t *testing.T, cfgPath string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TOCSIN_TEST_SERVE="+cfgPath)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// TestOutboxSurvivesKill kills the server with SIGKILL while a notification
// is pending (the receiver refuses it), restarts it, and checks that the
// notification is delivered once the receiver is back, with the same id.
func TestOutboxSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a server process")
	}
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	hook.SetStatus(http.StatusServiceUnavailable)
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, `server:
  listen: 127.0.0.1:0
storage:
  dsn: `+filepath.Join(dir, "tocsin.db")+`
channels:
  - id: hook
    type: webhook
    webhook:
      url: `+hook.URL+`
services:
  - id: web
    channels: [hook]
monitors:
  - id: site
    service: web
    type: http
    interval: 200ms
    timeout: 150ms
    http:
      url: `+target.URL+`
`)
	target.SetFailing(true)
	child := startChild(t, path)
	first := hook.WaitForAttempt(t, 20*time.Second, testkit.EventIs("monitor.down", "site"))
	id := first.Event["id"]
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()

	hook.SetStatus(http.StatusOK)
	startChild(t, path)
	got := hook.WaitFor(t, 30*time.Second, testkit.EventIs("monitor.down", "site"))
	if got.Event["id"] != id {
		t.Errorf("delivered id %v, want the id of the attempt before the kill %v", got.Event["id"], id)
	}
	// Give a duplicate send a chance to show up, then count.
	time.Sleep(500 * time.Millisecond)
	n := 0
	for _, d := range hook.Deliveries() {
		if d.Event["id"] == id {
			n++
		}
	}
	if n != 1 {
		t.Errorf("notification %v delivered %d times after the restart, want once", id, n)
	}
}
