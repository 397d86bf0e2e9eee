package replica

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit"
	"github.com/tocsin/tocsin/internal/testkit/proc"
)

// The tests in this file run `tocsin serve` replicas as processes on a
// PostgreSQL database of their own, kill them with SIGKILL or cut them off
// from the database through a proxy, and count every webhook delivery.
// They wait on conditions with generous timeouts and assert no speed;
// the times they log are the figures of docs/high-availability.md.

// leaseTTL is the replicas' server.lease_ttl: the shortest allowed, so the
// tests see several lease times go by in seconds.
const leaseTTL = 3 * time.Second

// wait is how long any one condition may take: many lease times, on a
// loaded machine.
const wait = 60 * time.Second

// procCluster is a set of replicas of one configuration on one database.
type procCluster struct {
	t   *testing.T
	dir string
	// dsn is the database; st a store open on it, for the test to read.
	dsn string
	st  store.Store
	// config returns the configuration of one replica, given its id and
	// the DSN it uses.
	config func(id, dsn string) string
	procs  map[string]*proc.Process
	dsns   map[string]string
}

func newProcCluster(t *testing.T, config func(id, dsn string) string) *procCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts tocsin processes")
	}
	dsn := proc.Database(t, storetest.PostgresServer(t))
	proc.Binary(t)
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: sqlstore.DriverPostgres, DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &procCluster{t: t, dir: t.TempDir(), dsn: dsn, st: st, config: config, procs: map[string]*proc.Process{}, dsns: map[string]string{}}
}

// start starts (or restarts) replica id on dsn ("" for the database
// itself) and waits until it serves HTTP.
func (c *procCluster) start(id, dsn string) *proc.Process {
	c.t.Helper()
	if dsn == "" {
		dsn = c.dsn
	}
	c.dsns[id] = dsn
	path := proc.WriteConfig(c.t, c.dir, id+".yaml", c.config(id, dsn))
	p := proc.Serve(c.t, path, id)
	p.URL(c.t)
	c.procs[id] = p
	return p
}

// ids returns the replicas' ids, in order.
func (c *procCluster) ids() []string {
	var out []string
	for id := range c.procs {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// owned returns how many buckets each replica holds a lease on that has
// not ended.
func (c *procCluster) owned() map[string]int {
	c.t.Helper()
	ls, err := c.st.BucketLeases(context.Background(), DefaultBuckets)
	if err != nil {
		c.t.Fatal(err)
	}
	now := time.Now()
	out := map[string]int{}
	for _, l := range ls {
		if l.Owner != "" && l.Until.After(now) {
			out[l.Owner]++
		}
	}
	return out
}

// waitShared waits until the replicas in ids, and only they, hold every
// bucket, evenly (each within 10% of its fair share), and each runs the
// monitors of all it holds; it returns how long that took.
func (c *procCluster) waitShared(what string, ids ...string) time.Duration {
	c.t.Helper()
	fair := DefaultBuckets / len(ids)
	return proc.WaitFor(c.t, wait, 100*time.Millisecond, what, func() bool {
		o := c.owned()
		total := 0
		for _, id := range ids {
			if o[id] < fair*9/10 {
				return false
			}
			total += o[id]
		}
		if total != DefaultBuckets {
			return false
		}
		for _, id := range ids {
			if running, _ := c.procs[id].Metric(c.t, "tocsin_replica_owned_buckets"); int(running) != o[id] {
				return false
			}
		}
		return true
	})
}

// waitStates waits until each of the monitors has status st stored.
func (c *procCluster) waitStates(ids []string, st monitor.Status) {
	c.t.Helper()
	proc.WaitFor(c.t, wait, 200*time.Millisecond, fmt.Sprintf("every monitor stored %s", st), func() bool {
		states, err := c.st.MonitorStates(context.Background())
		if err != nil {
			c.t.Fatal(err)
		}
		for _, id := range ids {
			if states[id].Status != st {
				return false
			}
		}
		return true
	})
}

// waitOutboxDone waits until no notification of the events in the outbox
// waits for a delivery, so no more of them can arrive, and returns those
// notifications.
func (c *procCluster) waitOutboxDone(events ...string) []notify.OutboxMessage {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		msgs, err := c.st.OutboxMessages(context.Background(), "", store.Page{Limit: 10_000})
		if err != nil {
			c.t.Fatal(err)
		}
		var pending []string
		var of []notify.OutboxMessage
		for _, m := range msgs {
			if !slices.Contains(events, m.Event.Event) {
				continue
			}
			of = append(of, m)
			if m.State == notify.StatePending {
				pending = append(pending, fmt.Sprintf("%s %s of %q to %s (%d attempts, next %s, %s)", m.ID, m.Event.Event, m.Event.MonitorID, m.Channel, m.Attempts, m.NextAttempt.Format(time.RFC3339), m.LastError))
			}
		}
		if len(pending) == 0 {
			return of
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%d notifications still pending after %s:\n%s", len(pending), wait, strings.Join(pending[:min(len(pending), 20)], "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// killTakeover kills replica id with SIGKILL and returns how long until
// the others held every bucket it had.
func (c *procCluster) killTakeover(id string) time.Duration {
	c.t.Helper()
	c.procs[id].Kill()
	killed := time.Now()
	var rest []string
	for _, other := range c.ids() {
		if other != id && !c.procs[other].Exited() {
			rest = append(rest, other)
		}
	}
	c.waitShared("the others take over the buckets of "+id, rest...)
	return time.Since(killed)
}

// monitorIDs names n monitors.
func monitorIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("m%03d", i)
	}
	return out
}

// byID counts webhook deliveries: for each monitor and event, the
// distinct notification ids and the deliveries of each.
type byID map[string]map[string]map[string]int

func countDeliveries(t *testing.T, ds []testkit.Delivery) byID {
	t.Helper()
	out := byID{}
	for _, d := range ds {
		id, _ := d.Event["id"].(string)
		if key := d.Header.Get("Idempotency-Key"); key != id {
			t.Errorf("delivery of %v: Idempotency-Key %q, payload id %q", d.Event["event"], key, id)
		}
		mon, _ := d.Event["monitor_id"].(string)
		ev, _ := d.Event["event"].(string)
		if out[mon] == nil {
			out[mon] = map[string]map[string]int{}
		}
		if out[mon][ev] == nil {
			out[mon][ev] = map[string]int{}
		}
		out[mon][ev][id]++
	}
	return out
}

// missing returns the monitors of ids without a delivery of event.
func (b byID) missing(ids []string, event string) []string {
	var out []string
	for _, id := range ids {
		if len(b[id][event]) == 0 {
			out = append(out, id)
		}
	}
	return out
}

// waitDelivered waits until every monitor in ids has a delivery of event
// at hook; on timeout it names those without.
func waitDelivered(t *testing.T, hook *testkit.Webhook, ids []string, event string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		missing := countDeliveries(t, hook.Deliveries()).missing(ids, event)
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d monitors without a delivery of %s after %s: %v", len(missing), event, wait, missing[:min(len(missing), 20)])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// check fails the test for each monitor of ids whose event came with
// other than exactly one id, and returns the deliveries beyond the first
// of each id (repeats a receiver drops by id).
func (b byID) check(t *testing.T, ids []string, event string) (repeats int) {
	t.Helper()
	for _, id := range ids {
		got := b[id][event]
		if len(got) != 1 {
			t.Errorf("monitor %s: %s delivered with %d different ids %v, want one", id, event, len(got), got)
		}
		for _, n := range got {
			repeats += n - 1
		}
	}
	return repeats
}

// monitorsYAML is the monitors section: each id an HTTP monitor of the
// target, checked every second.
func monitorsYAML(target string, ids []string) string {
	var b strings.Builder
	b.WriteString("monitors:\n")
	for _, id := range ids {
		fmt.Fprintf(&b, "  - {id: %s, service: web, type: http, interval: 1s, timeout: 1s, http: {url: %q}}\n", id, target+"/"+id)
	}
	return b.String()
}

// hookYAML is the configuration of monitors of target whose service
// notifies the webhook at hook.
func hookYAML(hook, target string, mons []string) string {
	return fmt.Sprintf(`channels:
  - {id: hook, type: webhook, webhook: {url: %s}}
services:
  - {id: web, channels: [hook]}
`, hook) + monitorsYAML(target, mons)
}

// serverYAML is the server and storage sections of replica id on dsn.
func serverYAML(id, dsn string) string {
	return fmt.Sprintf(`server:
  listen: 127.0.0.1:0
  replica_id: %s
  lease_ttl: %s
storage:
  driver: postgres
  dsn: %q
`, id, leaseTTL, dsn)
}

// randomPoint waits a random time up to max: where in a storm a replica
// dies.
func randomPoint(t *testing.T, rng *rand.Rand, max time.Duration) {
	d := time.Duration(rng.Int64N(int64(max)))
	t.Logf("waiting %s before the kill", d.Round(time.Millisecond))
	time.Sleep(d)
}

// TestKillDuringAlertStorm runs three replicas sharing 200 monitors,
// takes every monitor down and then up again, and kills a random replica
// with SIGKILL at a random point of each half (restarting it between).
// Every monitor's down and up reach the webhook, each with one id; the
// same id delivered twice (a send the killed replica made but could not
// record) is allowed and counted.
func TestKillDuringAlertStorm(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	mons := monitorIDs(200)
	c := newProcCluster(t, func(id, dsn string) string { return serverYAML(id, dsn) + hookYAML(hook.URL, target.URL, mons) })
	for _, id := range []string{"r1", "r2", "r3"} {
		c.start(id, "")
	}
	c.waitShared("three replicas share the buckets", c.ids()...)
	c.waitStates(mons, monitor.StatusUp)
	t.Logf("buckets held: %v", c.owned())

	deliveries := func() byID { return countDeliveries(t, hook.Deliveries()) }
	storm := func(failing bool, event string) (string, time.Duration) {
		target.SetFailing(failing)
		randomPoint(t, rng, 2*time.Second)
		ids := c.ids()
		victim := ids[rng.IntN(len(ids))]
		took := c.killTakeover(victim)
		t.Logf("killed %s; the others held all its buckets %s later", victim, took.Round(10*time.Millisecond))
		waitDelivered(t, hook, mons, event)
		return victim, took
	}

	victim, took1 := storm(true, notify.EventMonitorDown)
	c.waitStates(mons, monitor.StatusDown)
	c.start(victim, "")
	c.waitShared(victim+" rejoins", c.ids()...)
	_, took2 := storm(false, notify.EventMonitorUp)
	c.waitStates(mons, monitor.StatusUp)

	msgs := c.waitOutboxDone(notify.EventMonitorDown, notify.EventMonitorUp)
	got := deliveries()
	repeats := got.check(t, mons, notify.EventMonitorDown) + got.check(t, mons, notify.EventMonitorUp)
	if len(msgs) != 2*len(mons) {
		t.Errorf("%d notifications in the outbox, want %d (a down and an up of each monitor)", len(msgs), 2*len(mons))
	}
	t.Logf("figures: takeover after a kill %s and %s (lease_ttl %s); %d notifications of monitors, each with one id, %d repeats of an id",
		took1.Round(10*time.Millisecond), took2.Round(10*time.Millisecond), leaseTTL, len(msgs), repeats)
}

// TestKillDuringEscalation has two replicas page through a policy of
// three steps and kills one with SIGKILL at a random point between the
// first page and the last step. Each step notifies each of its
// recipients with one id.
func TestKillDuringEscalation(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	target := testkit.NewTarget(t)
	hooks := map[string]*testkit.Webhook{}
	names := []string{"a-phone", "b1-phone", "b2-phone", "b-room", "c-phone"}
	for _, id := range names {
		hooks[id] = testkit.NewWebhook(t)
	}
	const step2, step3 = 4 * time.Second, 8 * time.Second
	c := newProcCluster(t, func(id, dsn string) string {
		var channels, people strings.Builder
		for _, name := range names {
			fmt.Fprintf(&channels, "  - {id: %s, type: webhook, webhook: {url: %s}}\n", name, hooks[name].URL)
			if person, ok := strings.CutSuffix(name, "-phone"); ok {
				fmt.Fprintf(&people, "  - {id: %s, contacts: [{channel: %s}]}\n", person, name)
			}
		}
		return serverYAML(id, dsn) + "channels:\n" + channels.String() + "people:\n" + people.String() + fmt.Sprintf(`teams:
  - {id: b, name: Application support, members: [b1, b2], channels: [b-room]}
escalation_policies:
  - id: support
    steps:
      - {after: 0s, notify: ["person:a"]}
      - {after: %s, notify: ["team:b"]}
      - {after: %s, notify: ["person:c"]}
services:
  - {id: web, name: Shop, owners: [b], escalation_policy: support}
`, step2, step3) +
			monitorsYAML(target.URL, []string{"shop"})
	})
	c.start("r1", "")
	c.start("r2", "")
	c.waitShared("two replicas share the buckets", "r1", "r2")
	c.waitStates([]string{"shop"}, monitor.StatusUp)

	target.SetFailing(true)
	hooks["a-phone"].WaitFor(t, wait, isEvent(notify.EventAlertOpened))
	randomPoint(t, rng, step3+time.Second)
	victim := []string{"r1", "r2"}[rng.IntN(2)]
	took := c.killTakeover(victim)
	t.Logf("killed %s; r%s held all its buckets %s later", victim, map[string]string{"r1": "2", "r2": "1"}[victim], took.Round(10*time.Millisecond))

	for _, id := range names[1:] {
		hooks[id].WaitFor(t, wait, isEvent(notify.EventAlertEscalated))
	}
	msgs := c.waitOutboxDone(notify.EventAlertOpened, notify.EventAlertEscalated)
	pages := len(msgs)
	if pages != len(names) {
		t.Errorf("%d pages in the outbox, want %d: one per recipient of each step", pages, len(names))
	}
	repeats := 0
	for _, id := range names {
		ids := map[string]int{}
		for _, d := range hooks[id].Deliveries() {
			if e := d.Event["event"]; e == notify.EventAlertOpened || e == notify.EventAlertEscalated {
				ids[d.Event["id"].(string)]++
			}
		}
		if len(ids) != 1 {
			t.Errorf("%s was paged with %d ids %v, want one", id, len(ids), ids)
		}
		for _, n := range ids {
			repeats += n - 1
		}
	}
	t.Logf("figures: takeover %s; %d pages, %d repeats of an id", took.Round(10*time.Millisecond), pages, repeats)
}

func isEvent(name string) func(testkit.Delivery) bool {
	return func(d testkit.Delivery) bool { return d.Event["event"] == name }
}

// TestNetworkCutFencing cuts one of two replicas off from PostgreSQL (its
// connections dropped, new ones refused) just as every monitor fails. The
// cut replica evaluates the failures of its monitors but cannot store
// them; it stops running its monitors before its leases end (fencing),
// the other takes them over once they have ended and pages each down
// once; when the cut heals, the cut replica drops what it could not write
// instead of paging a second time under other ids, and gets a share back.
func TestNetworkCutFencing(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	mons := monitorIDs(100)
	c := newProcCluster(t, func(id, dsn string) string { return serverYAML(id, dsn) + hookYAML(hook.URL, target.URL, mons) })
	proxy := proc.NewProxy(t, proc.HostOf(t, c.dsn))
	c.start("r1", "")
	cut := c.start("r2", proc.WithHost(t, c.dsn, proxy.Addr()))
	c.waitShared("two replicas share the buckets", "r1", "r2")
	c.waitStates(mons, monitor.StatusUp)
	held := c.owned()["r2"]

	proxy.Cut()
	cutAt := time.Now()
	target.SetFailing(true)
	took := c.waitShared("r1 takes over every bucket of r2", "r1")
	t.Logf("r2 (%d buckets) cut off; r1 held all its buckets %s later", held, took.Round(10*time.Millisecond))
	proc.WaitFor(t, wait, 200*time.Millisecond, "r2 says it is fenced", func() bool {
		v, ok := cut.Metric(t, "tocsin_replica_fenced")
		return ok && v == 1
	})
	waitDelivered(t, hook, mons, notify.EventMonitorDown)
	cut.WaitLog(t, wait, "that a batch could not be written", func(l proc.LogLine) bool { return l.Msg() == "saving results" })
	if code, body := cut.Get(t, "/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "not ready") {
		t.Errorf("/readyz of the cut replica: %d %q, want 503 with the reason", code, body)
	}

	if err := proxy.Heal(); err != nil {
		t.Fatal(err)
	}
	healed := time.Since(cutAt)
	back := c.waitShared("r2 rejoins", "r1", "r2")
	t.Logf("cut healed after %s; r2 held buckets again %s later", healed.Round(10*time.Millisecond), back.Round(10*time.Millisecond))
	proc.WaitFor(t, wait, 200*time.Millisecond, "r2 no longer fenced", func() bool {
		v, ok := cut.Metric(t, "tocsin_replica_fenced")
		return ok && v == 0
	})
	c.waitStates(mons, monitor.StatusDown)
	msgs := c.waitOutboxDone(notify.EventMonitorDown, notify.EventMonitorUp)
	got := countDeliveries(t, hook.Deliveries())
	repeats := got.check(t, mons, notify.EventMonitorDown)
	if len(msgs) != len(mons) {
		t.Errorf("%d notifications in the outbox, want %d: one down of each monitor", len(msgs), len(mons))
	}
	dropped := 0
	for _, l := range cut.Logs() {
		if strings.HasPrefix(l.Msg(), "rows of monitors another replica took over") {
			fmt.Sscan(l.Str("rows"), &dropped)
		}
	}
	t.Logf("figures: takeover after the cut %s (lease_ttl %s); %d downs, %d repeats of an id; r2 dropped %d unwritten rows of monitors r1 took over",
		took.Round(10*time.Millisecond), leaseTTL, len(msgs), repeats, dropped)
}

// TestPostgresFailoverGap cuts both of two replicas off from PostgreSQL
// for longer than a lease, as when the primary is lost and a standby is
// promoted at the same address, while every monitor fails. /readyz
// answers 503 with the reason during the gap; the results taken before
// the leases ran out wait in memory, beyond storage.result_buffer the
// oldest dropped, logged and counted; when the database is back both
// replicas reconnect, are ready again, write what they kept, and every
// monitor's down is delivered with one id.
func TestPostgresFailoverGap(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	mons := monitorIDs(150)
	const buffer = 100
	c := newProcCluster(t, func(id, dsn string) string {
		return serverYAML(id, dsn) + fmt.Sprintf("  result_buffer: %d\n", buffer) + hookYAML(hook.URL, target.URL, mons)
	})
	db := proc.NewProxy(t, proc.HostOf(t, c.dsn))
	for _, id := range []string{"r1", "r2"} {
		c.start(id, proc.WithHost(t, c.dsn, db.Addr()))
	}
	c.waitShared("two replicas share the buckets", "r1", "r2")
	c.waitStates(mons, monitor.StatusUp)

	db.Cut()
	cutAt := time.Now()
	target.SetFailing(true)
	for _, id := range c.ids() {
		p := c.procs[id]
		proc.WaitFor(t, wait, 200*time.Millisecond, id+" /readyz answers 503 with the reason", func() bool {
			code, body := p.Get(t, "/readyz")
			return code == http.StatusServiceUnavailable && strings.Contains(body, "not ready: ")
		})
		p.WaitLog(t, wait, "that results could not be saved", func(l proc.LogLine) bool { return l.Msg() == "saving results" })
		proc.WaitFor(t, wait, 200*time.Millisecond, id+" fenced", func() bool {
			v, _ := p.Metric(t, "tocsin_replica_fenced")
			return v == 1
		})
	}
	_, body := c.procs["r1"].Get(t, "/readyz")
	t.Logf("/readyz during the gap: %q", body)
	// The gap outlasts the leases by a lease time.
	time.Sleep(time.Until(cutAt.Add(2 * leaseTTL)))
	if err := db.Heal(); err != nil {
		t.Fatal(err)
	}
	healAt := time.Now()
	t.Logf("the database was away %s", healAt.Sub(cutAt).Round(10*time.Millisecond))

	for _, id := range c.ids() {
		p := c.procs[id]
		ready := proc.WaitFor(t, wait, 100*time.Millisecond, id+" ready again", func() bool {
			code, _ := p.Get(t, "/readyz")
			return code == http.StatusOK
		})
		t.Logf("%s ready again %s after the database came back", id, ready.Round(10*time.Millisecond))
	}
	back := c.waitShared("both replicas hold buckets again", "r1", "r2")
	t.Logf("both replicas ran their share again %s after the database came back", back.Round(10*time.Millisecond))

	dropped, overflowed := 0.0, 0
	for _, id := range c.ids() {
		v, _ := c.procs[id].Metric(t, "tocsin_result_buffer_dropped_total")
		dropped += v
		for _, l := range c.procs[id].Logs() {
			if strings.HasPrefix(l.Msg(), "results waiting for the database overflowed the buffer") {
				overflowed++
			}
		}
	}
	if dropped == 0 || overflowed == 0 {
		t.Errorf("no overflow of the result buffer of %d said: %v results counted dropped, %d log lines", buffer, dropped, overflowed)
	}
	inGap := 0
	for _, id := range mons {
		rs, err := c.st.Results(context.Background(), id, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Time.After(cutAt) && r.Time.Before(healAt) {
				inGap++
			}
		}
	}
	if inGap == 0 {
		t.Error("no result taken during the gap was written")
	}

	c.waitStates(mons, monitor.StatusDown)
	waitDelivered(t, hook, mons, notify.EventMonitorDown)
	msgs := c.waitOutboxDone(notify.EventMonitorDown, notify.EventMonitorUp)
	repeats := countDeliveries(t, hook.Deliveries()).check(t, mons, notify.EventMonitorDown)
	if len(msgs) != len(mons) {
		t.Errorf("%d notifications in the outbox, want %d: one down of each monitor", len(msgs), len(mons))
	}
	t.Logf("figures: %d results taken during the gap written, %v dropped from full buffers (%d log lines), %d repeats of an id", inGap, dropped, overflowed, repeats)
}

// requests records when a target was asked for each path: which monitor
// ran when, as bench/replicas counts them.
type requests struct {
	mu sync.Mutex
	at map[string][]time.Time
}

func newRequestTarget(t *testing.T) (*requests, string) {
	r := &requests{at: map[string][]time.Time{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.at[strings.TrimPrefix(req.URL.Path, "/")] = append(r.at[strings.TrimPrefix(req.URL.Path, "/")], time.Now())
		r.mu.Unlock()
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

// of returns the times monitor id ran.
func (r *requests) of(id string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.at[id])
}

// TestKillRunsOverdueMonitorsAtOnce runs two replicas sharing 400
// monitors at 60 s and kills one with SIGKILL. Each of its monitors whose
// run fell due between the kill and the takeover runs again within a few
// seconds of the takeover (about lease_ttl after the kill), not at its
// next slot an interval later; the others run at their slots.
func TestKillRunsOverdueMonitorsAtOnce(t *testing.T) {
	const interval = 60 * time.Second
	reqs, target := newRequestTarget(t)
	mons := monitorIDs(400)
	c := newProcCluster(t, func(id, dsn string) string {
		var b strings.Builder
		b.WriteString(serverYAML(id, dsn) + "monitors:\n")
		for _, m := range mons {
			fmt.Fprintf(&b, "  - {id: %s, type: http, interval: %s, timeout: 5s, http: {url: %q}}\n", m, interval, target+"/"+m)
		}
		return b.String()
	})
	c.start("r1", "")
	c.start("r2", "")
	c.waitShared("two replicas share the buckets", "r1", "r2")
	proc.WaitFor(t, interval+wait, 200*time.Millisecond, "every monitor ran once", func() bool {
		for _, m := range mons {
			if len(reqs.of(m)) == 0 {
				return false
			}
		}
		return true
	})

	leases, err := c.st.BucketLeases(context.Background(), DefaultBuckets)
	if err != nil {
		t.Fatal(err)
	}
	held := map[int]bool{}
	for _, l := range leases {
		if l.Owner == "r2" && l.Until.After(time.Now()) {
			held[l.Bucket] = true
		}
	}
	var theirs []string
	for _, m := range mons {
		if held[BucketOf(m, DefaultBuckets)] {
			theirs = append(theirs, m)
		}
	}
	c.procs["r2"].Kill()
	killed := time.Now()
	// What r2 stored last of each monitor: a run whose result it had not
	// written when it was killed is lost, and the monitor is as overdue
	// as if it had not run.
	states, err := c.st.MonitorStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	took := c.waitShared("r1 takes over the buckets of r2", "r1")
	takenAt := killed.Add(took)
	t.Logf("killed r2 (%d monitors); r1 held all its buckets %s later", len(theirs), took.Round(10*time.Millisecond))

	// Overdue: its newest stored result is older than its interval when
	// r1 takes it, its run having fallen due after the kill (or been lost
	// with r2). Its next slot is an interval later.
	last := func(m string) time.Time { return states[m].LastResultAt }
	var overdue []string
	for _, m := range theirs {
		if last(m).Add(interval).Before(takenAt) {
			overdue = append(overdue, m)
		}
	}
	if len(overdue) == 0 {
		t.Fatalf("none of the %d monitors of r2 fell due during the takeover", len(theirs))
	}
	const slack = 10 * time.Second
	ranAgain := func(m string) (time.Time, bool) {
		for _, at := range reqs.of(m) {
			if at.After(killed) {
				return at, true
			}
		}
		return time.Time{}, false
	}
	time.Sleep(time.Until(takenAt.Add(slack)))
	var worst time.Duration
	for _, m := range overdue {
		at, ok := ranAgain(m)
		if !ok || at.After(takenAt.Add(slack)) {
			t.Errorf("monitor %s, last run %s before the kill, did not run again within %s of the takeover", m, killed.Sub(last(m)).Round(time.Millisecond), slack)
			continue
		}
		worst = max(worst, at.Sub(killed))
	}
	// The others keep their slots: a run after the kill of one not
	// overdue is its grid run, an interval after its last.
	for _, m := range theirs {
		if slices.Contains(overdue, m) {
			continue
		}
		if at, ok := ranAgain(m); ok && (at.Sub(last(m)) < interval-2*time.Second || at.Sub(last(m)) > interval+2*time.Second) {
			t.Errorf("monitor %s, not overdue, ran %s after the kill and %s after its last run, want at its slot an interval later", m, at.Sub(killed).Round(time.Millisecond), at.Sub(last(m)).Round(time.Millisecond))
		}
	}
	t.Logf("figures: %d of r2's %d monitors fell due during the takeover (%s after the kill, lease_ttl %s); all ran again within %s of the kill, not an interval (%s) later",
		len(overdue), len(theirs), took.Round(10*time.Millisecond), leaseTTL, worst.Round(10*time.Millisecond), interval)
}
