package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// writeFiles writes name → content under a new folder and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const includeMain = `storage: {dsn: ":memory:"}
channels:
  - {id: ops, type: inbox}
services:
  - {id: web, name: Web}
include: ["monitors/*.yaml", "people.yaml"]
monitors:
  - {id: main, type: tcp, tcp: {address: '127.0.0.1:1'}}
`

func TestIncludeMergesListsInLexicalOrder(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"tocsin.yaml": includeMain,
		"monitors/b.yaml": `monitors:
  - {id: b1, type: tcp, tcp: {address: '127.0.0.1:1'}}
heartbeats:
  - {id: nightly, uuid: 9a1f0c3e-4b6d-4e8a-9c2f-1d3b5a7e9f00, service: web}
`,
		"monitors/a.yaml": `monitors:
  - {id: a1, type: tcp, service: web, channels: [ops], tcp: {address: '127.0.0.1:1'}}
  - {id: a2, type: tcp, tcp: {address: '127.0.0.1:1'}}
`,
		"monitors/notes.txt": "not yaml at all: [",
		"people.yaml":        "people:\n  - {id: ann, name: Ann}\n",
	})
	cfg, err := Load(filepath.Join(dir, "tocsin.yaml"), testKinds)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range cfg.Monitors {
		ids = append(ids, m.ID)
	}
	if want := []string{"main", "a1", "a2", "b1"}; !slices.Equal(ids, want) {
		t.Errorf("monitors %v, want %v", ids, want)
	}
	if len(cfg.Heartbeats) != 1 || len(cfg.People) != 1 {
		t.Errorf("got %d heartbeats and %d people, want 1 and 1", len(cfg.Heartbeats), len(cfg.People))
	}
	if cfg.Monitors[1].Block == nil || cfg.Monitors[3].Block == nil {
		t.Error("the blocks of included monitors were lost in the merge")
	}
	if len(cfg.Included) != 3 {
		t.Errorf("included %v, want three files", cfg.Included)
	}
}

func TestIncludeErrorsNameTheFileAndLine(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"tocsin.yaml": includeMain,
		"people.yaml": "people:\n  - {id: ann, name: Ann}\n",
		"monitors/a.yaml": `monitors:
  - id: ok
    type: tcp
    tcp: {address: '127.0.0.1:1'}
  - id: bad
    type: tcp
    service: nowhere
    intervall: 5s
    tcp: {address: '127.0.0.1:1'}
`,
		"monitors/b.yaml": `monitors:
  - {id: main, type: tcp, tcp: {address: '127.0.0.1:1'}}
  - {id: ok, type: tcp, tcp: {address: '127.0.0.1:1'}}
`,
	})
	t.Chdir(dir)
	_, err := Load("tocsin.yaml", testKinds)
	if err == nil {
		t.Fatal("Load accepted duplicate ids and unknown keys in included files")
	}
	want := `monitors/a.yaml:7:14: monitors[1] "bad": service: undefined service "nowhere"
monitors/a.yaml:8:5: monitors[1] "bad": intervall: unknown key "intervall" (did you mean "interval"?)
monitors/b.yaml:2:10: monitors[0] "main": id: duplicate id "main": monitors[0] in tocsin.yaml at line 8 has it too
monitors/b.yaml:3:10: monitors[1] "ok": id: duplicate id "ok": monitors[0] in monitors/a.yaml at line 2 has it too`
	if err.Error() != want {
		t.Errorf("errors:\n%s\nwant:\n%s", err, want)
	}
}

func TestIncludeRefusesMainOnlySections(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"tocsin.yaml": "storage: {dsn: \":memory:\"}\ninclude: [extra.yaml]\n",
		"extra.yaml":  "monitors: []\nserver:\n  listen: 127.0.0.1:9999\n",
	})
	_, err := Load(filepath.Join(dir, "tocsin.yaml"), testKinds)
	want := "extra.yaml:2:1: server: server may only be set in the main configuration file"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
}

func TestIncludeMissingFileAndEmptyGlob(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"tocsin.yaml": "storage: {dsn: \":memory:\"}\ninclude: [\"conf.d/*.yaml\", missing.yaml]\n",
	})
	_, err := Load(filepath.Join(dir, "tocsin.yaml"), testKinds)
	if err == nil || !strings.Contains(err.Error(), "tocsin.yaml:2:28: include[1]: no file ") || strings.Contains(err.Error(), "include[0]") {
		t.Fatalf("got %v, want one error for missing.yaml and none for the glob", err)
	}
}

func TestIncludeNestedAndCycles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"tocsin.yaml": "storage: {dsn: \":memory:\"}\ninclude: [a/a.yaml]\n",
		"a/a.yaml":    "include: [b/b.yaml]\nmonitors:\n  - {id: a, type: tcp, tcp: {address: '127.0.0.1:1'}}\n",
		"a/b/b.yaml":  "monitors:\n  - {id: b, type: tcp, tcp: {address: '127.0.0.1:1'}}\n",
	})
	cfg, err := Load(filepath.Join(dir, "tocsin.yaml"), testKinds)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Monitors) != 2 || cfg.Monitors[1].ID != "b" {
		t.Fatalf("monitors %+v, want a then b (b.yaml found relative to a.yaml)", cfg.Monitors)
	}

	dir = writeFiles(t, map[string]string{
		"tocsin.yaml": "storage: {dsn: \":memory:\"}\ninclude: [a.yaml]\n",
		"a.yaml":      "include: [b.yaml]\n",
		"b.yaml":      "include: [\"*.yaml\"]\n",
	})
	_, err = Load(filepath.Join(dir, "tocsin.yaml"), testKinds)
	if err == nil || !strings.Contains(err.Error(), "b.yaml:1:11: include[0]: ") ||
		!strings.Contains(err.Error(), "makes a cycle: tocsin.yaml → a.yaml → b.yaml → tocsin.yaml") {
		t.Fatalf("got %v, want the cycle reported in b.yaml", err)
	}
}

func TestIncludeKeepsTheSizeLimitPerFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"tocsin.yaml": "storage: {dsn: \":memory:\"}\ninclude: [big.yaml]\n",
		"big.yaml":    "# " + strings.Repeat("x", MaxFileSize) + "\n",
	})
	_, err := Load(filepath.Join(dir, "tocsin.yaml"), testKinds)
	if err == nil || !strings.Contains(err.Error(), "big.yaml: the file is 4.0 MiB, larger than the 4 MiB limit") {
		t.Fatalf("got %v, want the size error on big.yaml", err)
	}
}

func TestParseRefusesInclude(t *testing.T) {
	_, err := Parse([]byte("storage: {dsn: \":memory:\"}\ninclude: [\"/etc/*\"]\n"), "assignment", testKinds)
	want := "assignment:2:1: include: include is read only from a configuration file on disk"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestIncludeRefusesDevices(t *testing.T) {
	dir := writeFiles(t, map[string]string{"tocsin.yaml": "storage: {dsn: \":memory:\"}\ninclude: [/dev/null]\n"})
	_, err := Load(filepath.Join(dir, "tocsin.yaml"), testKinds)
	if err == nil || !strings.Contains(err.Error(), "/dev/null is not a regular file") {
		t.Fatalf("got %v, want /dev/null refused", err)
	}
}

func TestFileDefaults(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"tocsin.yaml": `storage: {dsn: ":memory:"}
channels:
  - {id: ops, type: inbox}
  - {id: dev, type: inbox}
services:
  - {id: web, name: Web}
include: [more.yaml]
monitors:
  - {id: plain, type: tcp, tcp: {address: '127.0.0.1:1'}}
`,
		"more.yaml": `defaults:
  interval: 30s
  timeout: 20s
  failure_threshold: 3
  service: web
  channels: [ops]
  tags: [edge]
monitors:
  - {id: d, type: tcp, tcp: {address: '127.0.0.1:1'}}
  - {id: own, type: tcp, interval: 10s, failure_threshold: 1, channels: [dev], tcp: {address: '127.0.0.1:1'}}
  - {id: none, type: tcp, channels: [], timeout: 5s, tcp: {address: '127.0.0.1:1'}}
heartbeats:
  - {id: job, uuid: 9a1f0c3e-4b6d-4e8a-9c2f-1d3b5a7e9f00}
`,
	})
	cfg, err := Load(filepath.Join(dir, "tocsin.yaml"), testKinds)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Monitor{}
	for _, x := range cfg.Monitors {
		m[x.ID] = x
	}
	check := func(id string, interval, timeout time.Duration, failures int, service string, channels []string) {
		t.Helper()
		x := m[id]
		if x.Interval.D() != interval || x.Timeout.D() != timeout || x.FailureThreshold != failures || x.Service != service || !slices.Equal(x.Channels, channels) {
			t.Errorf("%s: interval %s timeout %s failures %d service %q channels %v; want %s %s %d %q %v",
				id, x.Interval, x.Timeout, x.FailureThreshold, x.Service, x.Channels, interval, timeout, failures, service, channels)
		}
	}
	// The main file has no defaults: the built-in ones apply there.
	check("plain", time.Minute, 10*time.Second, 1, "", nil)
	check("d", 30*time.Second, 20*time.Second, 3, "web", []string{"ops"})
	// The monitor's own values win; the default timeout is cut to a
	// shorter interval.
	check("own", 10*time.Second, 10*time.Second, 1, "web", []string{"dev"})
	check("none", 30*time.Second, 5*time.Second, 3, "web", []string{})
	if h := cfg.Heartbeats[0]; h.Service != "web" || !slices.Equal(h.Channels, []string{"ops"}) {
		t.Errorf("heartbeat service %q channels %v, want the file's defaults", h.Service, h.Channels)
	}
}

func TestFileDefaultsErrors(t *testing.T) {
	_, err := Parse([]byte(`storage: {dsn: ":memory:"}
defaults:
  interval: 0s
  failure_threshold: 0
  service: nowhere
monitors:
  - {id: a, type: tcp, tcp: {address: '127.0.0.1:1'}}
`), "t.yaml", testKinds)
	want := `t.yaml:3:13: defaults.interval: must be positive, not 0s
t.yaml:4:22: defaults.failure_threshold: failure_threshold must be at least 1, not 0
t.yaml:7:5: monitors[0] "a": service: undefined service "nowhere"`
	if err == nil || err.Error() != want {
		t.Fatalf("got:\n%v\nwant:\n%s", err, want)
	}
}

// TestLargeExample loads examples/large, a main file including two files
// that use defaults.
func TestLargeExample(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "examples", "large", "tocsin.yaml"), testKinds)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Included) < 2 || len(cfg.Monitors) < 4 {
		t.Errorf("included %v with %d monitors; want at least two files and four monitors", cfg.Included, len(cfg.Monitors))
	}
}
