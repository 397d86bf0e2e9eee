package heartbeat_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/probe"
)

// TestMissedDeadline: a heartbeat that stops pinging becomes a failed
// result at its deadline, not a moment later, and only once.
func TestMissedDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		d := heartbeat.Definition{ID: "job", UUID: uuidA, Schedule: schedule.Schedule{Period: time.Minute, Grace: 30 * time.Second}}
		h := startHub(t, db, &res, []heartbeat.Definition{d}, heartbeat.Options{})
		defer stop(h)

		start := time.Now()
		if err := h.Receive(t.Context(), heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindSuccess, Transport: "http"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(89 * time.Second)
		synctest.Wait()
		rs, _ := res.get()
		if len(rs) != 1 || rs[0].Status != probe.OK {
			t.Fatalf("before the deadline: results %+v, want the one success", rs)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		rs, at := res.get()
		if len(rs) != 2 || rs[1].Status != probe.Critical {
			t.Fatalf("after the deadline: results %+v, want a failure", rs)
		}
		deadline := start.Add(90 * time.Second)
		if late := at[1].Sub(deadline); late < 0 || late > time.Second {
			t.Errorf("the miss was reported %s after the deadline", late)
		}
		if v, _ := h.View("job"); v.Status != heartbeat.StatusDown {
			t.Errorf("status %s, want down", v.Status)
		}
		// A ping brings it back.
		if err := h.Receive(t.Context(), heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindSuccess}); err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		rs, _ = res.get()
		if len(rs) != 3 || rs[2].Status != probe.OK {
			t.Errorf("after a new ping: %+v", rs)
		}
	})
}

// TestMaxRuntime: a started run that does not finish in time fails.
func TestMaxRuntime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		d := heartbeat.Definition{ID: "job", UUID: uuidA, Schedule: schedule.Schedule{Period: 24 * time.Hour, Grace: time.Hour}, MaxRuntime: 10 * time.Minute}
		h := startHub(t, db, &res, []heartbeat.Definition{d}, heartbeat.Options{})
		defer stop(h)
		if err := h.Receive(t.Context(), heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindStart, RunID: "r1"}); err != nil {
			t.Fatal(err)
		}
		if v, _ := h.View("job"); v.Status != heartbeat.StatusRunning {
			t.Errorf("status %s, want running", v.Status)
		}
		time.Sleep(10*time.Minute + time.Second)
		synctest.Wait()
		rs, _ := res.get()
		if len(rs) != 1 || rs[0].Status != probe.Critical {
			t.Fatalf("results %+v, want one failure for the long run", rs)
		}
	})
}

// TestIdleHeartbeatsCostNothing: with many idle heartbeats the deadline
// loop sleeps until the earliest one; the test fails if it wakes early
// and reports something (or sleeps through it).
func TestManyHeartbeats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		const n = 2000
		defs := make([]heartbeat.Definition, n)
		for i := range defs {
			defs[i] = heartbeat.Definition{ID: fmt.Sprintf("hb-%d", i), UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Schedule: schedule.Schedule{Period: time.Duration(i+1) * time.Minute, Grace: time.Minute}}
		}
		h := startHub(t, db, &res, defs, heartbeat.Options{})
		defer stop(h)
		var wg sync.WaitGroup
		for i := range defs {
			wg.Go(func() {
				if err := h.Receive(context.Background(), heartbeat.Ping{UUID: defs[i].UUID, Kind: heartbeat.KindSuccess}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		n0, err := db.CountPings(t.Context(), "")
		if err != nil || n0 != n {
			t.Fatalf("CountPings = %d, %v; want %d", n0, err, n)
		}
		synctest.Wait()
		ok, _ := res.get()
		time.Sleep(10*time.Minute + time.Second) // deadlines of hb-0..hb-8 passed
		synctest.Wait()
		rs, _ := res.get()
		if got := len(rs) - len(ok); got != 9 {
			t.Errorf("%d misses after 10m, want 9", got)
		}
	})
}

// sleepUntil advances the bubble's clock to t.
func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }

// TestCronAcrossDSTWatched runs a nightly 02:30 Europe/Oslo heartbeat
// through the spring change of 2000 (26 March) with the deadline loop
// running: a job pinging at its time every night is never reported, and
// the first night it does not, the miss comes at 02:30 + grace.
func TestCronAcrossDSTWatched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		oslo, err := schedule.LoadLocation("Europe/Oslo")
		if err != nil {
			t.Fatal(err)
		}
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		d := heartbeat.Definition{ID: "nightly", UUID: uuidA, Schedule: schedule.Schedule{Cron: "30 2 * * *", Location: oslo, Grace: 20 * time.Minute}}
		h := startHub(t, db, &res, []heartbeat.Definition{d}, heartbeat.Options{})
		defer stop(h)
		for day := 20; day <= 31; day++ {
			run := time.Date(2000, 3, day, 2, 30, 0, 0, oslo)
			if day == 26 {
				run = time.Date(2000, 3, day, 3, 0, 0, 0, oslo) // 02:30 does not exist: cron runs the job after the gap
			}
			sleepUntil(run.Add(5 * time.Minute))
			if err := h.Receive(t.Context(), heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindSuccess}); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		rs, _ := res.get()
		for _, r := range rs {
			if r.Failed() {
				t.Fatalf("a nightly job pinging on time was reported: %+v", r)
			}
		}
		// No ping on 1 April: down at 02:50 CEST (00:50 UTC).
		sleepUntil(time.Date(2000, 4, 2, 0, 0, 0, 0, time.UTC))
		synctest.Wait()
		rs, at := res.get()
		last := rs[len(rs)-1]
		want := time.Date(2000, 4, 1, 0, 50, 0, 0, time.UTC)
		if !last.Failed() || !at[len(at)-1].Equal(want) {
			t.Fatalf("last result %+v at %s, want a miss at %s", last, at[len(at)-1], want)
		}
		if !strings.Contains(last.Reason, `expected by 2000-04-01 00:30 UTC (cron "30 2 * * *", Europe/Oslo) + 20m grace`) {
			t.Errorf("reason %q", last.Reason)
		}
	})
}

// TestLeapDayWatched: "the last day of the month" at noon expects a ping
// on 29 February 2000, a leap day, and reports its absence then.
func TestLeapDayWatched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		d := heartbeat.Definition{ID: "monthly", UUID: uuidA, Schedule: schedule.Schedule{Cron: "0 12 L * *", Grace: time.Hour}}
		h := startHub(t, db, &res, []heartbeat.Definition{d}, heartbeat.Options{})
		defer stop(h)
		sleepUntil(time.Date(2000, 1, 31, 12, 1, 0, 0, time.UTC))
		if err := h.Receive(t.Context(), heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindSuccess}); err != nil {
			t.Fatal(err)
		}
		if v, _ := h.View("monthly"); !v.NextExpected.Equal(time.Date(2000, 2, 29, 12, 0, 0, 0, time.UTC)) {
			t.Errorf("next expected %s, want the leap day", v.NextExpected)
		}
		sleepUntil(time.Date(2000, 3, 1, 0, 0, 0, 0, time.UTC))
		synctest.Wait()
		rs, at := res.get()
		if len(rs) != 2 || !rs[1].Failed() || !at[1].Equal(time.Date(2000, 2, 29, 13, 0, 0, 0, time.UTC)) {
			t.Errorf("results %+v at %v, want a miss at 2000-02-29 13:00", rs, at)
		}
	})
}
