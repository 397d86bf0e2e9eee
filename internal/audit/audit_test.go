package audit_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/config"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
)

// memAudit keeps entries in memory; fail makes it refuse them.
type memAudit struct {
	entries []store.AuditEntry
	fail    bool
}

func (m *memAudit) AddAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	if m.fail {
		return e, errors.New("disk full")
	}
	if ctx.Err() != nil {
		return e, ctx.Err()
	}
	e.ID = int64(len(m.entries) + 1)
	m.entries = append(m.entries, e)
	return e, nil
}
func (m *memAudit) AuditLog(context.Context, store.AuditFilter) ([]store.AuditEntry, error) {
	return m.entries, nil
}
func (m *memAudit) PruneAudit(context.Context, time.Time) (int64, error) { return 0, nil }

func TestLogFillsTheActor(t *testing.T) {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	st := &memAudit{}
	l := audit.NewLog(st, nil, func() time.Time { return at })
	ctx := audit.WithActor(t.Context(), audit.TokenActor(7, "ann", "192.0.2.1"))
	l.Record(ctx, store.AuditEntry{Action: "monitor.pause", ObjectKind: "monitor", ObjectID: "web"})
	l.Record(t.Context(), store.AuditEntry{Action: "config.reload"})
	l.As(audit.Actor{Actor: store.ActorCLI}).Record(t.Context(), store.AuditEntry{Action: "alert.ack"})
	// An entry that names its actor keeps it; the context still gives the address.
	l.Record(audit.WithActor(t.Context(), audit.UserActor("bob", "::1")), store.AuditEntry{Actor: "user:eve", Action: "x"})
	// A request that went away is recorded all the same.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	l.Record(gone, store.AuditEntry{Action: "alert.resolve"})
	want := []store.AuditEntry{
		{ID: 1, Time: at, Actor: "token:7", User: "ann", TokenID: 7, IP: "192.0.2.1", Action: "monitor.pause", ObjectKind: "monitor", ObjectID: "web"},
		{ID: 2, Time: at, Actor: "system", Action: "config.reload"},
		{ID: 3, Time: at, Actor: "cli", Action: "alert.ack"},
		{ID: 4, Time: at, Actor: "user:eve", IP: "::1", Action: "x"},
		{ID: 5, Time: at, Actor: "token:7", User: "ann", TokenID: 7, IP: "192.0.2.1", Action: "alert.resolve"},
	}
	if diff := cmp.Diff(want, st.entries); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	// A store that refuses does not fail the caller.
	st.fail = true
	l.Record(ctx, store.AuditEntry{Action: "monitor.resume"})
}

func TestWriteCSVParses(t *testing.T) {
	entries := []store.AuditEntry{
		{ID: 2, Time: time.Date(2026, 3, 2, 10, 0, 0, 5e6, time.UTC), Actor: "token:7", User: "ann", TokenID: 7, IP: "2001:db8::1",
			Action: "incident.update", ObjectKind: "incident", ObjectID: "3", Summary: "said \"fixed\",\nthen left"},
		{ID: 1, Time: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), Actor: "cli", Action: "monitor.pause", ObjectKind: "monitor", ObjectID: "=HYPERLINK(\"x\")"},
	}
	var b bytes.Buffer
	if err := audit.WriteCSV(&b, entries, true); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, b.String())
	}
	want := [][]string{
		audit.CSVHeader,
		{"2", "2026-03-02T10:00:00.005Z", "token:7", "ann", "7", "2001:db8::1", "incident.update", "incident", "3", "said \"fixed\",\nthen left"},
		{"1", "2026-03-02T09:00:00Z", "cli", "", "", "", "monitor.pause", "monitor", "'=HYPERLINK(\"x\")", ""},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("CSV rows (-want +got):\n%s", diff)
	}
}

func load(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "tocsin.yaml", probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestConfigDiff(t *testing.T) {
	prev := load(t, `
services: [{id: shop}, {id: old}]
monitors:
  - {id: web, type: tcp, service: shop, tcp: {address: "127.0.0.1:80"}}
  - {id: gone, type: tcp, tcp: {address: "127.0.0.1:81"}}
  - {id: same, type: tcp, tcp: {address: "127.0.0.1:82"}}
`)
	next := load(t, `
services: [{id: shop, name: The shop}]
monitors:
  - {id: web, type: tcp, service: shop, tcp: {address: "127.0.0.1:8080"}}
  - {id: same, type: tcp, tcp: {address: "127.0.0.1:82"}}
  - {id: db, type: tcp, tcp: {address: "127.0.0.1:5432"}}
alerting: {group_wait: 30s}
`)
	d := audit.ConfigDiff(prev, next, audit.Fingerprints{})
	want := audit.Diff{Added: []string{"monitor db"}, Changed: []string{"monitor web", "service shop"}, Removed: []string{"monitor gone", "service old"}, Settings: true}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("ConfigDiff (-want +got):\n%s", diff)
	}
	if got, want := d.Summary(), "added monitor db; changed monitor web, service shop; removed monitor gone, service old; settings changed"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	if d := audit.ConfigDiff(next, next, audit.Fingerprints{}); !d.Empty() || d.Summary() != "nothing changed" {
		t.Errorf("the same configuration twice: %+v", d)
	}
	var many strings.Builder
	many.WriteString("monitors:\n")
	for i := range 25 {
		fmt.Fprintf(&many, "  - {id: m%d, type: tcp, tcp: {address: \"127.0.0.1:%d\"}}\n", i, 1000+i)
	}
	s := audit.ConfigDiff(nil, load(t, many.String()), audit.Fingerprints{}).Summary()
	if !strings.Contains(s, "monitor m19 and 5 more;") {
		t.Errorf("a long list is cut: %q", s)
	}
}

// The diff of a reload takes the monitors' fingerprints the reload
// computed: a monitor counts as changed by its definition exactly when the
// fingerprints given say so, whatever the definitions hold, and by the
// fields outside the fingerprint when they differ.
func TestConfigDiffUsesTheReloadFingerprints(t *testing.T) {
	prev := load(t, `
monitors:
  - {id: a, type: tcp, tcp: {address: "127.0.0.1:1"}}
  - {id: b, type: tcp, tcp: {address: "127.0.0.1:2"}}
  - {id: c, type: tcp, tcp: {address: "127.0.0.1:3"}}
  - {id: d, type: tcp, tcp: {address: "127.0.0.1:4"}}
  - {id: gone, type: tcp, tcp: {address: "127.0.0.1:5"}}
`)
	next := load(t, `
monitors:
  - {id: a, type: tcp, tcp: {address: "127.0.0.1:1"}}
  - {id: b, type: tcp, tcp: {address: "127.0.0.1:2000"}}
  - {id: c, type: tcp, name: Renamed, tcp: {address: "127.0.0.1:3"}}
  - {id: d, type: tcp, tags: [db], tcp: {address: "127.0.0.1:4"}}
  - {id: new1, type: tcp, tcp: {address: "127.0.0.1:6"}}
  - {id: new2, type: tcp, tcp: {address: "127.0.0.1:7"}}
`)
	// The fingerprints say a changed and b did not: the reverse of the
	// definitions. The diff believes them, so it computed none of its own.
	fp := audit.Fingerprints{
		Prev: map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "gone": "5", "api-mon": "9"},
		Next: map[string]string{"a": "1-changed", "b": "2", "c": "3", "d": "4", "new1": "6", "new2": "7", "api-mon": "9"},
	}
	d := audit.ConfigDiff(prev, next, fp)
	want := audit.Diff{
		Added:   []string{"monitor new1", "monitor new2"},
		Changed: []string{"monitor a", "monitor c", "monitor d"},
		Removed: []string{"monitor gone"},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("ConfigDiff (-want +got):\n%s", diff)
	}
	if got, want := d.Summary(), "added monitor new1, monitor new2; changed monitor a, monitor c, monitor d; removed monitor gone"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	// Without fingerprints it computes them: b's address changed.
	d = audit.ConfigDiff(prev, next, audit.Fingerprints{})
	if want := []string{"monitor b", "monitor c", "monitor d"}; !cmp.Equal(want, d.Changed) {
		t.Errorf("changed without fingerprints = %v, want %v", d.Changed, want)
	}
}

// Every field of a monitor is either in its fingerprint or compared by the
// diff on its own: a field added to config.Monitor must join one of them.
func TestConfigDiffCoversEveryMonitorField(t *testing.T) {
	known := map[string]string{
		"Type": "fingerprint", "Interval": "fingerprint", "Timeout": "fingerprint",
		"FailureThreshold": "fingerprint", "SuccessThreshold": "fingerprint", "Block": "fingerprint",
		"Name": "diff", "Service": "diff", "Channels": "diff", "Paused": "diff", "Tags": "diff",
		"Agent": "diff", "Locations": "diff", "DownWhen": "diff",
		"ID": "key", "Raw": "emptied by the loader", "Stored": "not in a file",
	}
	typ := reflect.TypeFor[config.Monitor]()
	for f := range typ.Fields() {
		if _, ok := known[f.Name]; !ok {
			t.Errorf("config.Monitor.%s is neither in the fingerprint nor compared by the audit diff (sameOutsideFingerprint)", f.Name)
		}
	}
	base := config.Monitor{ID: "m", Type: "tcp"}
	for name, edit := range map[string]func(*config.Monitor){
		"Name":      func(m *config.Monitor) { m.Name = "x" },
		"Service":   func(m *config.Monitor) { m.Service = "x" },
		"Channels":  func(m *config.Monitor) { m.Channels = []string{"x"} },
		"Paused":    func(m *config.Monitor) { m.Paused = true },
		"Tags":      func(m *config.Monitor) { m.Tags = []string{"x"} },
		"Agent":     func(m *config.Monitor) { m.Agent = "x" },
		"Locations": func(m *config.Monitor) { m.Locations = []string{"x"} },
		"DownWhen":  func(m *config.Monitor) { m.DownWhen.AtLeast = 2 },
	} {
		m := base
		edit(&m)
		same := audit.Fingerprints{Prev: map[string]string{"m": "f"}, Next: map[string]string{"m": "f"}}
		d := audit.ConfigDiff(&config.Config{Monitors: []config.Monitor{base}}, &config.Config{Monitors: []config.Monitor{m}}, same)
		if !cmp.Equal(d.Changed, []string{"monitor m"}) {
			t.Errorf("a change of %s is not reported: %+v", name, d)
		}
	}
}
