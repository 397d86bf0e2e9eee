package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// packedResultTests cover CompactResults: a store may move the results of
// closed slices of time into a compact form (PostgreSQL packs a monitor's
// ten minutes into one row), and every read must see exactly what it saw
// before, across the edge between compacted and fresh results, with late
// results for compacted slices, and after a prune that cuts through one.
var packedResultTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store, clk *Clock)
}{
	{"CompactKeepsReads", testCompactKeepsReads},
	{"CompactLateResults", testCompactLateResults},
	{"CompactPruneWithinSlice", testCompactPruneWithinSlice},
	{"CompactHostileReasons", testCompactHostileReasons},
	{"CompactConcurrentWriters", testCompactConcurrentWriters},
}

// reads is everything the store says about some monitors' results.
type reads struct {
	Pages     map[string][]store.StoredResult
	Small     map[string][]store.StoredResult
	Uptime    map[string]store.Uptime
	UptimeAll map[string]store.Uptime
	Latency   map[string][]store.LatencyPoint
	Head      []store.StoredResult
}

func readAll(t *testing.T, s store.Store, since time.Time, edge int64, ids ...string) reads {
	t.Helper()
	ctx := t.Context()
	r := reads{Pages: map[string][]store.StoredResult{}, Small: map[string][]store.StoredResult{}, Uptime: map[string]store.Uptime{}, Latency: map[string][]store.LatencyPoint{}}
	for _, id := range ids {
		r.Pages[id] = walkResults(t, s, id, 1000)
		r.Small[id] = walkResults(t, s, id, 97)
		u, err := s.Uptime(ctx, id, since)
		must(t, err, "Uptime")
		r.Uptime[id] = u
		l, err := s.Latency(ctx, id, since, 37)
		must(t, err, "Latency")
		r.Latency[id] = l
	}
	all, err := s.UptimeAll(ctx, since)
	must(t, err, "UptimeAll")
	r.UptimeAll = all
	// A page that starts at the edge between compacted and fresh results.
	head, err := s.Results(ctx, ids[0], store.Page{Limit: 5, Before: edge + 1})
	must(t, err, "Results at the edge")
	r.Head = head
	return r
}

// compact runs CompactResults and fails unless it moved none or want.
func compact(t *testing.T, s store.Store, before time.Time, want int64) {
	t.Helper()
	n, err := s.CompactResults(t.Context(), before)
	must(t, err, "CompactResults")
	if n != 0 && n != want {
		t.Fatalf("CompactResults(%s) moved %d results, want %d (or none, where the store keeps its rows)", before.Format("15:04:05"), n, want)
	}
}

func richResult(id string, at time.Time, i int) probe.Result {
	r := probe.Result{MonitorID: id, Time: at, Duration: time.Duration(15000+i*37%60000) * time.Microsecond, Status: probe.OK,
		Timing:     probe.Timing{FirstByte: time.Duration(14000+i%1000) * time.Microsecond},
		CertExpiry: base.AddDate(0, 3, 0),
		Metrics:    []probe.Metric{{Name: "status_code", Value: 200}, {Name: "time", Value: 0.015, Unit: "s", Min: "0"}, {Name: "ratio", Value: 1.0 / 3}},
	}
	if i%5 == 0 {
		r.Location = "eu-west"
	}
	if i%17 < 3 {
		r.Status = probe.Status(2 + i%2)
		r.Reason = fmt.Sprintf("GET https://%s/: 503, expected 200 (%d)", id, i%3)
	}
	return r
}

func testCompactKeepsReads(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	// Three monitors for three hours: every 10 s with detail and some
	// failures, every minute bare, and one whose results stop at 01:05.
	var n int64
	for m := range 180 {
		var rs []probe.Result
		for sec := 0; sec < 60; sec += 10 {
			at := base.Add(time.Duration(m)*time.Minute + time.Duration(sec)*time.Second + time.Duration(m%3)*time.Millisecond)
			rs = append(rs, richResult("a", at, m*6+sec/10))
		}
		rs = append(rs, result("b", base.Add(time.Duration(m)*time.Minute+500*time.Millisecond), probe.OK, time.Duration(m)*time.Millisecond))
		if m < 65 {
			rs = append(rs, result("c", base.Add(time.Duration(m)*time.Minute), probe.Status(m%4), time.Second))
		}
		save(t, s, rs...)
	}
	for m := range 180 {
		if m < 150 { // before 02:30
			n += 6 + 1
			if m < 65 {
				n++
			}
		}
	}
	now := base.Add(3 * time.Hour)
	clk.Set(now)
	since := base.Add(17*time.Minute + 3*time.Second)
	edge := base.Add(150 * time.Minute).UnixMilli()
	before := readAll(t, s, since, edge, "a", "b", "c")
	if len(before.Pages["a"]) != 1080 || len(before.Pages["c"]) != 65 {
		t.Fatalf("stored %d results of a and %d of c, want 1080 and 65", len(before.Pages["a"]), len(before.Pages["c"]))
	}

	compact(t, s, base.Add(150*time.Minute+5*time.Second), n)
	after := readAll(t, s, since, edge, "a", "b", "c")
	if diff := cmp.Diff(before, after); diff != "" {
		t.Fatalf("reads after CompactResults differ (-before +after):\n%s", diff)
	}
	// Compaction is idempotent.
	if m, err := s.CompactResults(ctx, base.Add(150*time.Minute)); err != nil || m != 0 {
		t.Errorf("a second CompactResults moved %d, %v; want 0", m, err)
	}
	// Rollups of compacted hours count what the raw results held.
	must(t, s.Rollup(ctx, now), "Rollup")
	roll, err := s.Rollups(ctx, "a", base, now)
	must(t, err, "Rollups")
	if len(roll) != 3 || roll[0].Total != 360 {
		t.Errorf("rollups of a = %+v, want 3 hours of 360 results", roll)
	}
	var failed int
	for _, r := range before.Pages["a"] {
		if r.Time.Before(base.Add(time.Hour)) && r.Failed() {
			failed++
		}
	}
	if roll[0].Failed != failed {
		t.Errorf("first hour of a has %d failed, want %d", roll[0].Failed, failed)
	}
	// After the rollup, uptime and latency read rollups for the hours; the
	// raw results left for the rest agree with what was stored.
	u, err := s.Uptime(ctx, "b", since)
	must(t, err, "Uptime after Rollup")
	if u != before.Uptime["b"] {
		t.Errorf("Uptime(b) after Rollup = %+v, want %+v", u, before.Uptime["b"])
	}
	// Compaction at the current time leaves the open slice alone.
	compact(t, s, now, 30*6+30+0)
	final := readAll(t, s, since, edge, "a", "b", "c")
	if diff := cmp.Diff(before.Pages, final.Pages); diff != "" {
		t.Fatalf("results after compacting everything differ (-before +after):\n%s", diff)
	}
}

func testCompactLateResults(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	var rs []probe.Result
	for i := range 30 {
		rs = append(rs, result("m", base.Add(time.Duration(i)*time.Minute), probe.OK, time.Millisecond))
	}
	save(t, s, rs...)
	clk.Set(base.Add(time.Hour))
	compact(t, s, base.Add(time.Hour), 30)
	// An agent's buffered results arrive for compacted slices: one at a
	// time that is taken, one at a free time; then the newest time again.
	taken := base.Add(12 * time.Minute)
	free := base.Add(12*time.Minute + 30*time.Second)
	newest := base.Add(29 * time.Minute)
	save(t, s, result("m", taken, probe.Critical, 2*time.Millisecond), result("m", free, probe.Warning, 3*time.Millisecond))
	save(t, s, result("m", newest, probe.Critical, 4*time.Millisecond))
	check := func(when string) {
		t.Helper()
		got := walkResults(t, s, "m", 4)
		if len(got) != 33 {
			t.Fatalf("%s: stored %d results, want 33", when, len(got))
		}
		at := map[int64]store.StoredResult{}
		for _, r := range got {
			at[r.ID] = r
		}
		for _, w := range []struct {
			t      time.Time
			dur    time.Duration
			reason string
		}{
			{taken, time.Millisecond, ""}, {taken.Add(time.Millisecond), 2 * time.Millisecond, "CRITICAL reason"},
			{free, 3 * time.Millisecond, "WARNING reason"},
			{newest, time.Millisecond, ""}, {newest.Add(time.Millisecond), 4 * time.Millisecond, "CRITICAL reason"},
		} {
			if r, ok := at[w.t.UnixMilli()]; !ok || r.Duration != w.dur || r.Reason != w.reason {
				t.Errorf("%s: result at %s = %+v (stored %v), want duration %v, reason %q", when, w.t.Format("15:04:05.000"), r.Result, ok, w.dur, w.reason)
			}
		}
		u, err := s.Uptime(ctx, "m", base)
		must(t, err, "Uptime")
		if u.Total != 33 || u.Failed != 2 {
			t.Errorf("%s: Uptime = %+v, want 33 results, 2 failed", when, u)
		}
	}
	check("late results beside compacted ones")
	compact(t, s, base.Add(time.Hour), 3)
	check("late results compacted")
	// Taken again, now that its neighbours are all compacted.
	save(t, s, result("m", taken, probe.Critical, 5*time.Millisecond))
	got, err := s.Results(ctx, "m", store.Page{Limit: 1, Before: taken.Add(3 * time.Millisecond).UnixMilli()})
	must(t, err, "Results")
	if len(got) != 1 || got[0].Duration != 5*time.Millisecond {
		t.Errorf("a third result at %s = %+v, want it stored 2 ms later", taken.Format("15:04:05"), got)
	}
}

func testCompactPruneWithinSlice(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	var rs []probe.Result
	for i := range 60 {
		rs = append(rs, result("m", base.Add(time.Duration(i)*time.Minute), probe.Status(i%4), time.Millisecond))
	}
	save(t, s, rs...)
	clk.Set(base.Add(2 * time.Hour))
	compact(t, s, base.Add(40*time.Minute), 40)
	// A late result in the slice the prune cuts through, still a row.
	save(t, s, result("m", base.Add(25*time.Minute+10*time.Second), probe.OK, time.Millisecond))
	n, err := s.Prune(ctx, base.Add(25*time.Minute+30*time.Second), base)
	must(t, err, "Prune")
	if n != 27 {
		t.Errorf("Prune removed %d rows, want the 27 results before 00:25:30", n)
	}
	got := walkResults(t, s, "m", 9)
	if len(got) != 34 || !got[len(got)-1].Result.Time.Equal(base.Add(26*time.Minute)) {
		t.Fatalf("after prune %d results remain (oldest %v), want 34 from 00:26", len(got), got[len(got)-1].Result.Time)
	}
	u, err := s.Uptime(ctx, "m", base)
	must(t, err, "Uptime")
	if u.Total != 34 || u.Failed != 18 {
		t.Errorf("Uptime after prune = %+v, want 34 results, 18 failed", u)
	}
	// A prune on a slice's edge takes whole packs; a second one nothing.
	n, err = s.Prune(ctx, base.Add(30*time.Minute), base)
	must(t, err, "Prune at 00:30")
	if n != 4 {
		t.Errorf("Prune at 00:30 removed %d, want 4", n)
	}
	if n, err := s.Prune(ctx, base.Add(30*time.Minute), base); err != nil || n != 0 {
		t.Errorf("Prune again = %d, %v; want 0", n, err)
	}
	save(t, s, result("m", base.Add(30*time.Minute), probe.Critical, 9*time.Millisecond))
	if p, err := s.Results(ctx, "m", store.Page{Limit: 1000}); err != nil || len(p) != 31 || p[len(p)-1].Duration != time.Millisecond || p[len(p)-2].Duration != 9*time.Millisecond {
		t.Errorf("after a result at a kept time: %d results, %v; want 31, the new one just after the oldest", len(p), err)
	}
	// Everything pruned, packs and rows alike.
	if n, err := s.Prune(ctx, base.Add(2*time.Hour), base); err != nil || n != 31 {
		t.Errorf("Prune all = %d, %v; want 31", n, err)
	}
	if p := walkResults(t, s, "m", 10); len(p) != 0 {
		t.Errorf("%d results left after pruning all", len(p))
	}
}

func testCompactHostileReasons(t *testing.T, s store.Store, clk *Clock) {
	huge := strings.Repeat("é\u202e<b>&", 50_000) // 450 kB
	var rs []probe.Result
	for i := range 40 {
		r := result("m", base.Add(time.Duration(i)*15*time.Second), probe.Critical, time.Duration(i)*time.Millisecond)
		switch i % 4 {
		case 0:
			r.Reason = bad(fmt.Sprint("refused ", i))
		case 1:
			r.Reason = huge
		case 2:
			r.Reason = ""
		}
		rs = append(rs, r)
	}
	rs = append(rs, probe.Result{MonitorID: bad("mon"), Time: base, Status: probe.Critical, Reason: bad("x"), Location: bad("loc")})
	save(t, s, rs...)
	clk.Set(base.Add(time.Hour))
	edge := base.Add(10 * time.Minute).UnixMilli()
	before := readAll(t, s, base, edge, "m", bad("mon"))
	if r := before.Pages["m"][len(before.Pages["m"])-1]; r.Reason != fixed("refused 0") {
		t.Fatalf("oldest reason = %q, want %q", r.Reason, fixed("refused 0"))
	}
	if r := before.Pages["m"][len(before.Pages["m"])-2]; r.Reason != huge {
		t.Fatalf("huge reason came back with %d bytes, want %d", len(r.Reason), len(huge))
	}
	compact(t, s, base.Add(time.Hour), 41)
	after := readAll(t, s, base, edge, "m", bad("mon"))
	if diff := cmp.Diff(before, after); diff != "" {
		t.Fatalf("reads after CompactResults differ (-before +after):\n%.3000s", diff)
	}
	if got := after.Pages[bad("mon")]; len(got) != 1 || got[0].MonitorID != fixed("mon") || got[0].Reason != fixed("x") {
		t.Errorf("hostile monitor after compaction = %+v", got)
	}
}

func testCompactConcurrentWriters(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	clk.Set(base.Add(4 * time.Hour))
	// Writers store results of three monitors, some late into slices that
	// compactions running beside them are packing.
	const writers, batches = 3, 20
	var wg sync.WaitGroup
	errc := make(chan error, writers+2)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var rs []probe.Result
				for i := range 10 {
					at := base.Add(time.Duration(b*10+i)*time.Minute + time.Duration(w)*time.Second)
					rs = append(rs, result(fmt.Sprint("m", w), at, probe.OK, time.Millisecond), result("shared", at, probe.Critical, time.Millisecond))
				}
				if err := s.SaveBatch(ctx, store.Batch{Results: rs}); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for i := range 10 {
				if _, err := s.CompactResults(ctx, base.Add(time.Duration(i*20)*time.Minute)); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("concurrent writes and compactions: %v", err)
	}
	_, err := s.CompactResults(ctx, base.Add(3*time.Hour))
	must(t, err, "CompactResults")
	for w := range writers {
		if got := walkResults(t, s, fmt.Sprint("m", w), 33); len(got) != batches*10 {
			t.Errorf("m%d has %d results, want %d", w, len(got), batches*10)
		}
	}
	if got := walkResults(t, s, "shared", 100); len(got) != writers*batches*10 {
		t.Errorf("shared has %d results, want %d", len(got), writers*batches*10)
	}
	u, err := s.Uptime(ctx, "shared", base)
	must(t, err, "Uptime")
	if u.Total != writers*batches*10 || u.Failed != u.Total {
		t.Errorf("Uptime(shared) = %+v, want %d failed", u, writers*batches*10)
	}
}
