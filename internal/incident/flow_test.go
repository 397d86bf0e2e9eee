package incident_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/incident"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

func TestFlashAlertSQLite(t *testing.T)   { testFlashAlert(t, openSQLite(t)) }
func TestFlashAlertPostgres(t *testing.T) { testFlashAlert(t, openPostgres(t)) }

// testFlashAlert: an alert that opens and recovers between two steps
// still opens an incident, which resolves after resolve_after; neither a
// restart nor a second replica opens it twice.
func testFlashAlert(t *testing.T, open func(*clock) *sqlstore.DB) {
	ctx := t.Context()
	clk := &clock{t: t0}
	db := open(clk)
	defer db.Close()
	cfg := config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(), Severity: "p2"}
	ev := &events{}
	newRunner := func() *incident.Runner {
		return incident.New(incident.Options{Store: db, Config: func() config.Incidents { return cfg }, Now: clk.Now, Event: ev.add})
	}
	step := func(r *incident.Runner, what string) {
		t.Helper()
		if _, err := r.Step(ctx); err != nil {
			t.Fatalf("Step (%s): %v", what, err)
		}
	}
	r := newRunner()
	step(r, "nothing yet")
	for _, down := range []bool{true, false} {
		if err := db.SaveBatch(ctx, store.Batch{Alerts: []store.AlertChange{{GroupKey: "db", MonitorID: "db-port", ServiceID: "db", Down: down,
			Time: t0.Add(time.Second), Reason: "refused", UpdateEvery: time.Minute}}}); err != nil {
			t.Fatal(err)
		}
	}
	if act, _ := db.Alerts(ctx, "active", store.Page{}); len(act) != 0 {
		t.Fatalf("the alert is still active: %+v", act)
	}
	clk.Set(t0.Add(2 * time.Second))
	step(r, "after the flash")
	step(newRunner(), "a second replica")
	step(newRunner(), "after a restart")
	list, err := db.Incidents(ctx, "", store.Page{})
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents after a flash alert: %+v, %v; want 1", list, err)
	}
	if list[0].State != store.IncidentMonitoring || list[0].Title != "db is failing" {
		t.Errorf("incident = %+v, want db in monitoring", list[0])
	}
	clk.Set(t0.Add(11 * time.Minute))
	step(r, "quiet period over")
	in, err := db.Incident(ctx, list[0].ID)
	if err != nil || in.State != store.IncidentResolved {
		t.Fatalf("after resolve_after: %+v, %v", in, err)
	}
	want := []string{"incident.opened investigating", "incident.updated monitoring", "incident.resolved resolved"}
	if got := ev.list(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if c, err := db.Cursor(ctx, store.CursorIncidentAlerts); err != nil || c != in.Alerts[0] {
		t.Errorf("cursor = %d, %v; want the alert's id %v", c, err, in.Alerts)
	}
}

func TestLateAlertSQLite(t *testing.T)   { testLateAlert(t, openSQLite(t)) }
func TestLateAlertPostgres(t *testing.T) { testLateAlert(t, openPostgres(t)) }

// testLateAlert: an alert that became visible after the cursor moved past
// its id (on PostgreSQL a transaction can commit after one that took a
// higher id) still opens an incident, though it recovered already.
func testLateAlert(t *testing.T, open func(*clock) *sqlstore.DB) {
	ctx := t.Context()
	clk := &clock{t: t0}
	db := open(clk)
	defer db.Close()
	cfg := config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(), Severity: "p2"}
	r := incident.New(incident.Options{Store: db, Config: func() config.Incidents { return cfg }, Now: clk.Now})
	for _, down := range []bool{true, false} {
		if err := db.SaveBatch(ctx, store.Batch{Alerts: []store.AlertChange{{GroupKey: "db", MonitorID: "db-port", ServiceID: "db", Down: down,
			Time: t0.Add(time.Second), Reason: "refused", UpdateEvery: time.Minute}}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.Alerts(ctx, "", store.Page{})
	if err != nil || len(all) != 1 {
		t.Fatalf("alerts: %+v, %v", all, err)
	}
	// The cursor is past it, as if a later alert had been seen first.
	if err := db.AdvanceCursor(ctx, store.CursorIncidentAlerts, all[0].ID+5); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(2 * time.Second))
	if _, err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if in, err := db.IncidentOfAlert(ctx, all[0].ID); err != nil || in.State != store.IncidentMonitoring {
		t.Fatalf("incident of the late alert: %+v, %v", in, err)
	}
	// Once it is older than the look-back, it is left alone: a step
	// reads no more than it has to.
	clk.Set(t0.Add(11 * time.Minute))
	if _, err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if list, _ := db.Incidents(ctx, "", store.Page{}); len(list) != 1 {
		t.Errorf("incidents = %d, want 1", len(list))
	}
}

func TestPostSQLite(t *testing.T)   { testPost(t, openSQLite(t)) }
func TestPostPostgres(t *testing.T) { testPost(t, openPostgres(t)) }

// testPost: an update moves the incident to the state it reports, with
// the state's timeline entry and who; naming the current state changes
// nothing; resolving records who resolved; the comms rule still holds.
func testPost(t *testing.T, open func(*clock) *sqlstore.DB) {
	ctx := t.Context()
	clk := &clock{t: t0}
	db := open(clk)
	defer db.Close()
	cfg := config.Incidents{Severities: config.DefaultSeverities(), Severity: "p2"}
	in, err := db.OpenIncident(ctx, store.Incident{Title: "exports fail", Severity: "p2", Services: []string{"shop"}, OpenedAt: t0,
		ReportedKind: store.ReportedByStaff, ReportedAt: t0}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	post := func(status, who string, at time.Duration) (incident.Posted, error) {
		return incident.Post(ctx, db, cfg, store.IncidentUpdate{IncidentID: in.ID, Status: status, Message: "about " + status, Who: who}, t0.Add(at))
	}
	p, err := post(store.IncidentInvestigating, "ann", time.Minute)
	if err != nil || p.Changed || p.Incident.State != store.IncidentInvestigating {
		t.Fatalf("same state: %+v, %v", p, err)
	}
	p, err = post(store.IncidentIdentified, "ann", 2*time.Minute)
	if err != nil || !p.Changed || p.Incident.State != store.IncidentIdentified {
		t.Fatalf("identified: %+v, %v", p, err)
	}
	last := p.Incident.Timeline[len(p.Incident.Timeline)-1]
	if last.Kind != store.EntryState || last.Who != "ann" || last.Text != "investigating → identified: by an update" || !last.Time.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("state entry = %+v", last)
	}
	p, err = post(store.IncidentResolved, "bob", 3*time.Minute)
	if err != nil || p.Incident.State != store.IncidentResolved || p.Incident.ResolvedBy != "bob" || !p.Incident.ResolvedAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("resolved: %+v, %v", p.Incident, err)
	}
	if _, err := post("sleeping", "bob", 4*time.Minute); errs.Code(err) != errs.EINVALID {
		t.Errorf("bad status: %v, want EINVALID", err)
	}
	cfg.UpdatesBy = config.UpdatesByComms
	if _, err := post(store.IncidentInvestigating, "bob", 5*time.Minute); errs.Code(err) != errs.EFORBIDDEN {
		t.Errorf("not the comms lead: %v, want EFORBIDDEN", err)
	}
	if got, _ := db.Incident(ctx, in.ID); got.State != store.IncidentResolved {
		t.Errorf("a refused update moved the state to %s", got.State)
	}
	ups, err := db.IncidentUpdatesOf(ctx, in.ID)
	if err != nil || len(ups) != 3 {
		t.Errorf("updates = %+v, %v; want 3", ups, err)
	}
}

func TestUpdateChange(t *testing.T) {
	at := t0.Add(time.Hour)
	for _, tc := range []struct {
		state, status string
		want          string // "" for no change
	}{
		{store.IncidentInvestigating, store.IncidentInvestigating, ""},
		{store.IncidentInvestigating, store.IncidentIdentified, store.IncidentIdentified},
		{store.IncidentIdentified, store.IncidentMonitoring, store.IncidentMonitoring},
		{store.IncidentMonitoring, store.IncidentResolved, store.IncidentResolved},
		{store.IncidentResolved, store.IncidentInvestigating, store.IncidentInvestigating},
		{store.IncidentPostmortem, store.IncidentResolved, ""},
	} {
		c, ok := incident.UpdateChange(store.Incident{ID: 7, State: tc.state}, store.IncidentUpdate{Status: tc.status, Time: at, Who: "ann"})
		if got := map[bool]string{true: c.State}[ok]; got != tc.want {
			t.Errorf("%s + update %s: change to %q, want %q", tc.state, tc.status, got, tc.want)
		}
		if ok && (c.ID != 7 || c.Who != "ann" || !c.At.Equal(at) || (c.State == store.IncidentMonitoring) != c.MonitoringSince.Equal(at)) {
			t.Errorf("%s + update %s: %+v", tc.state, tc.status, c)
		}
	}
}

func TestNotice(t *testing.T) {
	cfg := config.Incidents{AutoNotice: []string{"p1"}, NoticeTemplate: "Problem with {{services}} ({{service_ids}}, {{severity}})."}
	names := map[string]string{"web": "Web shop", "api": "Public API"}
	u, ok := incident.Notice(cfg, store.Incident{ID: 3, Severity: "p1", Services: []string{"web", "api", "gone"}, OpenedAt: t0},
		func(id string) string { return names[id] })
	if !ok || u.Message != "Problem with Web shop, Public API and gone (web, api, gone, p1)." || !u.Public || u.Who != incident.System {
		t.Errorf("notice = %+v, %v", u, ok)
	}
	if _, ok := incident.Notice(cfg, store.Incident{Severity: "p3"}, nil); ok {
		t.Error("a p3 incident got a notice")
	}
	cfg.NoticeTemplate = ""
	if u, _ := incident.Notice(cfg, store.Incident{Severity: "p1"}, nil); u.Message != "We are investigating a problem with one of our services. Next update within 30 minutes." {
		t.Errorf("default notice without services = %q", u.Message)
	}
}
