package incident_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/incident"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit"
)

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

// clock is a settable time shared by the store and the runner.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(ev string, in store.Incident) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, ev+" "+in.State)
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got)
}

func TestRunnerSQLite(t *testing.T) { testRunner(t, openSQLite(t)) }

func TestRunnerPostgres(t *testing.T) { testRunner(t, openPostgres(t)) }

func openSQLite(t *testing.T) func(*clock) *sqlstore.DB {
	return func(clk *clock) *sqlstore.DB {
		db, err := sqlstore.Open(context.Background(), sqlstore.Options{DSN: filepath.Join(t.TempDir(), "t.db"), Logger: slog.New(slog.DiscardHandler),
			QuickCheckBudget: -1, Now: clk.Now})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return db
	}
}

func openPostgres(t *testing.T) func(*clock) *sqlstore.DB {
	dsn := storetest.PostgresDSN(t)
	return func(clk *clock) *sqlstore.DB {
		db, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: sqlstore.DriverPostgres, DSN: dsn, Logger: slog.New(slog.DiscardHandler), Now: clk.Now})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return db
	}
}

// testRunner follows one service problem: a monitor fails and its alert
// opens an incident; a dependent monitor joins; the alert is
// acknowledged; the monitors recover; the incident is in monitoring, and
// resolves after resolve_after, across a restart of the runner.
func testRunner(t *testing.T, open func(*clock) *sqlstore.DB) {
	ctx := t.Context()
	clk := &clock{t: t0}
	db := open(clk)
	defer db.Close()
	cfg := config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(), Severity: "p2"}
	ev := &events{}
	newRunner := func() *incident.Runner {
		return incident.New(incident.Options{Store: db, Config: func() config.Incidents { return cfg }, Now: clk.Now, Event: ev.add})
	}
	r := newRunner()
	step := func(what string) time.Time {
		t.Helper()
		next, err := r.Step(ctx)
		if err != nil {
			t.Fatalf("Step (%s): %v", what, err)
		}
		return next
	}
	save := func(cs ...store.AlertChange) {
		t.Helper()
		if err := db.SaveBatch(ctx, store.Batch{Alerts: cs}); err != nil {
			t.Fatalf("SaveBatch: %v", err)
		}
	}
	change := func(group, svc, mon string, down bool, at time.Time) store.AlertChange {
		return store.AlertChange{GroupKey: group, MonitorID: mon, ServiceID: svc, Down: down, Time: at, Reason: mon + " failed", UpdateEvery: time.Minute}
	}

	step("nothing yet")
	if list, _ := db.Incidents(ctx, "", store.Page{}); len(list) != 0 {
		t.Fatalf("incidents before any alert: %+v", list)
	}
	save(change("db", "db", "db-port", true, t0))
	clk.Set(t0.Add(10 * time.Second))
	step("alert opened")
	step("again: nothing new")
	list, err := db.Incidents(ctx, "", store.Page{})
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents after the alert: %+v, %v", list, err)
	}
	id := list[0].ID
	a, err := db.ActiveAlert(ctx, "db")
	if err != nil {
		t.Fatal(err)
	}
	// A dependent monitor's failure joins the same alert, as impacted.
	dep := change("db", "shop", "shop-web", true, t0.Add(time.Minute))
	dep.ImpactedBy = "service:db"
	save(dep)
	// Another service's problem is another incident.
	save(change("mail", "mail", "smtp", true, t0.Add(time.Minute)))
	clk.Set(t0.Add(2 * time.Minute))
	step("joins")
	if list, _ := db.Incidents(ctx, "active", store.Page{}); len(list) != 2 {
		t.Fatalf("active incidents = %d, want 2 (db, mail)", len(list))
	}
	if _, err := db.Act(ctx, a.ID, store.AlertAct{Kind: store.ActAcknowledge, Who: "user:ann", At: t0.Add(3 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(3*time.Minute + time.Second))
	step("acknowledged")
	in, err := db.Incident(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !in.AcknowledgedAt.Equal(t0.Add(3*time.Minute)) || !in.DetectedAt.Equal(t0) || in.State != store.IncidentInvestigating || in.Severity != "p2" {
		t.Errorf("incident after the acknowledgement: %+v", in)
	}
	var kinds []string
	for _, e := range in.Timeline {
		kinds = append(kinds, e.Kind)
	}
	for _, k := range []string{"alert.opened", store.EntryOpened, "alert.joined", "alert.acknowledged"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("timeline %v lacks %s", kinds, k)
		}
	}

	// Recovery: monitoring since the last monitor came back.
	save(change("db", "db", "db-port", false, t0.Add(5*time.Minute)), change("db", "shop", "shop-web", false, t0.Add(6*time.Minute)))
	clk.Set(t0.Add(7 * time.Minute))
	next := step("recovered")
	in, _ = db.Incident(ctx, id)
	if in.State != store.IncidentMonitoring || !in.MonitoringSince.Equal(t0.Add(6*time.Minute)) {
		t.Fatalf("after recovery: state %s since %v", in.State, in.MonitoringSince)
	}
	if !next.Equal(t0.Add(16 * time.Minute)) {
		t.Errorf("next step due %v, want the end of the quiet period", next)
	}
	// Restart: a new runner picks up the quiet period from the store.
	r = newRunner()
	clk.Set(t0.Add(15 * time.Minute))
	step("still quiet")
	if in, _ = db.Incident(ctx, id); in.State != store.IncidentMonitoring {
		t.Fatalf("resolved before resolve_after: %s", in.State)
	}
	clk.Set(t0.Add(16 * time.Minute))
	step("quiet period over")
	in, _ = db.Incident(ctx, id)
	if in.State != store.IncidentResolved || !in.ResolvedAt.Equal(t0.Add(16*time.Minute)) || in.ResolvedBy != incident.System {
		t.Errorf("after the quiet period: %+v", in)
	}
	want := []string{"incident.opened investigating", "incident.opened investigating", "incident.updated monitoring", "incident.resolved resolved"}
	if got := ev.list(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

// stormStore counts the incident openings and can refuse the batched one.
type stormStore struct {
	*sqlstore.DB
	refuse                  bool
	batched, each           int
	changedTogether, change int
}

func (s *stormStore) ChangeIncidents(ctx context.Context, cs []store.IncidentChange) ([]bool, error) {
	s.changedTogether++
	return s.DB.ChangeIncidents(ctx, cs)
}

func (s *stormStore) ChangeIncident(ctx context.Context, c store.IncidentChange) (store.Incident, error) {
	s.change++
	return s.DB.ChangeIncident(ctx, c)
}

func (s *stormStore) OpenIncidents(ctx context.Context, os []store.IncidentOpening) ([]store.Incident, error) {
	s.batched++
	if s.refuse {
		return nil, errs.Errorf(errs.EINVALID, "refused")
	}
	return s.DB.OpenIncidents(ctx, os)
}

func (s *stormStore) OpenIncident(ctx context.Context, in store.Incident, alertID int64, entries []store.TimelineEntry) (store.Incident, error) {
	s.each++
	return s.DB.OpenIncident(ctx, in, alertID, entries)
}

// TestRunnerOpensAStormTogether: the alerts of a storm open their
// incidents in one call per step, and an alert of a service whose incident
// is being opened in the same step joins it rather than opening another.
// When the store refuses the call, each incident is opened on its own.
func TestRunnerOpensAStormTogether(t *testing.T) {
	for name, open := range map[string]func(*testing.T) func(*clock) *sqlstore.DB{"sqlite": openSQLite, "postgres": openPostgres} {
		for _, refuse := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/refuse=%v", name, refuse), func(t *testing.T) {
				ctx := t.Context()
				clk := &clock{t: t0}
				db := open(t)(clk)
				defer db.Close()
				st := &stormStore{DB: db, refuse: refuse}
				ev := &events{}
				cfg := config.Incidents{ResolveAfter: config.Duration(10 * time.Minute), Severities: config.DefaultSeverities(), Severity: "p2"}
				r := incident.New(incident.Options{Store: st, Config: func() config.Incidents { return cfg }, Now: clk.Now, Event: ev.add})
				var cs []store.AlertChange
				for i := range 40 {
					cs = append(cs, store.AlertChange{GroupKey: fmt.Sprintf("g%d", i), MonitorID: fmt.Sprintf("m%d", i), ServiceID: fmt.Sprintf("s%d", i), Down: true, Time: t0})
				}
				for i := range 10 {
					cs = append(cs, store.AlertChange{GroupKey: fmt.Sprintf("shared%d", i), MonitorID: fmt.Sprintf("x%d", i), ServiceID: "shared", Down: true, Time: t0})
				}
				if err := db.SaveBatch(ctx, store.Batch{Alerts: cs}); err != nil {
					t.Fatal(err)
				}
				if _, err := r.Step(ctx); err != nil {
					t.Fatal(err)
				}
				list, err := db.Incidents(ctx, "", store.Page{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				alerts := 0
				for _, in := range list {
					alerts += len(in.Alerts)
				}
				if len(list) != 41 || alerts != 50 {
					t.Fatalf("%d incidents of %d alerts, want 41 of 50 (the shared service's ten alerts in one)", len(list), alerts)
				}
				opened, updated := 0, 0
				for _, e := range ev.list() {
					switch e {
					case incident.EventOpened + " investigating":
						opened++
					case incident.EventUpdated + " investigating":
						updated++
					}
				}
				if opened != 41 || updated != 9 {
					t.Errorf("events: %d opened, %d updated; want 41, 9", opened, updated)
				}
				wantEach := 0
				if refuse {
					wantEach = 41
				}
				if st.batched > 2 || st.each != wantEach {
					t.Errorf("%d batched openings and %d single ones, want at most 2 and %d", st.batched, st.each, wantEach)
				}

				// Every monitor recovers: the 41 incidents move to
				// monitoring in one call.
				for i := range cs {
					cs[i].Down, cs[i].Time = false, t0.Add(time.Minute)
				}
				if err := db.SaveBatch(ctx, store.Batch{Alerts: cs}); err != nil {
					t.Fatal(err)
				}
				clk.Set(t0.Add(2 * time.Minute))
				if _, err := r.Step(ctx); err != nil {
					t.Fatal(err)
				}
				mon, err := db.Incidents(ctx, "active", store.Page{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				for _, in := range mon {
					if in.State != store.IncidentMonitoring {
						t.Errorf("incident %d is %s after every monitor recovered, want monitoring", in.ID, in.State)
					}
				}
				if len(mon) != 41 || st.changedTogether != 1 || st.change != 0 {
					t.Errorf("%d incidents active, %d calls changing them together and %d one by one; want 41, 1, 0", len(mon), st.changedTogether, st.change)
				}
			})
		}
	}
}
