package app

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveLog runs `tocsin serve` with args until it has logged a first
// line, and returns the complete lines logged by then.
func serveLog(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, append([]string{"serve"}, args...), Env{Stdout: &errb, Stderr: &errb, Getenv: func(string) string { return "" }})
	}()
	deadline := time.After(15 * time.Second)
	for !strings.Contains(errb.String(), "\n") {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d: %s", code, errb.String())
		case <-deadline:
			cancel()
			t.Fatalf("serve logged nothing")
		case <-time.After(20 * time.Millisecond):
		}
	}
	out := errb.String()
	cancel()
	<-done
	return out[:strings.LastIndexByte(out, '\n')+1] // the lines logged while it ran
}

// TestLogFormat: server.log_format json makes every log line a JSON object
// with time, level and msg; --log-format overrides the file; a bad value
// is refused.
func TestLogFormat(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, "server:\n  listen: 127.0.0.1:0\n  log_format: json\nstorage:\n  dsn: "+filepath.Join(dir, "t.db")+"\n"+
		"monitors:\n  - id: closed\n    type: tcp\n    interval: 1s\n    tcp:\n      address: 127.0.0.1:1\n")
	out := serveLog(t, "--config", path)
	for line := range strings.Lines(out) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("log line lacks %q: %s", k, line)
			}
		}
	}
	if out := serveLog(t, "--config", path, "--log-format", "text"); !strings.HasPrefix(out, "time=") {
		t.Errorf("--log-format text wrote %q", out)
	}
	if code, _, stderr := runCLI(t, "", "serve", "--config", path, "--log-format", "xml"); code != 2 || !strings.Contains(stderr, `bad --log-format "xml": use text or json`) {
		t.Errorf("serve --log-format xml: exit %d: %s", code, stderr)
	}
}
