package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The slim build links none of the server: no database driver, no web UI,
// no Markdown renderer or HTML sanitiser, no notification channels. An
// import that pulls one in would make the agent as large as the server.
func TestSlimBuildLinksNoServerPackages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"modernc.org/sqlite", "github.com/jackc/pgx", "github.com/yuin/goldmark", "github.com/microcosm-cc/bluemonday",
		"github.com/nicholas-fedor/shoutrrr", "github.com/tocsin/tocsin/internal/app", "github.com/tocsin/tocsin/internal/web",
		"github.com/tocsin/tocsin/internal/store/sqlstore", "github.com/tocsin/tocsin/internal/engine",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("tocsin-agent links %s", dep)
			}
		}
	}
}
