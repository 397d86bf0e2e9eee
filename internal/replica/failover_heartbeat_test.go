package replica

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestKillDuringHeartbeatDeadline has two replicas watch 20 heartbeats,
// each pinged through either replica (the one a load balancer picks, not
// necessarily the one that watches its deadline). Half stop pinging; the
// other half go on, through the replicas still alive. One replica is
// killed with SIGKILL at a random point around the quiet half's
// deadline. Every quiet heartbeat pages its missed deadline once, with
// one id; none that was pinged pages at all, also while the killed
// replica's heartbeats wait for their new owner.
func TestKillDuringHeartbeatDeadline(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	hook := testkit.NewWebhook(t)
	const period, grace = 2 * time.Second, time.Second
	var ids, quiet, busy []string
	uuid := map[string]string{}
	var hbs strings.Builder
	for i := range 20 {
		id := fmt.Sprintf("hb%02d", i)
		ids = append(ids, id)
		if i < 10 {
			quiet = append(quiet, id)
		} else {
			busy = append(busy, id)
		}
		uuid[id] = fmt.Sprintf("00000000-0000-4000-8000-0000000000%02d", i)
		fmt.Fprintf(&hbs, "  - {id: %s, uuid: %s, service: jobs, period: %s, grace: %s}\n", id, uuid[id], period, grace)
	}
	c := newProcCluster(t, func(id, dsn string) string {
		return serverYAML(id, dsn) + fmt.Sprintf(`channels:
  - {id: hook, type: webhook, webhook: {url: %s}}
services:
  - {id: jobs, channels: [hook]}
heartbeats:
`, hook.URL) + hbs.String()
	})
	c.start("r1", "")
	c.start("r2", "")
	c.waitShared("two replicas share the buckets", "r1", "r2")

	// ping sends a success ping of hb through a replica alive, the n-th
	// one of them, as a load balancer spreading requests would.
	client := &http.Client{Timeout: 5 * time.Second}
	var mu sync.Mutex
	failed := 0
	ping := func(hb string, n int) {
		var live []string
		for _, id := range c.ids() {
			if !c.procs[id].Exited() {
				live = append(live, id)
			}
		}
		url := c.procs[live[n%len(live)]].URL(t) + "/ping/" + uuid[hb]
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
		}
		if err != nil || resp.StatusCode != http.StatusOK {
			// The replica was killed between the choice and the request:
			// as a load balancer would, try the next one.
			mu.Lock()
			failed++
			mu.Unlock()
			if resp, err = client.Get(c.procs[live[(n+1)%len(live)]].URL(t) + "/ping/" + uuid[hb]); err == nil {
				resp.Body.Close()
			}
		}
	}
	for i, hb := range ids {
		ping(hb, i)
	}
	c.waitStates(ids, monitor.StatusUp)

	// The busy half goes on being pinged every 400 ms through either
	// replica until the test ends; the quiet half is not pinged again.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ctx.Err() == nil; n++ {
			for i, hb := range busy {
				ping(hb, n+i)
			}
			select {
			case <-ctx.Done():
			case <-time.After(400 * time.Millisecond):
			}
		}
	}()
	defer func() { cancel(); wg.Wait() }()

	randomPoint(t, rng, period+grace+time.Second)
	victim := []string{"r1", "r2"}[rng.IntN(2)]
	took := c.killTakeover(victim)
	t.Logf("killed %s; the other held all its buckets %s later", victim, took.Round(10*time.Millisecond))

	waitDelivered(t, hook, quiet, notify.EventMonitorDown)
	// Several more deadlines of each: a busy heartbeat that was judged
	// without its routed pings, or a quiet one paged again, shows here.
	time.Sleep(3 * (period + grace))
	cancel()
	wg.Wait()
	c.waitOutboxDone(notify.EventMonitorDown)
	got := countDeliveries(t, hook.Deliveries())
	repeats := got.check(t, quiet, notify.EventMonitorDown)
	for _, hb := range busy {
		if n := len(got[hb][notify.EventMonitorDown]); n > 0 {
			t.Errorf("heartbeat %s was pinged every 400 ms and paged down %d times", hb, n)
		}
	}
	t.Logf("figures: takeover %s (lease_ttl %s); %d missed deadlines paged, one id each, %d repeats of an id; %d pings retried on the other replica",
		took.Round(10*time.Millisecond), leaseTTL, len(quiet), repeats, failed)
}
