package config_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe/dnsx"
	"github.com/tocsin/tocsin/internal/probe/httpx"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/probe/tcp"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
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
	got, err := config.Load(path, probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	want := &config.Config{
		Path: path,
		Server: config.Server{
			Listen:             "127.0.0.1:8080",
			BaseURL:            "http://127.0.0.1:8080",
			Concurrency:        256,
			PerHostConcurrency: 16,
			WatchdogInterval:   config.Duration(60 * time.Second),
			ReadyMaxLag:        config.Duration(30 * time.Second),
			SessionTTL:         config.Duration(720 * time.Hour),
			AgentSilentAfter:   config.Duration(time.Minute),
			ReadTimeout:        config.Duration(10 * time.Second),
			WriteTimeout:       config.Duration(time.Minute),
			IdleTimeout:        config.Duration(time.Minute),
			LeaseTTL:           config.Duration(15 * time.Second),
			SecureCookies:      ptr(false),
			Metrics:            config.ServerMetrics{PerMonitor: ptr(true)},
			SMTPDomain:         "127.0.0.1",
			SMTPMaxMessageSize: 1 << 20,
			SMTPMaxRecipients:  10,
			SMTPMaxConnections: 50,
			SMTPTimeout:        config.Duration(time.Minute),
			Pings: config.Pings{BodyLimit: 100_000, HeartbeatRate: 10, ClientRate: 100,
				MaxHeartbeatsPerKey: 1000, CreateRate: 60, ClientCreateRate: 20},
			UnknownPing: "ok",
		},
		Storage: config.Storage{
			Driver:          "sqlite",
			DSN:             filepath.Join(dir, "tocsin.db"),
			RawRetention:    config.Duration(168 * time.Hour),
			RollupRetention: config.Duration(8760 * time.Hour),
			ResultBuffer:    config.DefaultResultBuffer,
		},
		People: []config.Person{{ID: "alice", Name: "alice", Email: "alice@example.com"}},
		Teams:  []config.Team{{ID: "ops", Name: "ops", Members: []string{"alice"}}},
		Channels: []config.Channel{
			{ID: "hook", Type: "webhook", Webhook: &config.WebhookConfig{URL: "http://127.0.0.1:9000/", Timeout: config.Duration(10 * time.Second)}},
			{ID: "mail", Type: "email", Email: &config.EmailConfig{Host: "smtp.example.com", Port: 587, TLS: "starttls", From: "tocsin@example.com", Teams: []string{"ops"}, Timeout: config.Duration(30 * time.Second)}},
			{ID: "mail-tls", Type: "email", Email: &config.EmailConfig{Host: "smtp.example.com", Port: 465, TLS: "tls", From: "tocsin@example.com", People: []string{"alice"}, Timeout: config.Duration(30 * time.Second)}},
		},
		Services: []config.Service{{ID: "web", Name: "web", Channels: []string{"hook"}}},
		Alerting: config.Alerting{GroupBy: "service", GroupInterval: config.Duration(5 * time.Minute)},
		Incidents: config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(),
			Roles: config.DefaultIncidentRoles(), Severity: "p2",
			UpdatesBy: config.UpdatesByAnyone, AutoNotice: []string{"p0", "p1"}, NoticeTemplate: config.DefaultNoticeTemplate,
			ActionReminderBefore: config.Duration(config.DefaultActionReminderBefore), ActionOverdueEvery: config.Duration(config.DefaultActionOverdueEvery)},
		Alertmanager: config.Alertmanager{ServiceLabel: "service"},
		Audit:        config.Audit{Retention: config.Duration(config.DefaultAuditRetention)},
		Monitors: []config.Monitor{
			{
				ID: "home", Name: "home", Service: "web", Type: "http",
				Interval: config.Duration(time.Minute), Timeout: config.Duration(10 * time.Second),
				FailureThreshold: 1, SuccessThreshold: 1,
				Block: &httpx.Check{URL: "http://127.0.0.1:8081/", Method: "GET", FollowRedirects: ptr(true)},
			},
			{
				ID: "fast", Name: "fast", Type: "tcp",
				Interval: config.Duration(3 * time.Second), Timeout: config.Duration(3 * time.Second),
				FailureThreshold: 1, SuccessThreshold: 1,
				Block: &tcp.Check{Address: "127.0.0.1:22"},
			},
			{
				ID: "cert", Name: "cert", Type: "tls",
				Interval: config.Duration(time.Minute), Timeout: config.Duration(10 * time.Second),
				FailureThreshold: 1, SuccessThreshold: 1,
				Block: &tlsx.Check{Address: "127.0.0.1:443", CertMinDays: 7, CertWarnDays: 21},
			},
			{
				ID: "dns", Name: "dns", Type: "dns",
				Interval: config.Duration(time.Minute), Timeout: config.Duration(10 * time.Second),
				FailureThreshold: 1, SuccessThreshold: 1,
				Block: &dnsx.Check{Name: "example.com", Type: "A", Protocol: "udp", Rcode: "NOERROR"},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load() mismatch (-want +got):\n%s", diff)
	}
}
