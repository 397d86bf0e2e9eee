package heartbeat_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

type results struct {
	mu sync.Mutex
	rs []probe.Result
	at []time.Time
}

func (r *results) add(res probe.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rs = append(r.rs, res)
	r.at = append(r.at, time.Now())
}

func (r *results) get() ([]probe.Result, []time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]probe.Result(nil), r.rs...), append([]time.Time(nil), r.at...)
}

const uuidA = "0b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d"

func openStore(t *testing.T, dsn string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: "sqlite", DSN: dsn, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// startHub runs a hub on db until the test's cleanup.
func startHub(t *testing.T, db *sqlstore.DB, res *results, defs []heartbeat.Definition, o heartbeat.Options) *heartbeat.Hub {
	t.Helper()
	o.Store = db
	o.Submit = res.add
	h := heartbeat.New(o)
	if err := h.Load(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.SetDefinitions(defs)
	h.SetLimits(heartbeat.Limits{BodyLimit: 100, PingKey: "0123456789abcdef"})
	go h.Run()
	return h
}

func stop(h *heartbeat.Hub) {
	h.Close()
	<-h.Done()
}

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

func TestReceiveErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		d := heartbeat.Definition{ID: "job", UUID: uuidA, Slug: "nightly", Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}}
		h := startHub(t, db, &res, []heartbeat.Definition{d}, heartbeat.Options{})
		defer stop(h)
		h.SetLimits(heartbeat.Limits{BodyLimit: 4, PingKey: "0123456789abcdef", HeartbeatRate: 5, ClientRate: 100})
		ctx := t.Context()
		for _, tc := range []struct {
			p    heartbeat.Ping
			code string
		}{
			{heartbeat.Ping{UUID: "1b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d", Kind: heartbeat.KindSuccess}, errs.ENOTFOUND},
			{heartbeat.Ping{PingKey: "wrong-key-wrong-key", Slug: "nightly", Kind: heartbeat.KindSuccess}, errs.ENOTFOUND},
			{heartbeat.Ping{PingKey: "0123456789abcdef", Slug: "other", Kind: heartbeat.KindSuccess, Create: true}, errs.ENOTFOUND},
			{heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindExit, ExitStatus: 256}, errs.EINVALID},
			{heartbeat.Ping{UUID: uuidA, Kind: "bogus"}, errs.EINVALID},
		} {
			if err := h.Receive(ctx, tc.p); errs.Code(err) != tc.code {
				t.Errorf("Receive(%+v) = %v, want %s", tc.p, err, tc.code)
			}
		}
		if err := h.Receive(ctx, heartbeat.Ping{PingKey: "0123456789abcdef", Slug: "nightly", Kind: heartbeat.KindSuccess, Body: []byte("0123456789")}); err != nil {
			t.Fatalf("slug ping: %v", err)
		}
		ps, _ := db.Pings(ctx, "job", storePage())
		if len(ps) != 1 || string(ps[0].Body) != "0123" || !ps[0].Truncated {
			t.Errorf("stored %+v, want the body cut to 4 bytes and marked", ps)
		}
		// Burst of 2×rate passes (one used above), then 429 until time passes.
		var limited int
		for range 12 {
			if err := h.Receive(ctx, heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindLog, Source: "192.0.2.1"}); errs.Code(err) == errs.ERATELIMIT {
				limited++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if limited != 3 {
			t.Errorf("%d of 12 pings limited, want 3 (burst 10, one used)", limited)
		}
		time.Sleep(time.Second)
		if err := h.Receive(ctx, heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindLog}); err != nil {
			t.Errorf("after a second: %v", err)
		}
	})
}

func storePage() store.Page { return store.Page{} }

// TestReplayAfterCrash: states are saved only at checkpoints; a hub
// started on the database of one that never saved its last states (a
// crash) rebuilds them from the pings after the checkpoint.
func TestReplayAfterCrash(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "t.db"))
	defer db.Close()
	var res results
	d := heartbeat.Definition{ID: "job", UUID: uuidA, Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}}
	h1 := startHub(t, db, &res, []heartbeat.Definition{d}, heartbeat.Options{CheckpointEvery: time.Hour})
	ctx := t.Context()
	at := time.Now().Add(-10 * time.Minute) // recent: nothing expires meanwhile
	for i, p := range []heartbeat.Ping{
		{Kind: heartbeat.KindSuccess},            // checkpointed: the first batch always is
		{Kind: heartbeat.KindStart, RunID: "r1"}, // from here on only in the pings table
		{Kind: heartbeat.KindStart, RunID: "r2"},
		{Kind: heartbeat.KindExit, ExitStatus: 2, RunID: "r1"},
	} {
		p.UUID, p.Time = uuidA, at.Add(time.Duration(i)*time.Minute)
		if err := h1.Receive(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := h1.View("job")
	states, _, err := db.HeartbeatStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(states["job"]), "r2") {
		t.Fatalf("the saved state already has the later pings: %s", states["job"])
	}

	h2 := heartbeat.New(heartbeat.Options{Store: db})
	if err := h2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	h2.SetDefinitions([]heartbeat.Definition{d})
	got, _ := h2.View("job")
	if diff := cmp.Diff(want.State, got.State); diff != "" {
		t.Errorf("replayed state differs (-before crash +after):\n%s", diff)
	}
	if !got.State.LastFailed || got.State.LastDuration != 2*time.Minute || len(got.State.Runs) != 1 {
		t.Errorf("replayed state %+v: want the failed r1 (2m) and r2 still running", got.State)
	}
	stop(h1)
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

// TestClientRateLimit: one address is limited across heartbeats.
func TestClientRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		defs := []heartbeat.Definition{
			{ID: "a", UUID: uuidA, Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}},
			{ID: "b", UUID: "1b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d", Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}},
		}
		h := startHub(t, db, &res, defs, heartbeat.Options{})
		defer stop(h)
		h.SetLimits(heartbeat.Limits{BodyLimit: 10, ClientRate: 2})
		codes := map[string]int{}
		for i := range 6 {
			err := h.Receive(t.Context(), heartbeat.Ping{UUID: defs[i%2].UUID, Kind: heartbeat.KindLog, Source: "192.0.2.9"})
			codes[errs.Code(err)]++
		}
		if codes[""] != 4 || codes[errs.ERATELIMIT] != 2 {
			t.Errorf("answers %v, want 4 stored and 2 limited (burst 4)", codes)
		}
		if err := h.Receive(t.Context(), heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindLog, Source: "192.0.2.10"}); err != nil {
			t.Errorf("another address is limited too: %v", err)
		}
	})
}

// TestReceiveCleansText: whichever way a ping comes, its text is stored as
// valid UTF-8 without NUL bytes, cut on a character boundary at the
// limits, and a body cut at the body limit never ends in half a character.
func TestReceiveCleansText(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db := openStore(t, ":memory:")
		defer db.Close()
		var res results
		d := heartbeat.Definition{ID: "job", UUID: uuidA, Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}}
		h := startHub(t, db, &res, []heartbeat.Definition{d}, heartbeat.Options{})
		defer stop(h)
		h.SetLimits(heartbeat.Limits{BodyLimit: 4})
		ua := strings.Repeat("a", heartbeat.UserAgentLimit-1) + "é"
		p := heartbeat.Ping{UUID: uuidA, Kind: heartbeat.KindFail, Transport: "email", Method: "SMTP",
			Source: "cron\x00@ex\xffample.org", UserAgent: ua, Body: []byte("ab€")}
		if err := h.Receive(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		ps, err := db.Pings(t.Context(), "job", storePage())
		if err != nil || len(ps) != 1 {
			t.Fatalf("Pings = %+v, %v", ps, err)
		}
		got := ps[0]
		if want := strings.Repeat("a", heartbeat.UserAgentLimit-1); got.UserAgent != want {
			t.Errorf("User-Agent %q, want %q (cut before the character that does not fit)", got.UserAgent, want)
		}
		if want := "cron@ex\uFFFDample.org"; got.Source != want {
			t.Errorf("Source %q, want %q", got.Source, want)
		}
		if string(got.Body) != "ab" || !got.Truncated {
			t.Errorf("Body %q (truncated %v), want \"ab\" marked truncated", got.Body, got.Truncated)
		}
	})
}
