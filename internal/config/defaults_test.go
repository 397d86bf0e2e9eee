package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBaseURLFromListen(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:9090": "http://127.0.0.1:9090",
		":8080":          "http://localhost:8080",
		"0.0.0.0:80":     "http://localhost:80",
		"[::1]:8080":     "http://[::1]:8080",
	} {
		cfg, err := Parse([]byte("server: {listen: \""+listen+"\"}\n"), "x.yaml", testKinds)
		if err != nil {
			t.Fatalf("listen %q: %v", listen, err)
		}
		if cfg.Server.BaseURL != want {
			t.Errorf("listen %q: base_url = %q, want %q", listen, cfg.Server.BaseURL, want)
		}
	}
}

func TestSecureCookiesFollowBaseURL(t *testing.T) {
	cfg, err := Parse([]byte("server: {base_url: \"https://status.example.com/\"}\n"), "x.yaml", testKinds)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.SecureCookies == nil || !*cfg.Server.SecureCookies {
		t.Errorf("secure_cookies = %v, want true for an https base_url", cfg.Server.SecureCookies)
	}
	if cfg.Server.BaseURL != "https://status.example.com" {
		t.Errorf("base_url = %q, want the trailing slash dropped", cfg.Server.BaseURL)
	}
}

func TestSecretsAndEnv(t *testing.T) {
	setTestEnv(t)
	path := filepath.Join("testdata", "good", "secrets.yaml")
	cfg, err := Load(path, testKinds)
	if err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(filepath.Join("testdata", "good", "secrets"))
	if err != nil {
		t.Fatal(err)
	}
	hook, _ := cfg.Channel("hook")
	mail, _ := cfg.Channel("mail")
	for _, c := range []struct{ name, got, want string }{
		{"metrics_token", cfg.Server.MetricsToken, "metrics-s3cret"},
		{"metrics_token_file", cfg.Server.MetricsTokenFile, filepath.Join(abs, "metrics-token")},
		{"base_url", cfg.Server.BaseURL, "https://from-env.example.com"},
		{"dsn", cfg.Storage.DSN, "postgres://tocsin@127.0.0.1/test"},
		{"webhook url", hook.Webhook.URL, "https://hooks.example.com/${literal}"},
		{"webhook header", hook.Webhook.Headers["Authorization"], "Bearer from-env"},
		{"webhook secret", hook.Webhook.Secret, "hook-s3cret"},
		{"smtp password", mail.Email.Password, "smtp-s3cret"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	env := map[string]string{"A": "x", "EMPTY": "", "B_2": "y$z"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for in, want := range map[string]string{
		"plain":          "plain",
		"${A}":           "x",
		"a${A}b${B_2}c":  "axby$zc",
		"$$":             "$",
		"$${A}":          "${A}",
		"^ok$":           "^ok$",
		"cost $5":        "cost $5",
		"${EMPTY}":       "",
		"$":              "$",
		"$$$${A}":        "$${A}",
		"${A}${A}${A}$A": "xxx$A",
	} {
		got, err := expandEnv(in, lookup)
		if err != nil || got != want {
			t.Errorf("expandEnv(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"${MISSING}": "environment variable MISSING is not set",
		"${A":        `"${" has no closing "}"`,
		"${A-B}":     `invalid environment variable name "A-B"`,
		"${}":        `invalid environment variable name ""`,
	} {
		_, err := expandEnv(in, lookup)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("expandEnv(%q) error = %v, want it to contain %q", in, err, want)
		}
	}
}

func TestRelativePaths(t *testing.T) {
	dir := t.TempDir()
	l := newLoader(filepath.Join(dir, "tocsin.yaml"), dir, testKinds)
	cfg := &Config{Storage: Storage{Driver: "sqlite", DSN: "data/t.db"}}
	b := &webBlock{TLS: TLSClient{CAFile: "certs/ca.pem", CertFile: "/etc/tocsin/client.pem", KeyFile: "client.key"}}
	b.Files(&Files{l: l, path: "monitors[0].http"})
	l.resolvePaths(cfg)
	want := TLSClient{CAFile: filepath.Join(dir, "certs", "ca.pem"), CertFile: "/etc/tocsin/client.pem", KeyFile: filepath.Join(dir, "client.key")}
	if diff := cmp.Diff(want, b.TLS); diff != "" {
		t.Errorf("resolved TLS files (-want +got):\n%s", diff)
	}

	for dsn, want := range map[string]string{
		"data/t.db":                   filepath.Join(dir, "data", "t.db"),
		"/var/lib/tocsin/t.db":        "/var/lib/tocsin/t.db",
		":memory:":                    ":memory:",
		"file:t.db?_pragma=foo":       "file:" + filepath.Join(dir, "t.db") + "?_pragma=foo",
		"file::memory:?cache=shared":  "file::memory:?cache=shared",
		"file:/abs/t.db?mode=ro":      "file:/abs/t.db?mode=ro",
		"file:mem.db?mode=memory&x=1": "file:mem.db?mode=memory&x=1",
	} {
		cfg, err := Parse([]byte("storage: {dsn: \""+dsn+"\"}\n"), filepath.Join(dir, "tocsin.yaml"), testKinds)
		if err != nil {
			t.Fatalf("dsn %q: %v", dsn, err)
		}
		if cfg.Storage.DSN != want {
			t.Errorf("dsn %q resolved to %q, want %q", dsn, cfg.Storage.DSN, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0":      0,
		"30s":    30 * time.Second,
		"1m30s":  90 * time.Second,
		"2d":     48 * time.Hour,
		"1d12h":  36 * time.Hour,
		"1.5d":   36 * time.Hour,
		"500ms":  500 * time.Millisecond,
		"-5s":    -5 * time.Second,
		"+1h":    time.Hour,
		"365d":   365 * 24 * time.Hour,
		"1h0m0s": time.Hour,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5", "5 minutes", "1x", "d", "-", "1.2.3s", "s", "999999999999d", "9223372036854775807ns1s", "1m 30s"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestSMTPDomainFromBaseURL(t *testing.T) {
	cfg, err := Parse([]byte("server:\n  base_url: https://Status.Example.com:8443/tocsin\n  smtp_listen: 127.0.0.1:2525\n"), "tocsin.yaml", testKinds)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.SMTPDomain != "Status.Example.com" {
		t.Errorf("smtp_domain %q, want the host of base_url", cfg.Server.SMTPDomain)
	}
	cfg, err = Parse([]byte("server:\n  smtp_listen: 127.0.0.1:2525\n  smtp_domain: ping.example.com\n"), "tocsin.yaml", testKinds)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.SMTPDomain != "ping.example.com" {
		t.Errorf("smtp_domain %q, want the one written", cfg.Server.SMTPDomain)
	}
}

// TestPerMonitorMetrics: server.metrics.per_monitor is on unless the file
// turns it off, and on for a configuration built in code.
func TestPerMonitorMetrics(t *testing.T) {
	for yaml, want := range map[string]bool{
		"server: {listen: 127.0.0.1:8080}\n":        true,
		"server: {metrics: {}}\n":                   true,
		"server: {metrics: {per_monitor: true}}\n":  true,
		"server: {metrics: {per_monitor: false}}\n": false,
	} {
		cfg, err := Parse([]byte(yaml), "x.yaml", testKinds)
		if err != nil {
			t.Fatalf("%s: %v", yaml, err)
		}
		if got := cfg.Server.Metrics.PerMonitorSeries(); got != want || cfg.Server.Metrics.PerMonitor == nil {
			t.Errorf("%s: per_monitor %v (set: %v), want %v", yaml, got, cfg.Server.Metrics.PerMonitor != nil, want)
		}
	}
	if !(ServerMetrics{}).PerMonitorSeries() {
		t.Error("a configuration built in code has no per-monitor series")
	}
}
