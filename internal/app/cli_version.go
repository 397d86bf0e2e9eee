package app

import (
	"fmt"
	goruntime "runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// buildInfo is what `tocsin version` prints: the version and how the
// binary was built.
type buildInfo struct {
	Version  string     `json:"version"`
	Module   string     `json:"module,omitempty"`
	Revision string     `json:"vcs_revision,omitempty"`
	Time     *time.Time `json:"vcs_time,omitempty"`
	Modified *bool      `json:"vcs_modified,omitempty"`
	Go       string     `json:"go"`
	Platform string     `json:"platform"`
	// Schema is the newest database schema this build writes.
	Schema int64 `json:"schema"`
}

// readBuildInfo gathers buildInfo from what the Go toolchain recorded in
// the binary; Version (set with -ldflags) wins over the module version.
func readBuildInfo(bi *debug.BuildInfo, ok bool) buildInfo {
	b := buildInfo{Version: Version, Go: goruntime.Version(), Platform: goruntime.GOOS + "/" + goruntime.GOARCH, Schema: sqlstore.KnownSchema(sqlstore.DriverSQLite)}
	if !ok {
		return b
	}
	b.Go = bi.GoVersion
	b.Module = bi.Main.Version
	if b.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				b.Time = &t
			}
		case "vcs.modified":
			m := s.Value == "true"
			b.Modified = &m
		}
	}
	return b
}

// String is the one-line form: "tocsin v1.2.0 (abc123def456, 2026-03-01T12:00:00Z, modified) go1.26.8 linux/amd64, schema 25".
func (b buildInfo) String() string {
	var parts []string
	if b.Revision != "" {
		parts = append(parts, b.Revision[:min(12, len(b.Revision))])
	}
	if b.Time != nil {
		parts = append(parts, b.Time.UTC().Format(time.RFC3339))
	}
	if b.Modified != nil && *b.Modified {
		parts = append(parts, "modified")
	}
	s := "tocsin " + b.Version
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprintf("%s %s %s, database schema %d", s, b.Go, b.Platform, b.Schema)
}

func cmdVersion(args []string, env Env) int {
	fs, _ := newFlagSet("version", env)
	asJSON := fs.Bool("json", false, "print the build information as JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 0 {
		fmt.Fprintln(env.Stderr, "usage: tocsin version [--json]")
		return 2
	}
	b := readBuildInfo(debug.ReadBuildInfo())
	if *asJSON {
		writeJSON(env.Stdout, b)
		return 0
	}
	fmt.Fprintln(env.Stdout, b)
	return 0
}
