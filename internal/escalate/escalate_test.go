package escalate_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/alert"
	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/escalate"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// directory is a catalog for the tests: a fixed map of targets.
type directory struct {
	policy  config.EscalationPolicy
	targets map[string][]catalog.Recipient
}

func (d directory) Recipients(target string, _ time.Time) []catalog.Recipient {
	var out []catalog.Recipient
	for _, r := range d.targets[target] {
		r.Target = target
		out = append(out, r)
	}
	return out
}

func (d directory) PolicyFor(serviceID string) (config.EscalationPolicy, bool) {
	if serviceID != "shop" {
		return config.EscalationPolicy{}, false
	}
	return d.policy, true
}

func person(id string, cs ...catalog.Contact) catalog.Recipient {
	return catalog.Recipient{Kind: "person", ID: id, Name: strings.ToUpper(id[:1]) + id[1:], Contacts: cs}
}

func newDirectory() directory {
	return directory{
		policy: config.EscalationPolicy{ID: "support", Repeat: 1, Steps: []config.EscalationStep{
			{After: 0, Notify: []string{"person:ana"}},
			{After: config.Duration(15 * time.Minute), Notify: []string{"team:apps"}},
		}},
		targets: map[string][]catalog.Recipient{
			"person:ana": {person("ana", catalog.Contact{Channel: "mail", Address: "ana@example.org"}, catalog.Contact{Channel: "hook", After: 5 * time.Minute})},
			"team:apps": {person("bo", catalog.Contact{Channel: "mail", Address: "bo@example.org"}),
				{Kind: "channel", ID: "apps-room", Name: "apps-room", Contacts: []catalog.Contact{{Channel: "apps-room"}}}},
			"person:ghost": {{Kind: "person", ID: "ghost", Name: "Ghost", Problem: "Ghost has no usable contact"}},
		},
	}
}

func testConfig() *config.Config {
	cfg := &config.Config{
		Services: []config.Service{{ID: "shop", Name: "Shop", Runbook: "https://wiki.example.org/shop"}},
	}
	cfg.Server.BaseURL = "https://tocsin.example.org"
	for i := range 7 {
		cfg.Monitors = append(cfg.Monitors, config.Monitor{ID: fmt.Sprint("m", i), Name: fmt.Sprint("Monitor ", i), Service: "shop"})
	}
	return cfg
}

type harness struct {
	reg *prometheus.Registry
	t   *testing.T
	db  *sqlstore.DB
	cfg *config.Config
	dir directory
	esc *escalate.Escalator
}

func open(t *testing.T, path string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{DSN: path, Logger: slog.New(slog.DiscardHandler), QuickCheckBudget: -1})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

// start opens the store at path and runs an escalator on it until the
// returned stop is called. Call inside a synctest bubble.
func start(t *testing.T, path, owner string, dir directory) (*harness, func()) {
	t.Helper()
	h := &harness{t: t, db: open(t, path), cfg: testConfig(), dir: dir, reg: prometheus.NewRegistry()}
	key, err := h.db.Secret(context.Background(), escalate.SecretName, escalate.SecretSize)
	if err != nil {
		t.Fatal(err)
	}
	h.esc = escalate.New(escalate.Options{
		Store:      h.db,
		Directory:  func() escalate.Directory { return h.dir },
		Config:     func() *config.Config { return h.cfg },
		Links:      &escalate.Links{Key: key, BaseURL: h.cfg.Server.BaseURL},
		Owner:      owner,
		Registerer: h.reg,
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.esc.Run(ctx) })
	return h, func() {
		cancel()
		wg.Wait()
		h.db.Close()
	}
}

// fail stores the failures (or recoveries) of monitors the way the engine
// does: the alert stage's changes in a batch.
func (h *harness) change(to monitor.Status, mons ...string) {
	h.t.Helper()
	var b store.Batch
	for _, m := range mons {
		from := monitor.StatusUp
		if to == monitor.StatusUp {
			from = monitor.StatusDown
		}
		c, ok := alert.Group(h.cfg, monitor.Transition{MonitorID: m, From: from, To: to, Time: time.Now(), Reason: m + " failed"}, h.dir.PolicyFor)
		if !ok {
			h.t.Fatalf("no alert change for %s", m)
		}
		b.Alerts = append(b.Alerts, store.AlertChange(c))
	}
	if err := h.db.SaveBatch(context.Background(), b); err != nil {
		h.t.Fatalf("SaveBatch: %v", err)
	}
	h.esc.Wake()
	synctest.Wait()
}

// sent lists the queued notifications as "event channel to step", oldest
// first.
func (h *harness) sent() []string {
	h.t.Helper()
	msgs, err := h.db.OutboxMessages(context.Background(), "", store.Page{Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for i := len(msgs) - 1; i >= 0; i-- {
		e := msgs[i].Event
		out = append(out, fmt.Sprintf("%s %s %s %d", e.Event, msgs[i].Channel, e.To, e.EscalationStep))
	}
	return out
}

func (h *harness) messages() []notify.OutboxMessage {
	msgs, err := h.db.OutboxMessages(context.Background(), "", store.Page{Limit: 1000})
	if err != nil {
		h.t.Fatal(err)
	}
	slices.Reverse(msgs)
	return msgs
}

func (h *harness) wantNew(before int, want ...string) int {
	h.t.Helper()
	got := h.sent()[before:]
	if !slices.Equal(got, want) {
		h.t.Errorf("at %s new notifications:\n  %s\nwant:\n  %s", time.Now().UTC().Format("15:04:05"), strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	return before + len(got)
}

// metric sums the values of a counter in the escalator's registry.
func (h *harness) metric(name string) float64 {
	h.t.Helper()
	fams, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() == name {
			for _, m := range f.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func (h *harness) alert() store.Alert {
	h.t.Helper()
	a, err := h.db.ActiveAlert(context.Background(), "shop")
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

func (h *harness) act(a store.AlertAct) {
	h.t.Helper()
	a.At = time.Now()
	if _, err := h.db.Act(context.Background(), h.alert().ID, a); err != nil {
		h.t.Fatalf("%s: %v", a.Kind, err)
	}
	h.esc.Wake()
	synctest.Wait()
}

// TestEscalation walks a policy through virtual time: five monitors fail
// together and page once; a sixth joins as an update, the seventh's update
// waits for group_interval; a delayed contact, the second step, the repeat
// round; acknowledging stops it, unacknowledging resumes it, snoozing
// pauses it; every monitor recovering resolves it.
func TestEscalation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h, stop := start(t, ":memory:", "one", newDirectory())
		defer stop()
		n := 0

		h.change(monitor.StatusDown, "m0", "m1", "m2", "m3", "m4")
		n = h.wantNew(n, "alert.opened mail ana@example.org 1")
		a := h.alert()
		if len(a.Monitors) != 5 || a.Step != 1 {
			t.Errorf("alert has %d monitors at step %d, want 5 at step 1", len(a.Monitors), a.Step)
		}
		first := h.messages()[0].Event
		if len(first.Monitors) != 5 || first.AlertID != a.ID || first.Recipient != "person:ana" || first.Runbook != "https://wiki.example.org/shop" ||
			!strings.HasPrefix(first.AckURL, "https://tocsin.example.org/a/") || first.URL != fmt.Sprintf("https://tocsin.example.org/alerts/%d", a.ID) {
			t.Errorf("first page = %+v", first)
		}

		time.Sleep(time.Minute)
		h.change(monitor.StatusDown, "m5")
		n = h.wantNew(n, "alert.updated mail ana@example.org 1")
		time.Sleep(time.Minute)
		h.change(monitor.StatusDown, "m6")
		n = h.wantNew(n) // rate-limited: the next update waits

		// 5m: ana's webhook rule (still unacknowledged); 6m: the update.
		time.Sleep(3 * time.Minute)
		synctest.Wait()
		n = h.wantNew(n, "alert.opened hook  1")
		time.Sleep(time.Minute)
		synctest.Wait()
		n = h.wantNew(n, "alert.updated mail ana@example.org 1", "alert.updated hook  1")

		// 15m: the second step pages the team.
		time.Sleep(9 * time.Minute)
		synctest.Wait()
		n = h.wantNew(n, "alert.escalated mail bo@example.org 2", "alert.escalated apps-room  2")
		if a := h.alert(); a.Step != 2 || a.Round != 0 {
			t.Errorf("alert at step %d round %d, want 2, 0", a.Step, a.Round)
		}

		// 30m: the repeat round starts over at step 1.
		time.Sleep(15 * time.Minute)
		synctest.Wait()
		n = h.wantNew(n, "alert.escalated mail ana@example.org 1")

		// Acknowledged: everyone paged hears it, and nothing more fires.
		time.Sleep(time.Minute)
		h.act(store.AlertAct{Kind: store.ActAcknowledge, Who: "user:ana"})
		n = h.wantNew(n, "alert.acknowledged mail ana@example.org 1", "alert.acknowledged hook  1", "alert.acknowledged mail bo@example.org 2", "alert.acknowledged apps-room  2")
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		n = h.wantNew(n)

		// Unacknowledged: the step it stopped at pages again at once.
		h.act(store.AlertAct{Kind: store.ActUnacknowledge, Who: "user:ana"})
		n = h.wantNew(n, "alert.escalated mail ana@example.org 1")
		// Snoozed for 10m: quiet until then, then the escalation resumes.
		h.act(store.AlertAct{Kind: store.ActSnooze, Who: "user:ana", Until: time.Now().Add(10 * time.Minute)})
		n = h.wantNew(n)
		time.Sleep(9 * time.Minute)
		synctest.Wait()
		n = h.wantNew(n)
		time.Sleep(time.Minute)
		synctest.Wait()
		n = h.wantNew(n, "alert.escalated mail ana@example.org 1")

		// Every monitor recovers: resolved, told to everyone paged.
		h.change(monitor.StatusUp, "m0", "m1", "m2", "m3", "m4", "m5", "m6")
		h.wantNew(n, "alert.resolved mail ana@example.org 1", "alert.resolved hook  1", "alert.resolved mail bo@example.org 2", "alert.resolved apps-room  2")
		if _, err := h.db.ActiveAlert(context.Background(), "shop"); err == nil {
			t.Error("the alert is still active after every monitor recovered")
		}
		// Notification ids are unique.
		seen := map[string]bool{}
		for _, m := range h.messages() {
			k := m.ID + " " + m.Channel
			if seen[k] {
				t.Errorf("notification %s queued twice", k)
			}
			seen[k] = true
		}
	})
}

// TestNobodyReachable: a step whose recipients cannot be reached logs a
// problem and escalates at once.
func TestNobodyReachable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := newDirectory()
		dir.policy = config.EscalationPolicy{ID: "p", Steps: []config.EscalationStep{
			{Notify: []string{"person:ghost", "team:nobody"}},
			{After: config.Duration(10 * time.Minute), Notify: []string{"person:ana"}},
		}}
		h, stop := start(t, ":memory:", "one", dir)
		defer stop()
		h.change(monitor.StatusDown, "m0")
		h.wantNew(0, "alert.escalated mail ana@example.org 2")
		a, err := h.db.Alert(context.Background(), h.alert().ID)
		if err != nil {
			t.Fatal(err)
		}
		var problems []string
		for _, x := range a.Actions {
			if x.Kind == store.ActionProblem {
				problems = append(problems, x.Detail)
			}
		}
		if !slices.Equal(problems, []string{"Ghost has no usable contact", "team:nobody reaches nobody"}) {
			t.Errorf("problems logged = %q", problems)
		}
		if n := h.metric("tocsin_escalation_unreachable_total"); n != 2 {
			t.Errorf("tocsin_escalation_unreachable_total = %v, want 2", n)
		}
	})
}

// TestRestartBetweenSteps: the process stops (its store closed, as by a
// kill) between two steps; a new process on the same database fires the
// second step once, on time, and never the first again.
func TestRestartBetweenSteps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.db")
	synctest.Test(t, func(t *testing.T) {
		opened := time.Now()
		h, stop := start(t, path, "node-a", newDirectory())
		h.change(monitor.StatusDown, "m0")
		h.wantNew(0, "alert.opened mail ana@example.org 1")
		time.Sleep(10 * time.Minute) // the hook rule fired at 5m
		synctest.Wait()
		before := h.messages()
		stop()

		// Another process (another lease owner) starts 2 minutes later.
		time.Sleep(2 * time.Minute)
		h2, stop2 := start(t, path, "node-b", newDirectory())
		defer stop2()
		synctest.Wait()
		h2.wantNew(len(before))
		time.Sleep(time.Until(opened.Add(15*time.Minute)) - time.Second)
		synctest.Wait()
		h2.wantNew(len(before))
		time.Sleep(time.Second)
		synctest.Wait()
		h2.wantNew(len(before), "alert.escalated mail bo@example.org 2", "alert.escalated apps-room  2")
		for i, m := range h2.messages()[:len(before)] {
			if m.ID != before[i].ID {
				t.Errorf("notification %d changed id across the restart: %s, was %s", i, m.ID, before[i].ID)
			}
		}
		for _, m := range h2.messages()[len(before):] {
			if !m.CreatedAt.Equal(opened.Add(15 * time.Minute).UTC().Truncate(time.Millisecond)) {
				t.Errorf("step 2 queued at %s, want %s", m.CreatedAt, opened.Add(15*time.Minute))
			}
		}
	})
}

// TestLeaseOfADeadRun: a timer claimed by a run that died is fired once
// by the next run under the same name, at once, not when the lease ends.
func TestLeaseOfADeadRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.db")
	synctest.Test(t, func(t *testing.T) {
		db := open(t, path)
		cfg := testConfig()
		dir := newDirectory()
		c, _ := alert.Group(cfg, monitor.Transition{MonitorID: "m0", From: monitor.StatusUp, To: monitor.StatusDown, Time: time.Now()}, dir.PolicyFor)
		if err := db.SaveBatch(context.Background(), store.Batch{Alerts: []store.AlertChange{store.AlertChange(c)}}); err != nil {
			t.Fatal(err)
		}
		// The dead run claimed the first step and wrote nothing.
		if ts, err := db.ClaimTimers(context.Background(), "node-a", time.Now(), time.Hour, 10); err != nil || len(ts) != 1 {
			t.Fatalf("ClaimTimers = %v, %v", ts, err)
		}
		db.Close()
		h, stop := start(t, path, "node-a", dir)
		defer stop()
		synctest.Wait()
		h.wantNew(0, "alert.opened mail ana@example.org 1")
	})
}
