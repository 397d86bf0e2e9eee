package config_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify/channels"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

const apiBase = `
channels:
  - id: ops
    type: webhook
    webhook: {url: "https://hooks.example.com/x"}
services:
  - id: shop
    name: Shop
monitors:
  - id: home
    type: http
    http: {url: "https://example.com/"}
`

func apiKinds() config.Kinds { return channels.Config(probekinds.Config()) }

func TestParseMonitorAcceptsJSONAndYAML(t *testing.T) {
	base, err := config.Parse([]byte(apiBase), "tocsin.yaml", apiKinds())
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := config.ParseMonitor([]byte(`{"id": "api", "service": "shop", "channels": ["ops"], "interval": "30s",
  "http": {"url": "https://example.com/health"}}`), "body", apiKinds(), base)
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	fromYAML, err := config.ParseMonitor([]byte("id: api\nservice: shop\nchannels: [ops]\ninterval: 30s\nhttp:\n  url: https://example.com/health\n"), "body", apiKinds(), base)
	if err != nil {
		t.Fatalf("YAML: %v", err)
	}
	if fromJSON.Type != "http" || fromJSON.Interval.D().Seconds() != 30 || fromJSON.Timeout.D().Seconds() != 10 || fromJSON.Name != "api" {
		t.Errorf("defaults not applied: %+v", fromJSON)
	}
	if fromJSON.Fingerprint() != fromYAML.Fingerprint() {
		t.Error("the same monitor in JSON and YAML differs")
	}

	// MonitorFields writes it back as a file's monitor that reads the same.
	fields, err := config.MonitorFields(fromJSON)
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	again, err := config.ParseMonitor(out, "export", apiKinds(), base)
	if err != nil {
		t.Fatalf("read back: %v\n%s", err, out)
	}
	// Left out and written out empty are the same monitor; so are no
	// down_when and its default.
	if fromJSON.DownWhen.Mode == "" {
		fromJSON.DownWhen = again.DownWhen
	}
	if diff := cmp.Diff(fromJSON, again, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("read back differs (-want +got):\n%s", diff)
	}
}

func TestParseMonitorErrors(t *testing.T) {
	base, err := config.Parse([]byte(apiBase), "tocsin.yaml", apiKinds())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOCSIN_SECRET_FOR_TEST", "hunter2")
	for _, tc := range []struct{ name, in, want string }{
		{"interval", "id: a\ninterval: 0s\nhttp: {url: \"https://x.example/\"}\n", `body:2:11: interval: must be longer than zero, not 0s`},
		{"channel", `{"id": "a", "channels": ["nope"], "http": {"url": "https://x.example/"}}`, `channels[0]: undefined channel "nope"`},
		{"service", "id: a\nservice: nope\nhttp: {url: \"https://x.example/\"}\n", `body:2:10: service: undefined service "nope"`},
		{"id", "id: A B\nhttp: {url: \"https://x.example/\"}\n", `body:1:5: id: invalid id "A B"`},
		{"unknown key", "id: a\nintervall: 1m\nhttp: {url: \"https://x.example/\"}\n", `intervall`},
		{"type", "id: a\ntype: nosuch\n", `type: unknown monitor type "nosuch"`},
		{"env", "id: a\nhttp: {url: \"https://x.example/${TOCSIN_SECRET_FOR_TEST}\"}\n", `${NAME} references are not read`},
		{"file", "id: a\nimap: {address: \"x.example:993\", username: u, password_file: /etc/passwd}\n", `reads no file`},
		{"list", `[{"id": "a"}]`, `must be a mapping`},
		{"two", "id: a\n---\nid: b\n", `write one monitor`},
		{"empty", "  \n", `the monitor is empty`},
		{"syntax", `{"id": "a"`, `not valid YAML or JSON`},
		{"nesting", "id: a\nname: " + strings.Repeat("[", 20000) + "\n", `not valid YAML or JSON`},
		{"invalid utf-8", "id: a\nname: \xff\xfe\n", `not valid YAML or JSON`},
		{"nul", "id: a\nname: \"x\x00y\"\n", `not valid YAML or JSON`},
		{"huge", "id: a\nname: " + strings.Repeat("x", config.MaxMonitorSize) + "\n", `KiB limit`},
		{"aliases", "id: a\nx: &a [1, 1, 1, 1]\ny: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nz: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nw: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n", `"x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.ParseMonitor([]byte(tc.in), "body", apiKinds(), base)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "root:") {
				t.Errorf("error leaks the server's environment or files: %v", err)
			}
		})
	}
}
