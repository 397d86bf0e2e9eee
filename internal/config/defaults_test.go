package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	data := `
people:
  - id: alice
    email: alice@example.com
teams:
  - id: ops
    members: [alice]
channels:
  - id: hook
    type: webhook
    webhook: {url: "http://127.0.0.1:9000/"}
  - id: mail
    type: email
    email: {host: smtp.example.com, from: tocsin@example.com, teams: [ops]}
  - id: mail-tls
    type: email
    email: {host: smtp.example.com, tls: tls, from: tocsin@example.com, people: [alice]}
services:
  - id: web
    channels: [hook]
monitors:
  - id: home
    service: web
    type: http
    http: {url: "http://127.0.0.1:8081/"}
  - id: fast
    type: tcp
    interval: 3s
    tcp: {address: "127.0.0.1:22"}
  - id: cert
    type: tls
    tls: {address: "127.0.0.1:443"}
  - id: dns
    type: dns
    dns: {name: example.com}
`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Path: path,
		Server: Server{
			Listen:             "127.0.0.1:8080",
			BaseURL:            "http://127.0.0.1:8080",
			Concurrency:        256,
			PerHostConcurrency: 16,
			WatchdogInterval:   Duration(60 * time.Second),
			ReadyMaxLag:        Duration(30 * time.Second),
			SessionTTL:         Duration(720 * time.Hour),
			ReadTimeout:        Duration(10 * time.Second),
			WriteTimeout:       Duration(time.Minute),
			IdleTimeout:        Duration(time.Minute),
			SecureCookies:      ptr(false),
			SMTPDomain:         "127.0.0.1",
			SMTPMaxMessageSize: 1 << 20,
			SMTPMaxRecipients:  10,
			SMTPMaxConnections: 50,
			SMTPTimeout:        Duration(time.Minute),
			Pings: Pings{BodyLimit: 100_000, HeartbeatRate: 10, ClientRate: 100,
				MaxHeartbeatsPerKey: 1000, CreateRate: 60, ClientCreateRate: 20},
		},
		Storage: Storage{
			Driver:          "sqlite",
			DSN:             filepath.Join(dir, "tocsin.db"),
			RawRetention:    Duration(168 * time.Hour),
			RollupRetention: Duration(8760 * time.Hour),
		},
		People: []Person{{ID: "alice", Name: "alice", Email: "alice@example.com"}},
		Teams:  []Team{{ID: "ops", Name: "ops", Members: []string{"alice"}}},
		Channels: []Channel{
			{ID: "hook", Type: "webhook", Webhook: &WebhookConfig{URL: "http://127.0.0.1:9000/", Timeout: Duration(10 * time.Second)}},
			{ID: "mail", Type: "email", Email: &EmailConfig{Host: "smtp.example.com", Port: 587, TLS: "starttls", From: "tocsin@example.com", Teams: []string{"ops"}, Timeout: Duration(30 * time.Second)}},
			{ID: "mail-tls", Type: "email", Email: &EmailConfig{Host: "smtp.example.com", Port: 465, TLS: "tls", From: "tocsin@example.com", People: []string{"alice"}, Timeout: Duration(30 * time.Second)}},
		},
		Services: []Service{{ID: "web", Name: "web", Channels: []string{"hook"}}},
		Monitors: []Monitor{
			{
				ID: "home", Name: "home", Service: "web", Type: "http",
				Interval: Duration(time.Minute), Timeout: Duration(10 * time.Second),
				FailureThreshold: 1, SuccessThreshold: 1,
				HTTP: &HTTPCheck{URL: "http://127.0.0.1:8081/", Method: "GET", FollowRedirects: ptr(true)},
			},
			{
				ID: "fast", Name: "fast", Type: "tcp",
				Interval: Duration(3 * time.Second), Timeout: Duration(3 * time.Second),
				FailureThreshold: 1, SuccessThreshold: 1,
				TCP: &TCPCheck{Address: "127.0.0.1:22"},
			},
			{
				ID: "cert", Name: "cert", Type: "tls",
				Interval: Duration(time.Minute), Timeout: Duration(10 * time.Second),
				FailureThreshold: 1, SuccessThreshold: 1,
				TLS: &TLSCheck{Address: "127.0.0.1:443", CertMinDays: 7, CertWarnDays: 21},
			},
			{
				ID: "dns", Name: "dns", Type: "dns",
				Interval: Duration(time.Minute), Timeout: Duration(10 * time.Second),
				FailureThreshold: 1, SuccessThreshold: 1,
				DNS: &DNSCheck{Name: "example.com", Type: "A", Protocol: "udp", Rcode: "NOERROR"},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load() mismatch (-want +got):\n%s", diff)
	}
}

func TestBaseURLFromListen(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:9090": "http://127.0.0.1:9090",
		":8080":          "http://localhost:8080",
		"0.0.0.0:80":     "http://localhost:80",
		"[::1]:8080":     "http://[::1]:8080",
	} {
		cfg, err := Parse([]byte("server: {listen: \""+listen+"\"}\n"), "x.yaml")
		if err != nil {
			t.Fatalf("listen %q: %v", listen, err)
		}
		if cfg.Server.BaseURL != want {
			t.Errorf("listen %q: base_url = %q, want %q", listen, cfg.Server.BaseURL, want)
		}
	}
}

func TestSecureCookiesFollowBaseURL(t *testing.T) {
	cfg, err := Parse([]byte("server: {base_url: \"https://status.example.com/\"}\n"), "x.yaml")
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
	cfg, err := Load(path)
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
	l := newLoader(filepath.Join(dir, "tocsin.yaml"), dir)
	cfg := &Config{
		Storage: Storage{Driver: "sqlite", DSN: "data/t.db"},
		Monitors: []Monitor{{ID: "api", Type: "http", HTTP: &HTTPCheck{
			TLS: TLSClient{CAFile: "certs/ca.pem", CertFile: "/etc/tocsin/client.pem", KeyFile: "client.key"},
		}}},
	}
	l.resolvePaths(cfg)
	want := TLSClient{CAFile: filepath.Join(dir, "certs", "ca.pem"), CertFile: "/etc/tocsin/client.pem", KeyFile: filepath.Join(dir, "client.key")}
	if diff := cmp.Diff(want, cfg.Monitors[0].HTTP.TLS); diff != "" {
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
		cfg, err := Parse([]byte("storage: {dsn: \""+dsn+"\"}\n"), filepath.Join(dir, "tocsin.yaml"))
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
	cfg, err := Parse([]byte("server:\n  base_url: https://Status.Example.com:8443/tocsin\n  smtp_listen: 127.0.0.1:2525\n"), "tocsin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.SMTPDomain != "Status.Example.com" {
		t.Errorf("smtp_domain %q, want the host of base_url", cfg.Server.SMTPDomain)
	}
	cfg, err = Parse([]byte("server:\n  smtp_listen: 127.0.0.1:2525\n  smtp_domain: ping.example.com\n"), "tocsin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.SMTPDomain != "ping.example.com" {
		t.Errorf("smtp_domain %q, want the one written", cfg.Server.SMTPDomain)
	}
}
