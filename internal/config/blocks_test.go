package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gopherKinds is a table with one kind config knows nothing of.
type gopherKinds struct{}

func (gopherKinds) Names() []string { return []string{"gopher"} }

func (gopherKinds) NewBlock(name string) (Block, bool) {
	if name != "gopher" {
		return nil, false
	}
	return &gopherBlock{}, true
}

type gopherBlock struct {
	Hole    string `yaml:"hole"`
	Depth   int    `yaml:"depth"`
	Key     string `yaml:"key"`
	KeyFile string `yaml:"key_file"`
}

func (b *gopherBlock) Defaults(_ *Monitor, written func(string) bool) {
	if b.Depth == 0 && !written("gopher.depth") {
		b.Depth = 3
	}
}

func (b *gopherBlock) Validate(*Monitor) []FieldError {
	var errs []FieldError
	if b.Hole == "" {
		errs = append(errs, FieldError{"hole", "hole is required"})
	}
	if b.Depth < 1 {
		errs = append(errs, FieldError{"depth", "depth must be at least 1"})
	}
	return errs
}

func (b *gopherBlock) Files(f *Files) { f.Secret("key_file", &b.Key, &b.KeyFile) }

// TestKindDeclaredBlock loads the block of a kind the loader is handed:
// decoded strictly with file:line and hints, its defaults filled in with
// what the file wrote, its secrets read, its problems placed below it.
func TestKindDeclaredBlock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("monitors:\n  - id: a\n    gopher: {hole: x, key_file: key}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(good, gopherKinds{})
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Monitors[0]
	if b, ok := m.Block.(*gopherBlock); !ok || m.Type != "gopher" || b.Depth != 3 || b.Key != "s3cret" || m.Raw != nil {
		t.Errorf("monitor %+v, block %+v", m, m.Block)
	}

	bad := `monitors:
  - id: a
    gopher: {hole: x, dept: 2}
  - id: b
    type: gopher
    gopher: {depth: 0}
  - id: c
    gophr: {}
`
	_, err = Parse([]byte(bad), "bad.yaml", gopherKinds{})
	want := strings.Join([]string{
		`bad.yaml:3:23: monitors[0] "a": gopher.dept: unknown key "dept" (did you mean "depth"?)`,
		`bad.yaml:6:5: monitors[1] "b": gopher.hole: hole is required`,
		`bad.yaml:6:21: monitors[1] "b": gopher.depth: depth must be at least 1`,
		`bad.yaml:7:5: monitors[2] "c": type: type is required (gopher)`,
		`bad.yaml:8:5: monitors[2] "c": gophr: unknown key "gophr" (did you mean "gopher"?)`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("Parse(bad) =\n%v\nwant\n%s", err, want)
	}
}
