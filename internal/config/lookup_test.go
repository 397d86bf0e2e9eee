package config

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const lookupConfig = `
people:
  - {id: alice, email: alice@example.com}
  - {id: bob, email: bob@example.com}
  - {id: carol}
teams:
  - {id: ops, members: [bob, carol, alice]}
channels:
  - {id: hook, type: webhook, webhook: {url: "http://127.0.0.1:9000/"}}
  - {id: pager, type: webhook, webhook: {url: "http://127.0.0.1:9001/"}}
  - id: mail
    type: email
    email: {host: smtp.example.com, from: t@example.com, to: [oncall@example.com, alice@example.com], people: [alice], teams: [ops]}
services:
  - {id: web, channels: [hook, mail]}
monitors:
  - {id: home, service: web, channels: [pager, hook], type: tcp, tcp: {address: "127.0.0.1:80"}}
  - {id: alone, type: tcp, tcp: {address: "127.0.0.1:81"}}
`

func TestLookups(t *testing.T) {
	cfg, err := Parse([]byte(lookupConfig), "x.yaml", testKinds)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := cfg.Monitor("home"); !ok || m.ID != "home" {
		t.Errorf("Monitor(home) = %v, %v", m, ok)
	}
	if _, ok := cfg.Monitor("nope"); ok {
		t.Error("Monitor(nope) found something")
	}
	if s, ok := cfg.Service("web"); !ok || s.ID != "web" {
		t.Errorf("Service(web) = %v, %v", s, ok)
	}
	if c, ok := cfg.Channel("mail"); !ok || c.Email == nil {
		t.Errorf("Channel(mail) = %v, %v", c, ok)
	}
	if p, ok := cfg.Person("bob"); !ok || p.Email != "bob@example.com" {
		t.Errorf("Person(bob) = %v, %v", p, ok)
	}
	if tm, ok := cfg.Team("ops"); !ok || len(tm.Members) != 3 {
		t.Errorf("Team(ops) = %v, %v", tm, ok)
	}
	// The returned pointer is the config's own entry.
	m, _ := cfg.Monitor("alone")
	m.Paused = true
	if !cfg.Monitors[1].Paused {
		t.Error("Monitor returned a copy, want a pointer into the config")
	}

	home, _ := cfg.Monitor("home")
	if diff := cmp.Diff([]string{"hook", "mail", "pager"}, cfg.ChannelsFor(home)); diff != "" {
		t.Errorf("ChannelsFor(home) (-want +got):\n%s", diff)
	}
	if got := cfg.ChannelsFor(m); len(got) != 0 {
		t.Errorf("ChannelsFor(alone) = %v, want none", got)
	}

	mail, _ := cfg.Channel("mail")
	want := []string{"oncall@example.com", "alice@example.com", "bob@example.com"}
	if diff := cmp.Diff(want, mail.Email.Recipients(cfg)); diff != "" {
		t.Errorf("Recipients (-want +got):\n%s", diff)
	}
}

func TestFingerprint(t *testing.T) {
	base := Monitor{
		ID: "web", Name: "Web", Service: "shop", Type: "http",
		Interval: Duration(time.Minute), Timeout: Duration(10 * time.Second),
		FailureThreshold: 1, SuccessThreshold: 1, Channels: []string{"hook"},
		Block: &webBlock{URL: "http://127.0.0.1/", Method: "GET", Headers: map[string]string{"A": "1", "B": "2", "C": "3"}},
	}
	fp := base.Fingerprint()
	if len(fp) != 32 {
		t.Errorf("Fingerprint() = %q, want 32 hex digits", fp)
	}
	for range 20 {
		// Map order must not change the hash.
		same := base
		same.Block = &webBlock{URL: "http://127.0.0.1/", Method: "GET", Headers: map[string]string{"C": "3", "B": "2", "A": "1"}}
		if got := same.Fingerprint(); got != fp {
			t.Fatalf("equal monitors hash differently: %s vs %s", got, fp)
		}
	}
	unchanged := map[string]func(m *Monitor){
		"name":     func(m *Monitor) { m.Name = "Website" },
		"service":  func(m *Monitor) { m.Service = "other" },
		"channels": func(m *Monitor) { m.Channels = nil },
		"paused":   func(m *Monitor) { m.Paused = true },
	}
	changed := map[string]func(m *Monitor){
		"type":              func(m *Monitor) { m.Type = "tcp" },
		"interval":          func(m *Monitor) { m.Interval = Duration(30 * time.Second) },
		"timeout":           func(m *Monitor) { m.Timeout = Duration(5 * time.Second) },
		"failure_threshold": func(m *Monitor) { m.FailureThreshold = 3 },
		"success_threshold": func(m *Monitor) { m.SuccessThreshold = 2 },
		"url":               func(m *Monitor) { m.Block.(*webBlock).URL = "http://127.0.0.1/x" },
		"header":            func(m *Monitor) { m.Block.(*webBlock).Headers["A"] = "9" },
		"expect":            func(m *Monitor) { m.Block.(*webBlock).Expect.BodyContains = "ok" },
		"tcp block":         func(m *Monitor) { m.Block = &addressBlock{Address: "127.0.0.1:1"} },
	}
	clone := func() Monitor {
		m := base
		h := *base.Block.(*webBlock)
		h.Headers = map[string]string{"A": "1", "B": "2", "C": "3"}
		m.Block = &h
		return m
	}
	for name, edit := range unchanged {
		m := clone()
		edit(&m)
		if m.Fingerprint() != fp {
			t.Errorf("changing %s changed the fingerprint", name)
		}
	}
	for name, edit := range changed {
		m := clone()
		edit(&m)
		if m.Fingerprint() == fp {
			t.Errorf("changing %s kept the fingerprint", name)
		}
	}
}

func TestDiff(t *testing.T) {
	mon := func(id, addr string) Monitor {
		return Monitor{ID: id, Type: "tcp", Interval: Duration(time.Minute), Block: &addressBlock{Address: addr}}
	}
	prev := &Config{Monitors: []Monitor{mon("a", "h:1"), mon("b", "h:2"), mon("c", "h:3"), mon("d", "h:4")}}
	renamed := mon("a", "h:1")
	renamed.Name = "New name"
	next := &Config{Monitors: []Monitor{mon("e", "h:5"), renamed, mon("c", "h:30"), mon("f", "h:6")}}

	added, changed, removed := Diff(prev, next)
	got := [][]string{added, changed, removed}
	want := [][]string{{"e", "f"}, {"c"}, {"b", "d"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}

	added, changed, removed = Diff(nil, next)
	if !slices.Equal(added, []string{"e", "a", "c", "f"}) || changed != nil || removed != nil {
		t.Errorf("Diff(nil, next) = %v, %v, %v; want every monitor added", added, changed, removed)
	}
}

// addressBlock stands for a block a probe kind declares.
type addressBlock struct {
	Address string `yaml:"address"`
}

func (*addressBlock) Defaults(*Monitor, func(string) bool) {}
func (*addressBlock) Validate(*Monitor) []FieldError       { return nil }

// webBlock stands for a block with nested keys and a map, as http's.
type webBlock struct {
	URL     string            `yaml:"url"`
	Method  string            `yaml:"method"`
	Headers map[string]string `yaml:"headers"`
	Expect  struct {
		BodyContains string `yaml:"body_contains"`
	} `yaml:"expect"`
	TLS TLSClient `yaml:"tls"`
}

func (*webBlock) Defaults(*Monitor, func(string) bool) {}
func (*webBlock) Validate(*Monitor) []FieldError       { return nil }
func (b *webBlock) Files(f *Files)                     { f.TLS(&b.TLS) }
