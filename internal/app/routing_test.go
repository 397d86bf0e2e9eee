package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/agent"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit"
)

// twoReplicas starts replicas a and b on one PostgreSQL database with the
// configuration body after the server and storage sections, and waits
// until they share the buckets.
func twoReplicas(t *testing.T, body string) (ra, rb *running) {
	t.Helper()
	dsn := storetest.PostgresDSN(t)
	paths := map[string]string{}
	for _, id := range []string{"a", "b"} {
		paths[id] = filepath.Join(t.TempDir(), "tocsin.yaml")
		writeConfig(t, paths[id], fmt.Sprintf("server:\n  listen: 127.0.0.1:0\n  replica_id: %s\n  lease_ttl: 3s\n  base_url: http://tocsin.test\nstorage:\n  driver: postgres\n  dsn: %q\n%s", id, dsn, body))
	}
	ra = start(t, paths["a"])
	rb = start(t, paths["b"])
	waitUntil(t, "a and b share the buckets", func() bool {
		na, nb := len(ra.app.replicas.Buckets()), len(rb.app.replicas.Buckets())
		return na > 0 && nb > 0 && na+nb == 1024
	})
	return ra, rb
}

// ownedBy returns the ids of n ids that r owns, in order.
func ownedBy(t *testing.T, r *running, ids []string, n int) []string {
	t.Helper()
	var out []string
	for _, id := range ids {
		if r.app.replicas.Owns(id) && len(out) < n {
			out = append(out, id)
		}
	}
	if len(out) < n {
		t.Fatalf("replica owns %d of %v, want %d", len(out), ids, n)
	}
	return out
}

// downs returns the ids of the monitor.down notifications of monitor id.
func downs(hook *testkit.Webhook, id string) []string {
	var out []string
	for _, d := range hook.Deliveries() {
		if testkit.EventIs("monitor.down", id)(d) {
			out = append(out, fmt.Sprint(d.Event["id"]))
		}
	}
	return out
}

// TestReplicasRouteHeartbeats: with two replicas, pings sent to the one
// that does not run a heartbeat keep it up on the one that does; a missed
// deadline pages once; when the owner crashes (stops without leaving the
// replicas), the other takes the heartbeats over: a deadline that passes
// meanwhile pages once, and one already paged does not page again.
func TestReplicasRouteHeartbeats(t *testing.T) {
	hook := testkit.NewWebhook(t)
	var b strings.Builder
	var ids []string
	for i := range 16 {
		id := fmt.Sprintf("hb%02d", i)
		ids = append(ids, id)
		fmt.Fprintf(&b, "  - {id: %s, uuid: 00000000-0000-4000-8000-0000000000%02d, service: jobs, period: 2s, grace: 1s}\n", id, i)
	}
	ra, rb := twoReplicas(t, "channels:\n  - {id: hook, type: webhook, webhook: {url: "+hook.URL+"}}\nservices:\n  - {id: jobs, channels: [hook]}\nheartbeats:\n"+b.String())
	owned := ownedBy(t, ra, ids, 2)
	x, y := owned[0], owned[1]
	uuid := func(id string) string { return "00000000-0000-4000-8000-0000000000" + strings.TrimPrefix(id, "hb") }

	// x is pinged through b only, for longer than its deadline.
	for range 16 {
		if got := doPing(t, "GET", rb.url+"/ping/"+uuid(x), nil); got.status != 200 {
			t.Fatalf("ping of %s through b: %d %q", x, got.status, got.body)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if d := downs(hook, x); len(d) > 0 {
		t.Fatalf("%s went down while pinged through the other replica: %v", x, d)
	}
	if !stateIs(ra.app, x, monitor.StatusUp)() {
		v, _ := ra.app.eng.View(x)
		t.Fatalf("%s on its owner: %s, want up", x, v.State.Status)
	}
	if v, ok := ra.app.hb.View(x); !ok || time.Since(v.State.LastPing) > 2*time.Second {
		t.Fatalf("%s's last ping on its owner: %v", x, v.State.LastPing)
	}

	// Its pings stop: it pages once.
	hook.WaitFor(t, 20*time.Second, testkit.EventIs("monitor.down", x))

	// y is pinged once through b, then a crashes: b takes y over and
	// pages its missed deadline once; x, paged already, stays quiet.
	if got := doPing(t, "GET", rb.url+"/ping/"+uuid(y), nil); got.status != 200 {
		t.Fatalf("ping of %s through b: %d %q", y, got.status, got.body)
	}
	waitUntil(t, y+" up on a", stateIs(ra.app, y, monitor.StatusUp))
	ra.app.crashStop = true
	ra.stop()
	waitUntil(t, "b runs "+y, func() bool { return rb.app.replicas.Owns(y) && rb.app.replicas.Owns(x) })
	hook.WaitFor(t, 20*time.Second, testkit.EventIs("monitor.down", y))
	time.Sleep(4 * time.Second) // two more deadlines of each, were they not recorded
	if d := downs(hook, x); len(d) != 1 {
		t.Errorf("%s paged %d times: %v", x, len(d), d)
	}
	if d := downs(hook, y); len(d) != 1 {
		t.Errorf("%s paged %d times: %v", y, len(d), d)
	}
	if !stateIs(rb.app, y, monitor.StatusDown)() {
		t.Errorf("%s is not down on b", y)
	}
}

// TestReplicasRouteAgentResults: an agent that talks to one replica only
// drives the monitors the other replica runs: its results reach their
// owner, which evaluates them.
func TestReplicasRouteAgentResults(t *testing.T) {
	target := testkit.NewTarget(t)
	dir := t.TempDir()
	token := agent.NewToken()
	if err := os.WriteFile(filepath.Join(dir, "edge.token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var ids []string
	for i := range 16 {
		id := fmt.Sprintf("edge%02d", i)
		ids = append(ids, id)
		fmt.Fprintf(&b, "  - {id: %s, type: http, interval: 200ms, locations: [external-eu], http: {url: %q}}\n", id, target.URL)
	}
	ra, rb := twoReplicas(t, "agents:\n  - {id: edge, location: external-eu, token_file: "+filepath.Join(dir, "edge.token")+"}\nmonitors:\n"+b.String())
	x := ownedBy(t, ra, ids, 1)[0]
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := runAgent(ctx, t, rb.url, token, nil)
	waitUntil(t, x+" up on a, from results pushed to b", stateIs(ra.app, x, monitor.StatusUp))
	target.SetFailing(true)
	waitUntil(t, x+" down on a, from results pushed to b", stateIs(ra.app, x, monitor.StatusDown))
	cancel()
	<-done
}

// TestReplicasActOnce: with two replicas, an incident's timers (opening
// on a paged alert, resolving after a quiet time) and a follow-up
// reminder each notify once, though both replicas run them.
func TestReplicasActOnce(t *testing.T) {
	target := testkit.NewTarget(t)
	room := testkit.NewWebhook(t)
	ana := testkit.NewWebhook(t)
	target.SetFailing(true)
	ra, rb := twoReplicas(t, `channels:
  - {id: room, type: webhook, webhook: {url: `+room.URL+`}}
  - {id: ana-hook, type: webhook, webhook: {url: `+ana.URL+`}}
people:
  - {id: ana, name: Ana, timezone: Pacific/Kiritimati, contacts: [{channel: ana-hook}]}
escalation_policies:
  - id: support
    steps:
      - {notify: ["person:ana"]}
services:
  - {id: shop, name: Shop, escalation_policy: support, channels: [room]}
incidents:
  resolve_after: 1s
  action_reminder_before: 72h
monitors:
  - {id: site, service: shop, type: http, interval: 200ms, timeout: 150ms, http: {url: `+target.URL+`}}
`)
	wake := func() {
		for _, r := range []*running{ra, rb} {
			r.app.inc.Wake()
			r.app.followUps.Wake()
		}
	}
	event := func(name string) func(testkit.Delivery) bool {
		return func(d testkit.Delivery) bool { return d.Event["event"] == name }
	}
	opened := room.WaitFor(t, 30*time.Second, event("incident.opened"))
	wake()
	target.SetFailing(false)
	wake()
	room.WaitFor(t, 30*time.Second, event("incident.resolved"))
	wake()

	st := ra.app.Store()
	token, _ := signIn(t, st)
	id := int64(opened.Event["incident_id"].(float64))
	due := time.Now().UTC().AddDate(0, 0, -2).Format("2006-01-02")
	req, _ := http.NewRequest("POST", rb.url+fmt.Sprintf("/api/v1/incidents/%d/actions", id), strings.NewReader(`{"title":"Alert on latency","owner":"ana","due":"`+due+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add an action: %d", resp.StatusCode)
	}
	wake()
	ana.WaitFor(t, 30*time.Second, event("action.overdue"))
	for range 10 {
		wake()
		time.Sleep(200 * time.Millisecond)
	}
	count := func(h *testkit.Webhook) map[string][]string {
		out := map[string][]string{}
		for _, d := range h.Deliveries() {
			ev := fmt.Sprint(d.Event["event"])
			out[ev] = append(out[ev], fmt.Sprint(d.Event["id"]))
		}
		return out
	}
	rooms, anas := count(room), count(ana)
	for _, ev := range []string{"incident.opened", "incident.resolved"} {
		if len(rooms[ev]) != 1 {
			t.Errorf("%s delivered %d times: %v", ev, len(rooms[ev]), rooms[ev])
		}
	}
	if len(anas["action.overdue"]) != 1 {
		t.Errorf("the overdue reminder was delivered %d times: %v", len(anas["action.overdue"]), anas["action.overdue"])
	}
}
