package app

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/replica"
	"github.com/tocsin/tocsin/internal/scheduler"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestServeRefusesASecondProcessOnSQLite: a second `tocsin serve` on the
// file another process serves is refused, and told who serves it and how
// to run several.
func TestServeRefusesASecondProcessOnSQLite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, fmt.Sprintf("server:\n  listen: 127.0.0.1:0\n  replica_id: first\nstorage:\n  driver: sqlite\n  dsn: %s\n", filepath.Join(dir, "tocsin.db")))
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	lock, err := lockSQLite(cfg)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "", "serve", "--config", path)
	if code != 1 || !strings.Contains(stderr, `replica "first"`) || !strings.Contains(stderr, "storage.driver: postgres") {
		t.Fatalf("second serve: exit %d, stderr:\n%s", code, stderr)
	}
	t.Logf("refused: %s", strings.TrimSpace(stderr))
	lock.Release()

	mem, err := lockSQLite(&config.Config{Storage: config.Storage{Driver: "sqlite", DSN: ":memory:"}})
	if err != nil || mem != nil {
		t.Fatalf("an in-memory database takes no lock: %v, %v", mem, err)
	}
}

// TestTwoReplicasShareMonitors runs two servers on one PostgreSQL
// database: the monitors are split between them, each run by one, and
// when one stops the other runs them all; `tocsin replicas` and the
// Replicas page show them.
func TestTwoReplicasShareMonitors(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	target := testkit.NewTarget(t)
	const monitors = 200
	var b strings.Builder
	for i := range monitors {
		fmt.Fprintf(&b, "  - {id: m%03d, type: http, interval: 1s, timeout: 500ms, http: {url: %q}}\n", i, target.URL)
	}
	paths := map[string]string{}
	for _, id := range []string{"a", "b"} {
		paths[id] = filepath.Join(t.TempDir(), "tocsin.yaml")
		writeConfig(t, paths[id], fmt.Sprintf("server:\n  listen: 127.0.0.1:0\n  replica_id: %s\n  lease_ttl: 3s\nstorage:\n  driver: postgres\n  dsn: %q\nmonitors:\n%s", id, dsn, b.String()))
	}
	ra := start(t, paths["a"])
	rb := start(t, paths["b"])
	split := func() (na, nb, both int) {
		for i := range monitors {
			id := fmt.Sprintf("m%03d", i)
			oa, ob := ra.app.replicas.Owns(id), rb.app.replicas.Owns(id)
			switch {
			case oa && ob:
				both++
			case oa:
				na++
			case ob:
				nb++
			}
		}
		return
	}
	waitUntil(t, "the monitors split between a and b", func() bool {
		na, nb, both := split()
		if both > 0 {
			t.Fatalf("%d monitors run by both replicas", both)
		}
		return na+nb == monitors && na > 0 && nb > 0 && ra.app.replicas.Status().Read.After(time.Time{})
	})
	na, nb, _ := split()
	t.Logf("200 monitors split %d/%d (buckets %d/%d)", na, nb, len(ra.app.replicas.Buckets()), len(rb.app.replicas.Buckets()))
	if len(ra.app.replicas.Buckets())+len(rb.app.replicas.Buckets()) != replica.DefaultBuckets {
		t.Fatalf("buckets held: %d + %d", len(ra.app.replicas.Buckets()), len(rb.app.replicas.Buckets()))
	}

	// Each replica's pages show the monitors the other runs as they are:
	// a failure b sees shows on a.
	target.SetFailing(true)
	for i := range monitors {
		id := fmt.Sprintf("m%03d", i)
		if !ra.app.replicas.Owns(id) {
			waitUntil(t, "a shows "+id+", run by b, down", stateIs(ra.app, id, monitor.StatusDown))
			break
		}
	}
	target.SetFailing(false)

	code, out, stderr := runCLI(t, "", "replicas", "--config", paths["a"], "--json")
	var list []replicaJSON
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 || !list[0].Live || !list[1].Live || list[0].ID != "a" {
		t.Fatalf("tocsin replicas --json: exit %d, %s%s", code, out, stderr)
	}
	code, out, _ = runCLI(t, "", "replicas", "--config", paths["a"])
	if code != 0 || !strings.Contains(out, "REPLICA") || !strings.Contains(squash(out), "b live") {
		t.Fatalf("tocsin replicas: exit %d:\n%s", code, out)
	}
	_, cookie := signIn(t, ra.app.Store())
	page := signedIn(t, ra.url, "/replicas", true, "", cookie)
	for _, want := range []string{`data-replica="a"`, `data-replica="b"`, "(this one)", "of 1024"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the Replicas page lacks %q:\n%s", want, page)
		}
	}

	// b stops cleanly: a runs everything within a round or two.
	rb.stop()
	waitUntil(t, "a runs every monitor after b stopped", func() bool {
		na, _, _ := split()
		return na == monitors
	})
}

// TestAdoptionReadsStatesStoredMeanwhile: buckets taken over bring the
// states their previous owner stored after this replica started, read
// since the mark start-up took, not every state again.
func TestAdoptionReadsStatesStoredMeanwhile(t *testing.T) {
	dir := t.TempDir()
	cfg := largeConfig(t, dir, 200)
	cfg.Storage = config.Storage{Driver: "postgres", DSN: storetest.PostgresDSN(t)}
	cfg.Server.ReplicaID = "a"
	a := newLargeApp(t, cfg)
	ctx := t.Context()
	if err := a.joinReplicas(ctx); err != nil {
		t.Fatal(err)
	}
	// a loses every bucket but 0 (as if b had taken them), and b stores
	// the state of their monitors, as their owner.
	rest := make([]int, 0, replica.DefaultBuckets-1)
	for b := 1; b < replica.DefaultBuckets; b++ {
		rest = append(rest, b)
	}
	if err := a.store.ReleaseBuckets(ctx, "a", rest, time.Now()); err != nil {
		t.Fatal(err)
	}
	down := monitor.State{Status: monitor.StatusDown, Since: time.Now().UTC().Truncate(time.Millisecond), ConsecutiveFailures: 7}
	batch := store.Batch{States: map[string]monitor.State{}, Replica: "b"}
	var theirs string
	for _, m := range cfg.Monitors {
		if replica.BucketOf(m.ID, replica.DefaultBuckets) != 0 {
			batch.States[m.ID], theirs = down, m.ID
		}
	}
	if err := a.store.SaveBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// a's next round sees them gone, takes them back as the only live
	// replica, and adopts what b stored before running them.
	if _, err := a.replicas.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if !a.replicas.Owns(theirs) {
		t.Fatalf("a does not run %s again", theirs)
	}
	if v, _ := a.eng.View(theirs); v.State.ConsecutiveFailures != 7 || v.State.Status != monitor.StatusDown {
		t.Fatalf("%s after adoption: %+v, want the state b stored", theirs, v.State)
	}
}

// statesRead records the monitors whose states MonitorStatesSince returned.
type statesRead struct {
	store.Store
	read map[string]bool
}

func (s *statesRead) MonitorStatesSince(ctx context.Context, since int64, except string) (map[string]monitor.State, int64, error) {
	out, mark, err := s.Store.MonitorStatesSince(ctx, since, except)
	for id := range out {
		s.read[id] = true
	}
	return out, mark, err
}

// TestRefreshReadsOnlyOthersStates: a replica's refresh reads the states
// the other replica saved since the last one, and none of those it saved
// itself, which it holds already; it shows the others' as they were saved.
func TestRefreshReadsOnlyOthersStates(t *testing.T) {
	dir := t.TempDir()
	cfg := largeConfig(t, dir, 200)
	cfg.Storage = config.Storage{Driver: "postgres", DSN: storetest.PostgresDSN(t)}
	cfg.Server.ReplicaID = "a"
	a := newLargeApp(t, cfg)
	ctx := t.Context()
	now := time.Now()
	// b is live and holds the first half of the buckets; a takes the rest.
	if _, err := a.store.Heartbeat(ctx, store.Replica{ID: "b", Instance: "b", Started: now, Seen: now.Add(time.Hour)}, now); err != nil {
		t.Fatal(err)
	}
	half := make([]int, replica.DefaultBuckets/2)
	for i := range half {
		half[i] = i
	}
	if _, err := a.store.ClaimBuckets(ctx, "b", half, now, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := a.joinReplicas(ctx); err != nil {
		t.Fatal(err)
	}
	spy := &statesRead{Store: a.store, read: map[string]bool{}}
	a.store = spy

	// Each saves the state of the monitors it runs: a through the store
	// its engine writes with, b as another replica.
	at := now.UTC().Truncate(time.Millisecond)
	ours := store.Batch{States: map[string]monitor.State{}}
	theirs := store.Batch{States: map[string]monitor.State{}, Replica: "b"}
	for _, m := range cfg.Monitors {
		if a.replicas.Owns(m.ID) {
			ours.States[m.ID] = monitor.State{Status: monitor.StatusUp, Since: at, ConsecutiveSuccesses: 3}
		} else {
			theirs.States[m.ID] = monitor.State{Status: monitor.StatusDown, Since: at, ConsecutiveFailures: 5}
		}
	}
	if len(ours.States) == 0 || len(theirs.States) == 0 {
		t.Fatalf("a runs %d monitors and b %d, want both some", len(ours.States), len(theirs.States))
	}
	if err := replicaStore(cfg, spy.Store).SaveBatch(ctx, ours); err != nil {
		t.Fatal(err)
	}
	if err := spy.Store.SaveBatch(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	if err := a.refreshOthersOnce(ctx); err != nil {
		t.Fatal(err)
	}
	for id := range ours.States {
		if spy.read[id] {
			t.Fatalf("the refresh read the state of %s, which a saved itself", id)
		}
	}
	for id := range theirs.States {
		if !spy.read[id] {
			t.Fatalf("the refresh did not read the state b saved of %s", id)
		}
		if v, _ := a.eng.View(id); v.State.Status != monitor.StatusDown || v.State.ConsecutiveFailures != 5 {
			t.Fatalf("%s after the refresh: %+v, want the state b saved", id, v.State)
		}
	}
}

// routedTakes counts the takes of routed results.
type routedTakes struct {
	store.Store
	takes int
}

func (s *routedTakes) TakeRouted(ctx context.Context, kind string, buckets []int, limit int, take func([]store.Routed) (map[string]json.RawMessage, error)) (int, error) {
	s.takes++
	return s.Store.TakeRouted(ctx, kind, buckets, limit, take)
}

// TestRoutedPollTakesOnlyWhenWorkWaits: a poll for routed work that finds
// none makes no take (a transaction each); one that finds some takes it.
func TestRoutedPollTakesOnlyWhenWorkWaits(t *testing.T) {
	cfg := largeConfig(t, t.TempDir(), 10)
	cfg.Storage = config.Storage{Driver: "postgres", DSN: storetest.PostgresDSN(t)}
	cfg.Server.ReplicaID = "a"
	a := newLargeApp(t, cfg)
	ctx := t.Context()
	if err := a.joinReplicas(ctx); err != nil {
		t.Fatal(err)
	}
	// The engine writes the result taken before the take ends.
	done := make(chan struct{})
	go func() { defer close(done); a.eng.Run(ctx) }()
	t.Cleanup(func() { a.eng.Close(); <-done })
	spy := &routedTakes{Store: a.store}
	a.store = spy
	if err := a.takeRoutedOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if spy.takes != 0 {
		t.Fatalf("a poll with nothing routed made %d takes", spy.takes)
	}
	id := cfg.Monitors[0].ID
	js, _ := json.Marshal(map[string]any{"monitor_id": id, "time": time.Now().UTC(), "status": 0})
	if err := spy.Store.Route(ctx, []store.Routed{{Bucket: a.replicas.Bucket(id), Kind: store.RoutedResult, Subject: id, Payload: js}}); err != nil {
		t.Fatal(err)
	}
	if err := a.takeRoutedOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if spy.takes == 0 {
		t.Fatal("a poll with a result routed to a made no take")
	}
	if waiting, err := spy.Store.RoutedWaiting(ctx, a.replicas.Buckets()); err != nil || waiting {
		t.Fatalf("the routed result is still waiting after the poll: %v, %v", waiting, err)
	}
}

func TestTakeoverRunsOverdueMonitorsNow(t *testing.T) {
	dir := t.TempDir()
	cfg := largeConfig(t, dir, 200)
	cfg.Storage = config.Storage{Driver: "postgres", DSN: storetest.PostgresDSN(t)}
	cfg.Server.ReplicaID = "a"
	a := newLargeApp(t, cfg)
	ctx := t.Context()
	if err := a.joinReplicas(ctx); err != nil {
		t.Fatal(err)
	}
	// The scheduler is not running: a monitor keeps the first instant of
	// its grid from here on, even once that instant has passed.
	scheduled := time.Now()
	a.sched.Update(a.jobs(cfg, a.fps))
	// a loses every bucket but 0 (as if b had taken them), and b stores
	// the monitors' results: half 61 s ago (b died before their next run
	// at 60 s), half just now.
	rest := make([]int, 0, replica.DefaultBuckets-1)
	for b := 1; b < replica.DefaultBuckets; b++ {
		rest = append(rest, b)
	}
	if err := a.store.ReleaseBuckets(ctx, "a", rest, time.Now()); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	batch := store.Batch{States: map[string]monitor.State{}}
	overdue := map[string]bool{}
	for i, m := range cfg.Monitors {
		if replica.BucketOf(m.ID, replica.DefaultBuckets) == 0 {
			continue
		}
		last := now
		if i%2 == 0 {
			last = now.Add(-61 * time.Second)
			overdue[m.ID] = true
		}
		batch.States[m.ID] = monitor.State{Status: monitor.StatusUp, Since: last, LastResultAt: last, LastStatus: probe.OK}
	}
	if err := a.store.SaveBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if _, err := a.replicas.Round(ctx); err != nil {
		t.Fatal(err)
	}
	soon := 0
	for id := range batch.States {
		if !a.replicas.Owns(id) {
			t.Fatalf("a does not run %s again", id)
		}
		next, ok := a.sched.Next(id)
		if !ok {
			t.Fatalf("%s not scheduled", id)
		}
		grid := scheduled.Add(time.Duration(scheduler.Phase(id, time.Minute) - time.Duration(scheduled.UnixNano()%int64(time.Minute))))
		if grid.Before(scheduled) {
			grid = grid.Add(time.Minute)
		}
		switch {
		case overdue[id] && next.Sub(before) > takeoverSpread:
			t.Errorf("overdue %s runs %s after the takeover, want within %s", id, next.Sub(before), takeoverSpread)
		case !overdue[id] && next.Sub(grid).Abs() > time.Second:
			t.Errorf("%s, stored just now, runs %s after the takeover, want at its slot %s later", id, next.Sub(before), grid.Sub(before))
		case overdue[id]:
			soon++
		}
	}
	if soon == 0 {
		t.Fatal("no overdue monitor was taken over")
	}
	t.Logf("%d overdue monitors run within %s of the takeover", soon, takeoverSpread)
}
