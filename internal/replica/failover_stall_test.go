package replica

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/testkit"
	"github.com/tocsin/tocsin/internal/testkit/proc"
)

// TestStalledWriteAfterTakeover stalls the network between one of two
// replicas and PostgreSQL (the proxy holds every byte, closing nothing)
// just as every monitor fails, so that replica's batch write of the first
// downs hangs. The other replica takes its buckets over when the leases
// end and pages for them. Then the network resumes and the hung write
// reaches the database: PostgreSQL refuses it at its fence (or has ended
// its transaction, stalled in the middle, after the fencing margin), so
// no down is queued a second time under another id.
func TestStalledWriteAfterTakeover(t *testing.T) {
	target := testkit.NewTarget(t)
	hook := testkit.NewWebhook(t)
	mons := monitorIDs(100)
	c := newProcCluster(t, func(id, dsn string) string { return serverYAML(id, dsn) + hookYAML(hook.URL, target.URL, mons) })
	proxy := proc.NewProxy(t, proc.HostOf(t, c.dsn))
	c.start("r1", "")
	r2 := c.start("r2", proc.WithHost(t, c.dsn, proxy.Addr()))
	c.waitShared("two replicas share the buckets", "r1", "r2")
	c.waitStates(mons, monitor.StatusUp)

	target.SetFailing(true)
	// r2 evaluates downs of its monitors within the next second (they
	// run every second); its engine writes every 200ms: some are in the
	// write the stall catches.
	time.Sleep(400 * time.Millisecond)
	proxy.Stall()
	stallAt := time.Now()
	took := c.waitShared("r1 takes over every bucket of r2", "r1")
	waitDelivered(t, hook, mons, notify.EventMonitorDown)
	proxy.Resume()
	t.Logf("r2 stalled; r1 held all its buckets %s later; every down delivered; the network resumed after %s",
		took.Round(10*time.Millisecond), time.Since(stallAt).Round(10*time.Millisecond))

	back := c.waitShared("r2 rejoins", "r1", "r2")
	c.waitStates(mons, monitor.StatusDown)
	msgs := c.waitOutboxDone(notify.EventMonitorDown)
	got := countDeliveries(t, hook.Deliveries())
	repeats := got.check(t, mons, notify.EventMonitorDown)
	if len(msgs) != len(mons) {
		t.Errorf("%d down notifications in the outbox, want %d: one of each monitor", len(msgs), len(mons))
	}
	refused, failed, dropped := 0, 0, 0
	for _, l := range r2.Logs() {
		switch l.Msg() {
		case "rows of monitors another replica took over meanwhile dropped":
			dropped++
		case engine.LogLeaseLost:
			refused++
		case "saving results":
			failed++
		}
	}
	t.Logf("figures: r2 back %s after the resume; on r2 %d writes refused at the fence, %d failed (ended by the server), %d times rows dropped; %d downs, %d repeats of an id",
		back.Round(10*time.Millisecond), refused, failed, dropped, len(msgs), repeats)
}
