package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/config"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

// TestPostmortemTemplatePath resolves the template next to the config
// file and refuses one that cannot be read.
func TestPostmortemTemplatePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("pm.md.tmpl", "# {{.Title}}\n")
	write("tocsin.yaml", "incidents:\n  postmortem_template: pm.md.tmpl\n")
	cfg, err := config.Load(path, probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "pm.md.tmpl"); cfg.Incidents.PostmortemTemplate != want {
		t.Errorf("template path = %q, want %q", cfg.Incidents.PostmortemTemplate, want)
	}
	for _, bad := range []string{"missing.tmpl", "."} {
		write("tocsin.yaml", "incidents:\n  postmortem_template: "+bad+"\n")
		if _, err := config.Load(path, probekinds.Config()); err == nil || !strings.Contains(err.Error(), "incidents.postmortem_template") {
			t.Errorf("template %q: %v", bad, err)
		}
	}
}
