package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/monitor"
)

// TestInitRunsGreen is a first run: `tocsin init` writes the starter,
// `tocsin validate` accepts it as written, and a server started on it sees
// every monitor up: Tocsin itself and the demo target. Only the addresses
// (so the test takes free ports) and the intervals (so it takes a second,
// not half a minute) are changed before the server starts; the database
// goes where the file says, next to it.
func TestInitRunsGreen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	if code, _, stderr := runCLI(t, "", "init", "--config", path); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "", "validate", "--config", path)
	if code != 0 || !strings.Contains(stdout, ": OK (3 monitors") {
		t.Fatalf("validate of the starter: exit %d\n%s%s", code, stdout, stderr)
	}

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	ln := listen(t)
	for _, r := range [][2]string{
		{"127.0.0.1:8080", ln.Addr().String()},
		{"127.0.0.1:8081", freeAddr(t)},
		{"\n    interval: 30s\n", "\n    interval: 300ms\n    timeout: 250ms\n"},
		{"\n    interval: 10s\n", "\n    interval: 300ms\n    timeout: 250ms\n"},
	} {
		if !strings.Contains(cfg, r[0]) {
			ln.Close()
			t.Fatalf("the starter no longer has %q", r[0])
		}
		cfg = strings.ReplaceAll(cfg, r[0], r[1])
	}
	writeConfig(t, path, cfg)
	r := runApp(t, Options{ConfigPath: path, Listener: ln})
	for _, id := range []string{"tocsin-health", "tocsin-port", "demo-home"} {
		waitState(t, r.app, id, monitor.StatusUp)
	}
	if _, err := os.Stat(filepath.Join(dir, "tocsin.db")); err != nil {
		t.Errorf("the database is not next to the config: %v", err)
	}
}
