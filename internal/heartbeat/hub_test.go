package heartbeat_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
