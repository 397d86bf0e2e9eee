package app

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// TestVersionBuildInfo: the build settings the toolchain records become
// the revision, time and modified flag, in text and in JSON.
func TestVersionBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/tocsin/tocsin", Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-03-01T12:00:00Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	b := readBuildInfo(bi, true)
	if got := b.String(); !strings.HasPrefix(got, "tocsin v1.4.0 (0123456789ab, 2026-03-01T12:00:00Z, modified) go1.26.8 ") {
		t.Errorf("String() = %q", got)
	}
	if b.Schema != sqlstore.KnownSchema("sqlite") || b.Schema == 0 {
		t.Errorf("schema %d", b.Schema)
	}
	if b := readBuildInfo(nil, false); b.Version != Version || b.Revision != "" {
		t.Errorf("without build info: %+v", b)
	}

	code, out, _ := runCLI(t, "", "version", "--json")
	var got map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("version --json: exit %d: %s", code, out)
	}
	for _, k := range []string{"version", "go", "platform", "schema"} {
		if _, ok := got[k]; !ok {
			t.Errorf("version --json lacks %q: %s", k, out)
		}
	}
	if code, out, _ := runCLI(t, "", "version"); code != 0 || !strings.HasPrefix(out, "tocsin "+Version) {
		t.Errorf("version: exit %d: %s", code, out)
	}
}
