package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testRoutedWork: routed items, stored alone or with pings, are taken by
// bucket, oldest first, deleted with the heartbeat states written in the
// same transaction, and kept when the taker fails.
func testRoutedWork(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	at := clk.Now()
	huge := strings.Repeat("é", 100_000)
	must(t, s.SavePings(ctx, store.PingBatch{
		Pings:  []store.Ping{{HeartbeatID: "export", Time: at, Kind: "success"}},
		Routed: []store.Routed{{Bucket: 7, Kind: store.RoutedPing, Subject: "export", Payload: json.RawMessage(`{"kind":"success"}`)}},
	}), "SavePings with routed work")
	must(t, s.Route(ctx, []store.Routed{
		{Bucket: 7, Kind: store.RoutedResult, Subject: "web", Payload: json.RawMessage(`{"monitor_id":"web"}`)},
		{Bucket: 8, Kind: store.RoutedResult, Subject: "db\xff", Payload: json.RawMessage(`"` + huge + `"`)},
	}), "Route")
	if err := s.Route(ctx, []store.Routed{{Bucket: 1, Kind: store.RoutedPing}}); errs.Code(err) != errs.EINVALID {
		t.Errorf("Route without a subject = %v, want EINVALID", err)
	}

	// A failing taker keeps the items.
	boom := errors.New("boom")
	if _, err := s.TakeRouted(ctx, store.RoutedPing, []int{7}, 10, func([]store.Routed) (map[string]json.RawMessage, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("TakeRouted with a failing taker = %v, want boom", err)
	}
	var got []store.Routed
	n, err := s.TakeRouted(ctx, store.RoutedPing, []int{7}, 10, func(items []store.Routed) (map[string]json.RawMessage, error) {
		got = items
		return map[string]json.RawMessage{"export": json.RawMessage(`{"last_ping":"x"}`)}, nil
	})
	must(t, err, "TakeRouted")
	if n != 1 || len(got) != 1 || got[0].Kind != store.RoutedPing || got[0].Subject != "export" || string(got[0].Payload) != `{"kind":"success"}` ||
		got[0].Bucket != 7 || got[0].Created.IsZero() {
		t.Fatalf("TakeRouted(ping, 7) = %d, %+v", n, got)
	}
	states, _, err := s.HeartbeatStates(ctx)
	must(t, err, "HeartbeatStates")
	if string(states["export"]) != `{"last_ping":"x"}` {
		t.Errorf("the state written with the take = %s", states["export"])
	}
	if n, err := s.TakeRouted(ctx, store.RoutedPing, []int{7}, 10, func(items []store.Routed) (map[string]json.RawMessage, error) {
		t.Errorf("taken twice: %+v", items)
		return nil, nil
	}); err != nil || n != 0 {
		t.Errorf("TakeRouted(7) again = %d, %v", n, err)
	}
	got = nil
	n, err = s.TakeRouted(ctx, store.RoutedResult, []int{1, 7, 8}, 10, func(items []store.Routed) (map[string]json.RawMessage, error) { got = items; return nil, nil })
	must(t, err, "TakeRouted(result)")
	if n != 2 || got[0].Subject != "web" || string(got[0].Payload) != `{"monitor_id":"web"}` || got[1].Subject != "db\uFFFD" || len(got[1].Payload) < len(huge) || !(got[0].ID < got[1].ID) {
		t.Errorf("TakeRouted(result, 1 7 8) = %d, %+v", n, got)
	}
	if n, err := s.TakeRouted(ctx, store.RoutedPing, nil, 10, nil); n != 0 || err != nil {
		t.Errorf("TakeRouted(no buckets) = %d, %v", n, err)
	}
}

// testRoutedWaiting: RoutedWaiting tells whether items of any kind wait
// for the buckets asked about, and no longer once they are taken.
func testRoutedWaiting(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	waiting := func(buckets ...int) bool {
		t.Helper()
		ok, err := s.RoutedWaiting(ctx, buckets)
		must(t, err, fmt.Sprint("RoutedWaiting", buckets))
		return ok
	}
	if waiting(0, 1, 7) {
		t.Fatal("RoutedWaiting of an empty table = true")
	}
	must(t, s.Route(ctx, []store.Routed{{Bucket: 7, Kind: store.RoutedResult, Subject: "web", Payload: json.RawMessage(`{}`)}}), "Route")
	must(t, s.SavePings(ctx, store.PingBatch{
		Pings:  []store.Ping{{HeartbeatID: "export", Time: time.Now(), Kind: "success"}},
		Routed: []store.Routed{{Bucket: 9, Kind: store.RoutedPing, Subject: "export", Payload: json.RawMessage(`{}`)}},
	}), "SavePings with routed work")
	for _, c := range []struct {
		buckets []int
		want    bool
	}{{[]int{7}, true}, {[]int{1, 9}, true}, {[]int{0, 1, 8, 1023}, false}, {nil, false}} {
		if got := waiting(c.buckets...); got != c.want {
			t.Errorf("RoutedWaiting(%v) = %v, want %v", c.buckets, got, c.want)
		}
	}
	for _, kind := range []string{store.RoutedResult, store.RoutedPing} {
		_, err := s.TakeRouted(ctx, kind, []int{7, 9}, 10, func([]store.Routed) (map[string]json.RawMessage, error) { return nil, nil })
		must(t, err, "TakeRouted "+kind)
	}
	if waiting(7, 9) {
		t.Error("RoutedWaiting after every item was taken = true")
	}
}

// testRoutedTakenOnce: replicas taking the same buckets at once take each
// item once.
func testRoutedTakenOnce(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	const items = 300
	var in []store.Routed
	for i := range items {
		in = append(in, store.Routed{Bucket: i % 3, Kind: store.RoutedResult, Subject: fmt.Sprintf("m%d", i), Payload: json.RawMessage(`{}`), Created: time.Now()})
	}
	must(t, s.Route(ctx, in), "Route")
	var mu sync.Mutex
	var seen []string
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				n, err := s.TakeRouted(ctx, store.RoutedResult, []int{0, 1, 2}, 7, func(items []store.Routed) (map[string]json.RawMessage, error) {
					mu.Lock()
					defer mu.Unlock()
					for _, it := range items {
						seen = append(seen, it.Subject)
					}
					return nil, nil
				})
				if err != nil {
					t.Errorf("TakeRouted: %v", err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(seen)
	if len(seen) != items || len(slices.Compact(seen)) != items {
		t.Errorf("taken %d items, %d distinct; want %d once each", len(seen), len(slices.Compact(slices.Clone(seen))), items)
	}
}
