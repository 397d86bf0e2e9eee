package kinds

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// TestHostChecksFromConfig loads disk and files monitors from a file and
// runs them on this host, as the server does for monitors without an
// agent.
func TestHostChecksFromConfig(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "txn-0001.log")
	if err := os.WriteFile(old, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-3 * time.Hour)
	if err := os.Chtimes(old, at, at); err != nil {
		t.Fatal(err)
	}
	yaml := `
monitors:
  - id: txn-volume
    type: disk
    disk:
      mounts: [` + dir + `]
      crit_used: 100
      warn_used: 100
      forecast: {window: 1h}
  - id: txn-logs
    type: files
    files:
      path: ` + dir + `/*.log
      oldest_max_age: 2h
`
	cfg, err := config.Parse([]byte(yaml), filepath.Join(dir, "tocsin.yaml"), Config())
	if err != nil {
		t.Fatal(err)
	}
	kinds := All(Deps{})
	results := map[string]probe.Result{}
	for i := range cfg.Monitors {
		m := &cfg.Monitors[i]
		if got := kinds.ClassOf(m); got != probe.ClassFunctional {
			t.Errorf("%s: class %s", m.ID, got)
		}
		if got := kinds.Host(m); got != "localhost" {
			t.Errorf("%s: host %q", m.ID, got)
		}
		p, err := kinds.Build(m)
		if err != nil {
			t.Fatalf("%s: %v", m.ID, err)
		}
		results[m.ID] = p.Probe(context.Background())
	}
	if r := results["txn-logs"]; r.Status != probe.Critical || !strings.HasPrefix(r.Reason, "oldest file in "+dir+" is 3h old (limit 2h)") {
		t.Errorf("files: %s: %s", r.Status, r.Reason)
	}
	if r := results["txn-volume"]; runtime.GOOS == "linux" && r.Status != probe.OK || !strings.Contains(r.Reason, dir+" ") {
		t.Errorf("disk: %s: %s", r.Status, r.Reason)
	}
	if got := kinds.FormatMetric("files", probe.Metric{Name: "oldest age", Value: 3 * 3600, Unit: "s"}); got != "3h" {
		t.Errorf("files metric shown as %q", got)
	}
	if got := kinds.FormatMetric("disk", probe.Metric{Name: "/ free", Value: 1 << 30, Unit: "B"}); got != "1.0 GiB" {
		t.Errorf("disk metric shown as %q", got)
	}
	if got := kinds.Target(&cfg.Monitors[0]); got != dir {
		t.Errorf("disk target %q", got)
	}
}
