package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
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

func TestStarterIsValid(t *testing.T) {
	cfg, err := Parse(Starter(), "tocsin.yaml", testKinds)
	if err != nil {
		t.Fatalf("the starter config does not load:\n%v", err)
	}
	kinds := map[string]bool{}
	for _, m := range cfg.Monitors {
		kinds[m.Type] = true
	}
	for _, k := range testKinds.Names() {
		if !kinds[k] {
			t.Errorf("the starter config has no %s monitor", k)
		}
	}
	for _, section := range []string{"server:", "storage:", "people:", "teams:", "channels:", "services:", "monitors:", "type: webhook", "type: email"} {
		if !strings.Contains(string(Starter()), section) {
			t.Errorf("the starter config does not show %q", section)
		}
	}
}

// TestStarterChannelExamples uncomments the channel examples of the
// starter file and checks that they are valid too.
func TestStarterChannelExamples(t *testing.T) {
	t.Setenv("SMTP_PASSWORD", "hunter2")
	var out []string
	inChannels := false
	for _, line := range strings.Split(string(Starter()), "\n") {
		switch {
		case line == "channels: []":
			inChannels = true
			out = append(out, "channels:")
			continue
		case inChannels && strings.HasPrefix(line, "#  "):
			out = append(out, strings.TrimPrefix(line, "#"))
			continue
		case inChannels && line == "#":
			continue
		case inChannels:
			inChannels = false
		}
		out = append(out, line)
	}
	text := strings.Join(out, "\n")
	text = strings.Replace(text, "channels: []   # e.g. [ops-hook, ops-mail]", "channels: [ops-hook, ops-mail]", 1)
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
		t.Fatalf("the starter's channel examples do not load:\n%v\n\n%s", err, text)
	}
	if len(cfg.Channels) != 2 {
		t.Fatalf("got %d channels from the starter's examples, want 2", len(cfg.Channels))
	}
	if got := cfg.Channels[0].Webhook.Secret; got != "s3cret" {
		t.Errorf("webhook secret = %q, want it read from secret_file", got)
	}
}
