package incident_test

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/incident"
	"github.com/tocsin/tocsin/internal/store"
)

var t0 = time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)

func alert(id int64, svc string, mons ...store.AlertMonitor) store.Alert {
	return store.Alert{ID: id, GroupKey: svc, ServiceID: svc, State: store.AlertOpen, OpenedAt: t0, Monitors: mons}
}

func mon(id, status, impactedBy string, changed time.Time) store.AlertMonitor {
	return store.AlertMonitor{MonitorID: id, Status: status, ImpactedBy: impactedBy, ChangedAt: changed}
}

func TestOpen(t *testing.T) {
	in, e := incident.Open(alert(7, "sftp", mon("sftp-port", "down", "", t0)), "p2")
	if in.Title != "sftp is failing" || in.Severity != "p2" || in.State != store.IncidentInvestigating || in.ReportedKind != store.ReportedByMonitor ||
		in.ReportedName != "sftp-port" || !in.DetectedAt.Equal(t0) || len(in.Services) != 1 || in.Services[0] != "sftp" {
		t.Errorf("incident = %+v", in)
	}
	if e.AlertID != 7 || e.Kind != store.EntryOpened || !e.Time.Equal(t0) {
		t.Errorf("entry = %+v", e)
	}
	in, _ = incident.Open(store.Alert{ID: 8, GroupKey: "monitor:ping", OpenedAt: t0}, "p1")
	if in.Title != "ping is failing" || len(in.Services) != 0 {
		t.Errorf("a monitor's own alert: %+v", in)
	}
}

func TestJoin(t *testing.T) {
	active := map[string]int64{"db": 1, "shop": 2}
	of := func(s string) (int64, bool) { id, ok := active[s]; return id, ok }
	cases := []struct {
		name string
		a    store.Alert
		want int64
		ok   bool
	}{
		{"impacted by a service with an incident joins it", alert(5, "shop", mon("web", "down", "service:db", t0)), 1, true},
		{"impacted by a host: its own service's incident", alert(5, "shop", mon("web", "down", "host:h1", t0)), 2, true},
		{"its own service's active incident", alert(5, "shop", mon("web", "down", "", t0)), 2, true},
		{"nothing to join", alert(5, "mail", mon("smtp", "down", "service:dns", t0)), 0, false},
		{"a monitor's own alert", store.Alert{ID: 5, GroupKey: "monitor:x"}, 0, false},
	}
	for _, c := range cases {
		got, ok := incident.Join(c.a, of)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: Join = %d, %v; want %d, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestProgress(t *testing.T) {
	ra := 10 * time.Minute
	inv := store.Incident{ID: 1, State: store.IncidentInvestigating}
	down := []store.Alert{alert(1, "s", mon("a", "down", "", t0), mon("b", "up", "", t0.Add(time.Minute)))}
	up := []store.Alert{alert(1, "s", mon("a", "up", "", t0.Add(3*time.Minute)), mon("b", "up", "", t0.Add(time.Minute)))}
	if _, ok := incident.Progress(inv, down, t0.Add(time.Hour), ra); ok {
		t.Error("a monitor is down: nothing changes")
	}
	if _, ok := incident.Progress(inv, nil, t0.Add(time.Hour), ra); ok {
		t.Error("an incident without alerts is people's to move")
	}
	c, ok := incident.Progress(inv, up, t0.Add(4*time.Minute), ra)
	if !ok || c.State != store.IncidentMonitoring || !c.MonitoringSince.Equal(t0.Add(3*time.Minute)) || c.Who != incident.System {
		t.Fatalf("all up: %+v, %v; want monitoring since the last recovery", c, ok)
	}
	idf := store.Incident{ID: 1, State: store.IncidentIdentified}
	if c, ok := incident.Progress(idf, up, t0.Add(4*time.Minute), ra); !ok || c.State != store.IncidentMonitoring {
		t.Errorf("identified, all up: %+v", c)
	}
	moni := store.Incident{ID: 1, State: store.IncidentMonitoring, MonitoringSince: t0.Add(3 * time.Minute)}
	if _, ok := incident.Progress(moni, up, t0.Add(12*time.Minute), ra); ok {
		t.Error("monitoring, quiet period not over: nothing changes")
	}
	if when, ok := incident.Due(moni, ra); !ok || !when.Equal(t0.Add(13*time.Minute)) {
		t.Errorf("Due = %v, %v", when, ok)
	}
	c, ok = incident.Progress(moni, up, t0.Add(20*time.Minute), ra)
	if !ok || c.State != store.IncidentResolved || !c.At.Equal(t0.Add(13*time.Minute)) {
		t.Errorf("monitoring, quiet period over: %+v, %v; want resolved at its end", c, ok)
	}
	c, ok = incident.Progress(moni, down, t0.Add(5*time.Minute), ra)
	if !ok || c.State != store.IncidentInvestigating {
		t.Errorf("monitoring, failing again: %+v, %v", c, ok)
	}
	for _, st := range []string{store.IncidentResolved, store.IncidentPostmortem} {
		if _, ok := incident.Progress(store.Incident{State: st}, down, t0, ra); ok {
			t.Errorf("%s incidents stay", st)
		}
	}
	// A resolved alert whose monitor is still marked down (resolved by a
	// person) counts as up.
	res := alert(1, "s", mon("a", "down", "", t0))
	res.State, res.ResolvedAt = store.AlertResolved, t0.Add(5*time.Minute)
	if c, ok := incident.Progress(inv, []store.Alert{res}, t0.Add(6*time.Minute), ra); !ok || !c.MonitoringSince.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("resolved alert: %+v, %v", c, ok)
	}
}

func TestAcknowledged(t *testing.T) {
	a := alert(1, "s")
	a.Actions = []store.AlertAction{{Kind: store.ActionOpened, Time: t0}, {Kind: store.ActionAcknowledged, Time: t0.Add(4 * time.Minute)}}
	b := alert(2, "s")
	b.Actions = []store.AlertAction{{Kind: store.ActionSnoozed, Time: t0.Add(2 * time.Minute)}}
	at, ok := incident.Acknowledged(store.Incident{}, []store.Alert{a, b})
	if !ok || !at.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("Acknowledged = %v, %v; want the earliest", at, ok)
	}
	if _, ok := incident.Acknowledged(store.Incident{AcknowledgedAt: t0.Add(2 * time.Minute)}, []store.Alert{a, b}); ok {
		t.Error("the same time again is no change")
	}
	if _, ok := incident.Acknowledged(store.Incident{}, []store.Alert{alert(3, "s")}); ok {
		t.Error("no acknowledgement")
	}
}

func TestCheck(t *testing.T) {
	cfg := config.Incidents{Severities: config.DefaultSeverities(), Severity: "p2"}
	known := func(s string) bool { return s == "export" }
	d, err := incident.Check(incident.Declaration{Title: " SFTP export blocked ", Services: []string{"export"}}, cfg, known, t0)
	if err != nil || d.Title != "SFTP export blocked" || d.Severity != "p2" || d.ReportedKind != store.ReportedByStaff || !d.ReportedAt.Equal(t0) {
		t.Errorf("defaults: %+v, %v", d, err)
	}
	bad := []incident.Declaration{
		{Title: ""},
		{Title: "x", Severity: "sev9"},
		{Title: "x", ReportedKind: "robot"},
		{Title: "x", ReportedAt: t0.Add(time.Hour)},
		{Title: "x", Services: []string{"nope"}},
		{Title: string(make([]byte, 400))},
	}
	for _, b := range bad {
		if _, err := incident.Check(b, cfg, known, t0); errs.Code(err) != errs.EINVALID {
			t.Errorf("Check(%+v) = %v, want EINVALID", b, err)
		}
	}
	if _, err := incident.Note(store.TimelineEntry{Text: "  "}, t0); errs.Code(err) != errs.EINVALID {
		t.Errorf("empty note: %v", err)
	}
	n, err := incident.Note(store.TimelineEntry{Text: "called the ISP", Time: t0.Add(-time.Hour), Kind: "state"}, t0)
	if err != nil || n.Kind != store.EntryNote || !n.Time.Equal(t0.Add(-time.Hour)) {
		t.Errorf("note: %+v, %v", n, err)
	}
}
