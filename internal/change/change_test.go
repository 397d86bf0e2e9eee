package change_test

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/change"
	"github.com/tocsin/tocsin/internal/config"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
)

// monday is inside bob's week on the app schedule.
var monday = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func load(t *testing.T) (*config.Config, *catalog.Catalog) {
	t.Helper()
	data, err := os.ReadFile("testdata/second-incident.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(data, "second-incident.yaml", probekinds.Config())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg, catalog.New(cfg)
}

func TestScope(t *testing.T) {
	_, cat := load(t)
	got := change.Scope(cat, []string{"export", "unknown"})
	want := []string{"export", "unknown", "sftp", "host:sftp1", "host:fw1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scope (-want +got):\n%s", diff)
	}
}

func TestSuspects(t *testing.T) {
	_, cat := load(t)
	start := monday
	mk := func(id int64, title string, before time.Duration, services, components []string) store.Change {
		return store.Change{ID: id, Title: title, Time: start.Add(-before), Services: services, Components: components}
	}
	changes := []store.Change{
		mk(1, "firewall rule 4711", 9*time.Hour, nil, []string{"host:fw1"}),
		mk(2, "deploy web", time.Hour, []string{"web"}, nil),
		mk(3, "patch sftp1, free name", 2*time.Hour, nil, []string{"sftp1", "core switch"}),
		mk(4, "old firewall rule", 25*time.Hour, nil, []string{"host:fw1"}),
		mk(5, "after the start", -time.Minute, []string{"export"}, nil),
		mk(6, "at the start", 0, []string{"export", "sftp"}, []string{"host:fw1"}),
		mk(7, "exactly a day before", 24*time.Hour, []string{"sftp"}, nil),
		mk(8, "a service named host-like", 3*time.Hour, []string{"host:fw1"}, nil),
		mk(9, "wan", 3*time.Hour, nil, []string{"component:wan"}),
	}
	got := change.Suspects(changes, change.Scope(cat, []string{"export"}), start)
	type row struct {
		ID      int64
		Touches []string
	}
	var rows []row
	for _, s := range got {
		rows = append(rows, row{s.Change.ID, s.Touches})
	}
	want := []row{
		{6, []string{"export", "sftp", "host:fw1"}},
		{3, []string{"host:sftp1"}},
		{1, []string{"host:fw1"}},
		{7, []string{"sftp"}},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("Suspects (-want +got):\n%s", diff)
	}
	if got := change.Suspects(changes, nil, start); len(got) != 0 {
		t.Errorf("an empty scope has suspects: %+v", got)
	}
}

func TestImpact(t *testing.T) {
	_, cat := load(t)
	r, err := change.Impact(cat, "host:fw1", monday)
	if err != nil {
		t.Fatal(err)
	}
	if r.Entry != "host:fw1" || r.Name != "Edge firewall" || !cmp.Equal(r.Monitors, []string{"fw1-ping"}) {
		t.Errorf("entry %q name %q monitors %q", r.Entry, r.Name, r.Monitors)
	}
	type row struct {
		Service string
		Direct  bool
		OnCall  []string
		Owners  int
	}
	var rows []row
	for _, a := range r.Affected {
		var who []string
		for _, p := range a.OnCall {
			who = append(who, p.Name)
		}
		rows = append(rows, row{a.Service.ID, a.Direct, who, len(a.Service.Owners)})
	}
	want := []row{
		{"sftp", true, []string{"Ann Berg"}, 1},
		{"export", false, []string{"Bob Dahl"}, 1},
		{"reports", false, nil, 1},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("Impact (-want +got):\n%s", diff)
	}

	bare, err := change.Impact(cat, "fw1", monday)
	if err != nil || bare.Entry != "host:fw1" || len(bare.Affected) != 3 {
		t.Errorf("a bare host id: %+v, %v", bare, err)
	}
	svc, err := change.Impact(cat, "sftp", monday)
	if err != nil || len(svc.Affected) != 2 || svc.Affected[0].Service.ID != "export" {
		t.Errorf("a service: %+v, %v", svc, err)
	}
	leaf, err := change.Impact(cat, "component:wan", monday)
	if err != nil || len(leaf.Affected) != 1 || leaf.Affected[0].Service.ID != "web" {
		t.Errorf("a component: %+v, %v", leaf, err)
	}

	for _, tc := range []struct{ entry, want string }{
		{"", `name what to preview: a service id, "host:ID" or "component:ID"`},
		{"host:db9", `unknown host "db9": the configuration's hosts are "fw1", "sftp1"`},
		{"component:x", `unknown component "x": the configuration's components are "wan"`},
		{"nothing", `unknown service, host or component "nothing": write a service id, "host:ID" or "component:ID"`},
	} {
		_, err := change.Impact(cat, tc.entry, monday)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Impact(%q) = %v, want %q", tc.entry, err, tc.want)
		}
	}
}

func TestCoverage(t *testing.T) {
	cfg, cat := load(t)
	kinds := probekinds.All(probekinds.Deps{})
	r := change.Coverage(cfg, cat, kinds.ClassOf, monday)
	type row struct {
		ID         string
		Functional bool
		Owner      bool
		Policy     bool
		Classes    []string
	}
	var rows []row
	for _, s := range r.Services {
		var cl []string
		for _, c := range s.Checks {
			cl = append(cl, c.ID+"="+string(c.Class))
		}
		rows = append(rows, row{s.ID, s.Functional, s.HasOwner, s.HasPolicy, cl})
	}
	want := []row{
		{"sftp", false, true, true, []string{"fw1-ping=liveness", "sftp-port=liveness"}},
		{"export", true, true, true, []string{"export-fresh=functional"}},
		{"web", true, true, true, []string{"web-home=functional", "web-up=liveness"}},
		{"reports", true, true, true, []string{"report-run=functional"}},
		{"wiki", false, false, false, nil},
		{"legacy", true, true, true, []string{"legacy-loop=functional"}},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	var findings []string
	for _, f := range r.Findings {
		findings = append(findings, f.Kind+" "+f.Subject+": "+f.Message)
	}
	wantFindings := []string{
		`liveness_only service:sftp: service "sftp" has only liveness checks (fw1-ping (icmp), sftp-port (tcp)): nothing proves it works end to end`,
		`no_check service:wiki: service "wiki" has no monitor and no heartbeat: nothing tells anyone it is down`,
		`service_without_owner service:wiki: service "wiki" has no owner: nobody is named as responsible for it`,
		`service_without_escalation_policy service:wiki: service "wiki" has no escalation policy (neither its own nor its first owning team's): nobody is paged for it, only its channels are told`,
		`alerts_reach_nobody monitor:legacy-loop: mail loop "legacy-loop": its alerts reach nobody on call: escalation policy "nobody" of service "legacy" reaches no person now (Cat has no usable contact)`,
		`alerts_reach_nobody heartbeat:report-run: heartbeat "report-run": its alerts reach nobody on call: escalation policy "chat-only" of service "reports" reaches no person, only channels`,
		`alerts_reach_nobody heartbeat:lonely: heartbeat "lonely": its alerts reach nobody on call: it belongs to no service, so no escalation policy pages for it`,
	}
	if diff := cmp.Diff(wantFindings, findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if r.Clean() {
		t.Error("a report with findings is clean")
	}
}
