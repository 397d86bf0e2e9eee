package app

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestReloadSeesIncludedFiles: the watcher reloads when a file the main
// one includes changes, and when a new file appears where a glob looks;
// the main file is not touched.
func TestReloadSeesIncludedFiles(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, baseConfig(t, "sqlite", target.URL, hook.URL)+"include: [\"conf.d/*.yaml\"]\n")
	if err := os.Mkdir(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	address := strings.TrimPrefix(target.URL, "http://")
	monitorFile := func(ids ...string) string {
		var b strings.Builder
		b.WriteString("defaults:\n  service: web\n  interval: 300ms\n  timeout: 250ms\nmonitors:\n")
		for _, id := range ids {
			b.WriteString("  - {id: " + id + ", type: tcp, tcp: {address: '" + address + "'}}\n")
		}
		return b.String()
	}
	writeConfig(t, filepath.Join(dir, "conf.d", "a.yaml"), monitorFile("port-a"))

	reloaded := &logSignal{msg: "configuration reloaded", c: make(chan struct{}, 1)}
	r := runApp(t, Options{ConfigPath: path, WatchInterval: 50 * time.Millisecond, Logger: slog.New(reloaded)})
	waitState(t, r.app, "port-a", monitor.StatusUp)

	wait := func(what string) {
		t.Helper()
		select {
		case <-reloaded.c:
		case <-time.After(10 * time.Second):
			t.Fatalf("the file watcher did not reload after %s", what)
		}
	}
	// A change in the included file (its size changes, so a coarse
	// modification time cannot hide it).
	writeConfig(t, filepath.Join(dir, "conf.d", "a.yaml"), monitorFile("port-a", "port-a2"))
	wait("a change in an included file")
	waitState(t, r.app, "port-a2", monitor.StatusUp)

	// A new file matching the glob.
	writeConfig(t, filepath.Join(dir, "conf.d", "b.yaml"), monitorFile("port-b"))
	wait("a new included file")
	waitState(t, r.app, "port-b", monitor.StatusUp)
	if got := r.app.config().Included; len(got) != 2 {
		t.Errorf("included files %v, want two", got)
	}
}

// TestValidateReadsIncludedFiles: `tocsin validate` reads the files the
// main one includes, and a problem in one names that file.
func TestValidateReadsIncludedFiles(t *testing.T) {
	main := filepath.Join("..", "..", "examples", "large", "tocsin.yaml")
	code, stdout, stderr := runCLI(t, "", "validate", "--config", main)
	if code != 0 || !strings.Contains(stdout, ": OK (6 monitors, 0 heartbeats, 2 services, 1 channel) with 2 included files") {
		t.Fatalf("validate examples/large: exit %d\n%s%s", code, stdout, stderr)
	}

	dir := t.TempDir()
	writeConfig(t, filepath.Join(dir, "tocsin.yaml"), "storage: {dsn: \":memory:\"}\ninclude: [more.yaml]\n")
	writeConfig(t, filepath.Join(dir, "more.yaml"), "monitors:\n  - id: a\n    type: http\n    http: {url: example.org}\n")
	code, _, stderr = runCLI(t, "", "validate", "--config", filepath.Join(dir, "tocsin.yaml"))
	if code != 1 || !strings.Contains(stderr, filepath.Join(dir, "more.yaml")+":4:") {
		t.Fatalf("validate with a bad included file: exit %d\n%s", code, stderr)
	}
}
