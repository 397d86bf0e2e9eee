package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// resultStorageTests cover how results are stored and found again over
// long spans of time: a store may group them by slices of time (PostgreSQL
// does, by ten minutes), and no read may lose or repeat one at a slice's
// edge or after a late arrival.
var resultStorageTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store, clk *Clock)
}{
	{"ResultsAcrossSlices", testResultsAcrossSlices},
	{"LateResults", testLateResults},
	{"PruneWithinSlice", testPruneWithinSlice},
}

// walkResults pages through a monitor's results, newest first, and fails
// unless the IDs strictly decrease.
func walkResults(t *testing.T, s store.Store, id string, limit int) []store.StoredResult {
	t.Helper()
	var all []store.StoredResult
	before := int64(0)
	for {
		p, err := s.Results(t.Context(), id, store.Page{Limit: limit, Before: before})
		must(t, err, "Results page")
		if len(p) == 0 {
			return all
		}
		for _, r := range p {
			if len(all) > 0 && r.ID >= all[len(all)-1].ID {
				t.Fatalf("result %d follows %d: not newest first", r.ID, all[len(all)-1].ID)
			}
			all = append(all, r)
		}
		before = p[len(p)-1].ID
	}
}

func testResultsAcrossSlices(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	// Two monitors every 7 s for three hours, written a minute at a time
	// like the server's flushes, so each batch holds both.
	var want []int64
	for m := range 180 {
		var rs []probe.Result
		for sec := 0; sec < 60; sec += 7 {
			at := base.Add(time.Duration(m)*time.Minute + time.Duration(sec)*time.Second)
			rs = append(rs, result("a", at, probe.OK, time.Millisecond), result("b", at.Add(3*time.Millisecond), probe.Critical, time.Second))
			want = append(want, at.UnixMilli())
		}
		save(t, s, rs...)
	}
	// Late arrivals on both sides of a slice's edge (00:10:00).
	var late []probe.Result
	for _, d := range []time.Duration{10*time.Minute - 2*time.Millisecond, 10*time.Minute - time.Millisecond, 10*time.Minute + time.Millisecond} {
		late = append(late, result("a", base.Add(d), probe.OK, time.Millisecond))
		want = append(want, base.Add(d).UnixMilli())
	}
	save(t, s, late...)
	slices.Sort(want)
	slices.Reverse(want)

	got := walkResults(t, s, "a", 97)
	ids := make([]int64, len(got))
	for i, r := range got {
		ids[i] = r.ID
		if r.Result.MonitorID != "a" || r.Result.Status != probe.OK {
			t.Fatalf("result %d of a = %+v", r.ID, r.Result)
		}
	}
	if !slices.Equal(ids, want) {
		t.Fatalf("paging a saw %d results, want %d (first %v, want %v)", len(ids), len(want), ids[:min(3, len(ids))], want[:3])
	}
	if b := walkResults(t, s, "b", 1000); len(b) != 180*9 {
		t.Errorf("b has %d results, want %d", len(b), 180*9)
	}
	// A page that starts inside a slice.
	mid := base.Add(95*time.Minute + 30*time.Second).UnixMilli()
	p, err := s.Results(ctx, "a", store.Page{Limit: 3, Before: mid})
	must(t, err, "Results(before mid)")
	if len(p) != 3 || p[0].ID != base.Add(95*time.Minute+28*time.Second).UnixMilli() {
		t.Errorf("Results(before %d) = %+v, want the three before it from 01:35:28", mid, p)
	}

	clk.Set(base.Add(4 * time.Hour))
	must(t, s.Rollup(ctx, base.Add(4*time.Hour)), "Rollup")
	roll, err := s.Rollups(ctx, "b", base, base.Add(4*time.Hour))
	must(t, err, "Rollups")
	if len(roll) != 3 || roll[0].Total != 60*9 || roll[0].Failed != 60*9 {
		t.Errorf("rollups of b = %+v, want 3 hours of 540 failed results", roll)
	}
	up, err := s.Uptime(ctx, "a", base.Add(90*time.Minute+time.Second))
	must(t, err, "Uptime")
	// 01:30:01 up to 03:00: 01:30:07 … 01:30:56 (8) and 89 more minutes of 9.
	if up.Total != 8+89*9 || up.Failed != 0 {
		t.Errorf("Uptime(a since 01:30:01) = %+v, want %d results", up, 8+89*9)
	}
}

func testLateResults(t *testing.T, s store.Store, _ *Clock) {
	var rs []probe.Result
	for i := range 30 {
		rs = append(rs, result("m", base.Add(time.Duration(i)*time.Minute), probe.OK, time.Millisecond))
	}
	save(t, s, rs...)
	// An agent's buffered results arrive after newer ones: one at a time
	// that is taken, one at a free time, one at the newest time.
	taken := base.Add(12 * time.Minute)
	free := base.Add(12*time.Minute + 30*time.Second)
	newest := base.Add(29 * time.Minute)
	save(t, s, result("m", taken, probe.Critical, 2*time.Millisecond), result("m", free, probe.Warning, 3*time.Millisecond))
	save(t, s, result("m", newest, probe.Critical, 4*time.Millisecond))
	save(t, s, result("m", taken, probe.Critical, 5*time.Millisecond))

	got := walkResults(t, s, "m", 7)
	if len(got) != 34 {
		t.Fatalf("stored %d results, want 34", len(got))
	}
	at := map[int64]time.Duration{}
	for _, r := range got {
		at[r.ID] = r.Result.Duration
	}
	for _, w := range []struct {
		t   time.Time
		dur time.Duration
	}{
		{taken, time.Millisecond}, {taken.Add(time.Millisecond), 2 * time.Millisecond}, {taken.Add(2 * time.Millisecond), 5 * time.Millisecond},
		{free, 3 * time.Millisecond},
		{newest, time.Millisecond}, {newest.Add(time.Millisecond), 4 * time.Millisecond},
	} {
		if d, ok := at[w.t.UnixMilli()]; !ok || d != w.dur {
			t.Errorf("result at %s has duration %v (stored %v), want %v", w.t.Format("15:04:05.000"), d, ok, w.dur)
		}
	}
}

func testPruneWithinSlice(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	var rs []probe.Result
	for i := range 60 {
		rs = append(rs, result("m", base.Add(time.Duration(i)*time.Minute), probe.OK, time.Millisecond))
	}
	save(t, s, rs...)
	clk.Set(base.Add(2 * time.Hour))
	n, err := s.Prune(ctx, base.Add(25*time.Minute+30*time.Second), base)
	must(t, err, "Prune")
	if n != 26 {
		t.Errorf("Prune removed %d rows, want the 26 results before 00:25:30", n)
	}
	got := walkResults(t, s, "m", 1000)
	if len(got) != 34 || !got[len(got)-1].Result.Time.Equal(base.Add(26*time.Minute)) {
		t.Errorf("after prune %d results remain (oldest %v), want 34 from 00:26", len(got), got[len(got)-1].Result.Time)
	}
	// The next result is stored after the remaining ones as usual.
	save(t, s, result("m", base.Add(26*time.Minute), probe.Critical, 9*time.Millisecond))
	if p, err := s.Results(ctx, "m", store.Page{Limit: 1000}); err != nil || len(p) != 35 {
		t.Errorf("after a result at a kept time: %d results, %v; want 35", len(p), err)
	}
}
