package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected error text in testdata/bad/*.golden")

// setTestEnv gives the fixtures a known environment: TOCSIN_TEST_SET is set
// and TOCSIN_TEST_UNSET is not.
func setTestEnv(t *testing.T) {
	t.Helper()
	t.Setenv("TOCSIN_TEST_SET", "from-env")
	t.Setenv("TOCSIN_TEST_UNSET", "")
	if err := os.Unsetenv("TOCSIN_TEST_UNSET"); err != nil {
		t.Fatal(err)
	}
}

// TestBad checks the exact error text for every testdata/bad/*.yaml
// against the matching .golden file.
func TestBad(t *testing.T) {
	setTestEnv(t)
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/bad")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse(data, filepath.ToSlash(file), testKinds)
			if err == nil {
				t.Fatalf("Parse accepted a bad config: %+v", cfg)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("Parse returned %T, want config.Errors: %v", err, err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

// TestGood loads every testdata/good/*.yaml.
func TestGood(t *testing.T) {
	setTestEnv(t)
	files, err := filepath.Glob(filepath.Join("testdata", "good", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fixtures in testdata/good")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if _, err := Load(file, testKinds); err != nil {
				t.Fatalf("Load(%s, testKinds):\n%v", file, err)
			}
		})
	}
}

// TestExamples validates every shipped example configuration. Secrets the
// examples read from the environment get stand-ins.
func TestExamples(t *testing.T) {
	for _, name := range []string{"TOCSIN_SMTP_PASSWORD", "TOCSIN_PROBE_PASSWORD"} {
		t.Setenv(name, "stand-in")
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no examples/*.yaml found")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if _, err := Load(file, testKinds); err != nil {
				t.Fatalf("Load(%s, testKinds):\n%v", file, err)
			}
		})
	}
}

// TestStarterIsValid checks that the starter loads as written and that
// what runs is what runs green on any machine: Tocsin watching itself and
// the demo target, notifying the inbox.
func TestStarterIsValid(t *testing.T) {
	cfg, err := Parse(Starter(), "tocsin.yaml", testKinds)
	if err != nil {
		t.Fatalf("the starter config does not load:\n%v", err)
	}
	var ids []string
	for _, m := range cfg.Monitors {
		ids = append(ids, m.ID)
	}
	if want := []string{"tocsin-health", "tocsin-port", "demo-home"}; !slices.Equal(ids, want) {
		t.Errorf("the starter runs the monitors %v, want only %v", ids, want)
	}
	if cfg.Server.DemoTarget == "" {
		t.Error("the starter starts no demo target")
	}
	if len(cfg.Channels) != 1 || cfg.Channels[0].Type != "inbox" {
		t.Errorf("the starter's channels are %+v, want the inbox alone", cfg.Channels)
	}
	for i := range cfg.Monitors {
		if chs := cfg.ChannelsFor(&cfg.Monitors[i]); !slices.Contains(chs, "inbox") {
			t.Errorf("monitor %s notifies %v, not the inbox", cfg.Monitors[i].ID, chs)
		}
	}
	for _, section := range []string{"server:", "storage:", "people:", "teams:", "channels:", "services:", "monitors:", "heartbeats:", "type: webhook", "type: email"} {
		if !strings.Contains(string(Starter()), section) {
			t.Errorf("the starter config does not show %q", section)
		}
	}
}

// TestStarterExamples uncomments the starter's commented-out examples
// (every line starting "#  ": a line of YAML with a "#" in front) and
// checks that they load too, and show a monitor of every kind.
func TestStarterExamples(t *testing.T) {
	t.Setenv("SMTP_PASSWORD", "hunter2")
	var out []string
	for _, line := range strings.Split(string(Starter()), "\n") {
		switch {
		case strings.HasPrefix(line, "#  "):
			out = append(out, strings.TrimPrefix(line, "#"))
		case line == "#":
		default:
			out = append(out, line)
		}
	}
	text := strings.Join(out, "\n")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "run", "secrets"), 0o700); err != nil {
		t.Fatal(err)
	}
	text = strings.ReplaceAll(text, "/run/secrets/", filepath.Join(dir, "run", "secrets")+"/")
	if err := os.WriteFile(filepath.Join(dir, "run", "secrets", "tocsin-webhook"), []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse([]byte(text), filepath.Join(dir, "tocsin.yaml"), testKinds)
	if err != nil {
		t.Fatalf("the starter's examples do not load:\n%v\n\n%s", err, text)
	}
	if len(cfg.Channels) != 3 || len(cfg.Heartbeats) != 2 {
		t.Fatalf("got %d channels and %d heartbeats from the starter's examples, want 3 and 2", len(cfg.Channels), len(cfg.Heartbeats))
	}
	if got := cfg.Channels[1].Webhook.Secret; got != "s3cret" {
		t.Errorf("webhook secret = %q, want it read from secret_file", got)
	}
	kinds := map[string]bool{}
	for _, m := range cfg.Monitors {
		kinds[m.Type] = true
	}
	for _, k := range testKinds.Names() {
		if !kinds[k] {
			t.Errorf("the starter config has no %s example", k)
		}
	}
}
