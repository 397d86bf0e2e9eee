package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

func testPingsRoundTrip(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(time.Hour + 123456789*time.Nanosecond)
	binary := []byte{0, 1, 2, 0xff, 0xfe, '\n', 0}
	pings := []store.Ping{
		{HeartbeatID: "export", Time: at, Kind: "start", RunID: "r1", Transport: "http", Method: "POST", Source: "192.0.2.1", UserAgent: "curl/8"},
		{HeartbeatID: "export", Time: at.Add(time.Second), Kind: "exit", ExitStatus: 3, RunID: "r1", Duration: time.Second + 1500*time.Nanosecond, Body: binary, Truncated: true, Transport: "http", Method: "POST", Source: "192.0.2.1", UserAgent: "curl/8"},
		{HeartbeatID: "backup", Time: at, Kind: "success", Transport: "email", Method: "SMTP", Source: "cron@example.com"},
		{HeartbeatID: "export", Time: at.Add(2 * time.Second), Kind: "exit", ExitStatus: 0, Transport: "http", Method: "GET", Source: "192.0.2.1"},
	}
	must(t, s.SavePings(ctx, store.PingBatch{Pings: pings}), "SavePings")

	got, err := s.Pings(ctx, "export", store.Page{})
	must(t, err, "Pings")
	if len(got) != 3 {
		t.Fatalf("Pings(export) returned %d pings, want 3", len(got))
	}
	if !(got[0].ID > got[1].ID && got[1].ID > got[2].ID) {
		t.Errorf("pings not newest first by id: %d, %d, %d", got[0].ID, got[1].ID, got[2].ID)
	}
	want := []store.Ping{pings[3], pings[1], pings[0]}
	for i := range want {
		want[i].ID = got[i].ID
		want[i].Time = want[i].Time.Truncate(time.Millisecond)
		want[i].Duration = want[i].Duration.Truncate(time.Microsecond)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Pings(export) mismatch (-want +got):\n%s", diff)
	}
	n, err := s.CountPings(ctx, "export")
	must(t, err, "CountPings")
	all, err := s.CountPings(ctx, "")
	must(t, err, "CountPings all")
	none, err := s.CountPings(ctx, "nobody")
	must(t, err, "CountPings unknown")
	if n != 3 || all != 4 || none != 0 {
		t.Errorf("CountPings = %d (export), %d (all), %d (unknown); want 3, 4, 0", n, all, none)
	}
	if got, err := s.Pings(ctx, "nobody", store.Page{}); err != nil || len(got) != 0 {
		t.Errorf("Pings(unknown) = %v, %v; want an empty list", got, err)
	}
	if err := s.SavePings(ctx, store.PingBatch{Pings: []store.Ping{{Time: at, Kind: "success"}}}); errs.Code(err) != errs.EINVALID {
		t.Errorf("SavePings without a heartbeat id = %v, want EINVALID", err)
	}
}

func testPingsPagingAndPrune(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	var batch []store.Ping
	for i := range 25 {
		batch = append(batch, store.Ping{HeartbeatID: "job", Time: base.Add(time.Duration(i) * time.Minute), Kind: "success", Transport: "http", Method: "GET", Source: "x"})
	}
	must(t, s.SavePings(ctx, store.PingBatch{Pings: batch}), "SavePings")
	var seen []time.Time
	p := store.Page{Limit: 10}
	for {
		got, err := s.Pings(ctx, "job", p)
		must(t, err, "Pings")
		for _, g := range got {
			seen = append(seen, g.Time)
		}
		if len(got) < p.Limit {
			break
		}
		p.Before = got[len(got)-1].ID
	}
	if len(seen) != 25 || !seen[0].Equal(base.Add(24*time.Minute)) || !seen[24].Equal(base) {
		t.Fatalf("paging saw %d pings from %v to %v", len(seen), seen[0], seen[len(seen)-1])
	}
	n, err := s.PrunePings(ctx, base.Add(10*time.Minute))
	must(t, err, "PrunePings")
	if n != 10 {
		t.Errorf("PrunePings removed %d, want 10", n)
	}
	if left, _ := s.CountPings(ctx, "job"); left != 15 {
		t.Errorf("%d pings left, want 15", left)
	}
	n, err = s.PrunePings(ctx, base.Add(time.Hour))
	must(t, err, "PrunePings all")
	if n != 15 {
		t.Errorf("PrunePings(all) removed %d, want 15", n)
	}
	if n, err := s.PrunePings(ctx, base.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("PrunePings on an empty table = %d, %v", n, err)
	}
}

func testHeartbeatStates(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	if st, through, err := s.HeartbeatStates(ctx); err != nil || len(st) != 0 || through != 0 {
		t.Fatalf("HeartbeatStates on an empty store = %v, %d, %v", st, through, err)
	}
	ping := func(id string, i int) store.Ping {
		return store.Ping{HeartbeatID: id, Time: base.Add(time.Duration(i) * time.Second), Kind: "success", Transport: "http", Method: "GET", Source: "x"}
	}
	must(t, s.SavePings(ctx, store.PingBatch{Pings: []store.Ping{ping("a", 0), ping("b", 1)}, States: map[string]json.RawMessage{"a": json.RawMessage(`{"v":1}`), "b": json.RawMessage(`{"v":2}`)}}), "SavePings states")
	_, through1, err := s.HeartbeatStates(ctx)
	must(t, err, "HeartbeatStates")
	all, err := s.PingsAfter(ctx, 0, 100)
	must(t, err, "PingsAfter")
	if len(all) != 2 || through1 != all[1].ID || all[0].HeartbeatID != "a" || all[1].HeartbeatID != "b" {
		t.Fatalf("checkpoint %d, pings %+v: want the checkpoint at the last ping", through1, all)
	}
	// Pings without states leave the checkpoint where it was.
	must(t, s.SavePings(ctx, store.PingBatch{Pings: []store.Ping{ping("a", 2), ping("a", 3)}}), "SavePings")
	got, through2, err := s.HeartbeatStates(ctx)
	must(t, err, "HeartbeatStates")
	if through2 != through1 {
		t.Errorf("checkpoint moved to %d without states", through2)
	}
	after, err := s.PingsAfter(ctx, through2, 100)
	must(t, err, "PingsAfter")
	if len(after) != 2 || !after[0].Time.Equal(base.Add(2*time.Second)) || after[0].ID >= after[1].ID {
		t.Errorf("PingsAfter(checkpoint) = %+v, want the two newer pings oldest first", after)
	}
	if one, _ := s.PingsAfter(ctx, 0, 1); len(one) != 1 {
		t.Errorf("PingsAfter limit 1 returned %d", len(one))
	}
	want := map[string]json.RawMessage{"a": json.RawMessage(`{"v":1}`), "b": json.RawMessage(`{"v":2}`)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HeartbeatStates mismatch (-want +got):\n%s", diff)
	}
	must(t, s.SavePings(ctx, store.PingBatch{States: map[string]json.RawMessage{"a": json.RawMessage(`{"v":3}`)}}), "SavePings update")
	got, through3, err := s.HeartbeatStates(ctx)
	must(t, err, "HeartbeatStates")
	want["a"] = json.RawMessage(`{"v":3}`)
	if diff := cmp.Diff(want, got); diff != "" || through3 != after[1].ID {
		t.Errorf("after an update: checkpoint %d (want %d), states (-want +got):\n%s", through3, after[1].ID, diff)
	}
}

func testStoredHeartbeats(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	a := store.StoredHeartbeat{ID: "a", UUID: "0b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d", Slug: "a-slug", Spec: json.RawMessage(`{"id":"a"}`)}
	b := store.StoredHeartbeat{ID: "b", UUID: "1b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d", Spec: json.RawMessage(`{"id":"b"}`), CreatedAt: base.Add(11 * time.Hour)}
	must(t, s.CreateHeartbeat(ctx, a), "CreateHeartbeat a")
	must(t, s.CreateHeartbeat(ctx, b), "CreateHeartbeat b")
	c := store.StoredHeartbeat{ID: "c", UUID: "2b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d", Spec: json.RawMessage(`{}`)}
	must(t, s.CreateHeartbeat(ctx, c), "CreateHeartbeat c without slug (slugs may be absent on many)")
	for name, dup := range map[string]store.StoredHeartbeat{
		"id":   {ID: "a", UUID: "3b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d", Spec: json.RawMessage(`{}`)},
		"uuid": {ID: "x", UUID: a.UUID, Spec: json.RawMessage(`{}`)},
		"slug": {ID: "y", UUID: "4b7a4c2e-1f3d-4a5b-8c6d-7e8f9a0b1c2d", Slug: "a-slug", Spec: json.RawMessage(`{}`)},
	} {
		wantCode(t, s.CreateHeartbeat(ctx, dup), errs.ECONFLICT, "CreateHeartbeat with a taken "+name)
	}
	got, err := s.StoredHeartbeats(ctx)
	must(t, err, "StoredHeartbeats")
	a.CreatedAt = clk.Now()
	c.CreatedAt = clk.Now()
	if diff := cmp.Diff([]store.StoredHeartbeat{a, c, b}, got); diff != "" {
		t.Errorf("StoredHeartbeats mismatch (-want +got):\n%s", diff)
	}
	must(t, s.DeleteHeartbeat(ctx, "a"), "DeleteHeartbeat")
	wantCode(t, s.DeleteHeartbeat(ctx, "a"), errs.ENOTFOUND, "DeleteHeartbeat again")
	got, err = s.StoredHeartbeats(ctx)
	must(t, err, "StoredHeartbeats")
	if len(got) != 2 {
		t.Errorf("%d stored heartbeats after delete, want 2", len(got))
	}
}

// testConcurrentPingBatches writes batches from several goroutines (as
// several replicas would) and counts every ping.
func testConcurrentPingBatches(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	const writers, batches, per = 4, 10, 50
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var ps []store.Ping
				for i := range per {
					ps = append(ps, store.Ping{HeartbeatID: fmt.Sprintf("hb-%d", (w+i)%3), Time: base.Add(time.Duration(b*per+i) * time.Millisecond), Kind: "success", Transport: "http", Method: "GET", Source: "x"})
				}
				if err := s.SavePings(ctx, store.PingBatch{Pings: ps}); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("SavePings: %v", err)
	}
	n, err := s.CountPings(ctx, "")
	must(t, err, "CountPings")
	if n != writers*batches*per {
		t.Errorf("CountPings = %d, want %d", n, writers*batches*per)
	}
}
