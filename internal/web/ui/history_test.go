package ui

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

var t0 = time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)

// res is a stored result i minutes after t0.
func res(i int, st probe.Status, reason string) store.StoredResult {
	return store.StoredResult{Result: probe.Result{Time: t0.Add(time.Duration(i) * time.Minute), Status: st, Reason: reason, Duration: time.Duration(i+1) * time.Millisecond}}
}

func TestGroupResults(t *testing.T) {
	type want struct {
		status probe.Status
		reason string
		count  int
		newest int // minutes after t0
		oldest int
	}
	for _, tc := range []struct {
		name string
		in   []store.StoredResult
		want []want
	}{
		{"none", nil, nil},
		{"one", []store.StoredResult{res(0, probe.OK, "")}, []want{{probe.OK, "", 1, 0, 0}}},
		{"a run of ok", []store.StoredResult{res(3, probe.OK, ""), res(2, probe.OK, ""), res(1, probe.OK, "")}, []want{{probe.OK, "", 3, 3, 1}}},
		{"status splits", []store.StoredResult{res(4, probe.OK, ""), res(3, probe.Critical, "503"), res(2, probe.Critical, "503"), res(1, probe.OK, "")},
			[]want{{probe.OK, "", 1, 4, 4}, {probe.Critical, "503", 2, 3, 2}, {probe.OK, "", 1, 1, 1}}},
		{"reason splits", []store.StoredResult{res(2, probe.Critical, "503"), res(1, probe.Critical, "timeout")},
			[]want{{probe.Critical, "503", 1, 2, 2}, {probe.Critical, "timeout", 1, 1, 1}}},
		{"same status and reason apart stay apart", []store.StoredResult{res(3, probe.Warning, "slow"), res(2, probe.OK, ""), res(1, probe.Warning, "slow")},
			[]want{{probe.Warning, "slow", 1, 3, 3}, {probe.OK, "", 1, 2, 2}, {probe.Warning, "slow", 1, 1, 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := groupResults(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("%d groups, want %d: %+v", len(got), len(tc.want), got)
			}
			total := 0
			for i, g := range got {
				w := tc.want[i]
				if g.Status != w.status || g.Reason != w.reason || g.Count() != w.count ||
					!g.Newest.Equal(t0.Add(time.Duration(w.newest)*time.Minute)) || !g.Oldest.Equal(t0.Add(time.Duration(w.oldest)*time.Minute)) {
					t.Errorf("group %d = %v %q ×%d %v–%v, want %+v", i, g.Status, g.Reason, g.Count(), g.Oldest, g.Newest, w)
				}
				total += g.Count()
			}
			if total != len(tc.in) {
				t.Errorf("groups hold %d results, want %d", total, len(tc.in))
			}
		})
	}
}

func TestScaleX(t *testing.T) {
	at := func(mins ...int) []time.Time {
		var ts []time.Time
		for _, m := range mins {
			ts = append(ts, t0.Add(time.Duration(m)*time.Minute))
		}
		return ts
	}
	for _, tc := range []struct {
		name string
		ts   []time.Time
		want []float64
	}{
		{"none", nil, nil},
		{"one sits in the middle", at(5), []float64{50}},
		{"equal times sit in the middle", at(5, 5), []float64{50, 50}},
		{"two span the width", at(0, 1), []float64{2, 98}},
		{"three points a minute apart fill the width", at(0, 1, 2), []float64{2, 50, 98}},
		{"in proportion to time", at(0, 3, 4), []float64{2, 74, 98}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := scaleX(tc.ts, 100, 2)
			if len(got) != len(tc.want) {
				t.Fatalf("scaleX = %v, want %v", got, tc.want)
			}
			for i := range got {
				if d := got[i] - tc.want[i]; d > 1e-9 || d < -1e-9 {
					t.Errorf("scaleX = %v, want %v", got, tc.want)
					break
				}
			}
		})
	}
}

func TestBucketSeriesTrimsToTheData(t *testing.T) {
	pts := make([]store.LatencyPoint, 96)
	for i := range pts {
		pts[i].Time = t0.Add(time.Duration(i) * 15 * time.Minute)
	}
	if s := bucketSeries(pts); len(s.Points) != 0 {
		t.Errorf("no data: %d points, want 0", len(s.Points))
	}
	pts[90] = store.LatencyPoint{Time: pts[90].Time, Avg: 10 * time.Millisecond, Total: 1}
	pts[93] = store.LatencyPoint{Time: pts[93].Time, Avg: 20 * time.Millisecond, Total: 1, Failed: 1}
	s := bucketSeries(pts)
	if len(s.Points) != 4 || !s.Points[0].T.Equal(pts[90].Time) || s.Points[3].V[0] != 20*time.Millisecond || s.Points[1].Total != 0 {
		t.Errorf("bucketSeries kept %+v, want buckets 90..93 with the gap", s.Points)
	}
}

// pathXs returns the x coordinates of every path in an SVG.
func pathXs(t *testing.T, svg string) []float64 {
	t.Helper()
	var xs []float64
	for _, m := range regexp.MustCompile(`[ML](-?[0-9.]+) -?[0-9.]+`).FindAllStringSubmatch(svg, -1) {
		x, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, x)
	}
	return xs
}

// TestChartSpansTheData is the fresh-install chart: three results in the
// last of 96 buckets used to draw a sliver at the right edge; they now
// fill the width.
func TestChartSpansTheData(t *testing.T) {
	pts := make([]store.LatencyPoint, 96)
	for i := range pts {
		pts[i].Time = t0.Add(time.Duration(i) * 15 * time.Minute)
	}
	for i := 93; i < 96; i++ {
		pts[i].Total, pts[i].Avg = 1, time.Duration(i)*time.Millisecond
	}
	xs := pathXs(t, string(chart(pts, 720, 120, "x")))
	if len(xs) == 0 {
		t.Fatal("no line drawn")
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	if lo > 10 || hi < 710 {
		t.Errorf("line spans x %.1f..%.1f of 720, want the whole width", lo, hi)
	}
	// One point alone is a flat line across the chart, not a dot.
	xs = pathXs(t, string(chart(pts[95:], 720, 120, "x")))
	if len(xs) < 2 || xs[len(xs)-1]-xs[len(xs)-2] < 700 {
		t.Errorf("a single point draws x %v, want a line across the width", xs)
	}
}

func TestRollupSeries(t *testing.T) {
	rs := []store.HourlyRollup{
		{Hour: t0, Total: 60, P50: 10 * time.Millisecond, P95: 30 * time.Millisecond},
		{Hour: t0.Add(3 * time.Hour), Total: 60, Failed: 2, P50: 12 * time.Millisecond, P95: 40 * time.Millisecond},
	}
	s := rollupSeries(rs)
	if len(s.Points) != 4 || s.Points[1].Total != 0 || s.Points[2].Total != 0 || s.Points[3].V != [2]time.Duration{12 * time.Millisecond, 40 * time.Millisecond} || s.Points[3].Failed != 2 {
		t.Errorf("rollupSeries = %+v, want 4 hours with two gaps", s.Points)
	}
	svg := string(drawChart(s, 720, 120, "x"))
	if strings.Count(svg, "<path") != 2 || !strings.Contains(svg, `class="chart-p95"`) || !strings.Contains(svg, "2 of 60 failed") {
		t.Errorf("p50/p95 chart lacks its lines or failure mark: %s", svg)
	}
}

func TestRunSegments(t *testing.T) {
	end := t0.Add(10 * time.Minute)
	// Newest first: ok at 9, 8; down at 7, 6 ("503"); ok at 5; one before start.
	rs := []store.StoredResult{res(9, probe.OK, ""), res(8, probe.OK, ""), res(7, probe.Critical, "503"), res(6, probe.Critical, "503"), res(5, probe.OK, ""), res(-90, probe.Critical, "old")}
	segs := runSegments(rs, t0, end, 5*time.Minute)
	want := []struct {
		from, to int
		class    string
		title    string
	}{
		{5, 6, "tl-up", "ok × 1, Mar 1 14:05 UTC – Mar 1 14:06 UTC"},
		{6, 8, "tl-down", "failed × 2, Mar 1 14:06 UTC – Mar 1 14:08 UTC: 503"},
		{8, 10, "tl-up", "ok × 2, Mar 1 14:08 UTC – Mar 1 14:10 UTC"}, // the last check's interval, cut at end
	}
	if len(segs) != len(want) {
		t.Fatalf("segments %+v, want %d", segs, len(want))
	}
	for i, w := range want {
		s := segs[i]
		if !s.From.Equal(t0.Add(time.Duration(w.from)*time.Minute)) || !s.To.Equal(t0.Add(time.Duration(w.to)*time.Minute)) || s.Class != w.class || s.Title != w.title {
			t.Errorf("segment %d = %+v, want %+v", i, s, w)
		}
	}
	if segs := runSegments(nil, t0, end, time.Minute); len(segs) != 0 {
		t.Errorf("no results: %+v", segs)
	}
}

func TestBucketSegments(t *testing.T) {
	h := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
	pts := []store.LatencyPoint{{Time: h(0)}, {Time: h(1), Total: 60}, {Time: h(2), Total: 60, Failed: 3}, {Time: h(3), Total: 60, Failed: 60}}
	trans := []store.StoredTransition{
		{Transition: monitor.Transition{Time: h(2).Add(20 * time.Minute), From: monitor.StatusUp, To: monitor.StatusDown, Reason: "connection refused"}},
		{Transition: monitor.Transition{Time: h(2).Add(30 * time.Minute), From: monitor.StatusDown, To: monitor.StatusUp, Reason: "back"}},
		{Transition: monitor.Transition{Time: h(2).Add(10 * time.Minute), From: monitor.StatusUp, To: monitor.StatusDown, Reason: "timeout"}},
	}
	segs := bucketSegments(pts, h(4), trans)
	want := []struct{ class, title string }{
		{"tl-none", "Mar 1 14:00 UTC – Mar 1 15:00 UTC: no checks"},
		{"tl-up", "Mar 1 15:00 UTC – Mar 1 16:00 UTC: all 60 checks ok"},
		{"tl-part", "Mar 1 16:00 UTC – Mar 1 17:00 UTC: 3 of 60 checks failed: timeout"},
		{"tl-down", "Mar 1 17:00 UTC – Mar 1 18:00 UTC: 60 of 60 checks failed"},
	}
	if len(segs) != len(want) {
		t.Fatalf("segments %+v", segs)
	}
	for i, w := range want {
		if segs[i].Class != w.class || segs[i].Title != w.title || !segs[i].From.Equal(h(i)) || !segs[i].To.Equal(h(i+1)) {
			t.Errorf("segment %d = %+v, want %+v", i, segs[i], w)
		}
	}
}

func TestDrawTimeline(t *testing.T) {
	segs := []segment{
		{From: t0, To: t0.Add(time.Hour), Class: "tl-up", Title: "ok"},
		{From: t0.Add(time.Hour), To: t0.Add(time.Hour + time.Second), Class: "tl-down", Title: `<script>"x"`},
		{From: t0.Add(-time.Hour), To: t0.Add(-time.Minute), Class: "tl-up", Title: "before the bar"},
	}
	svg := string(drawTimeline(segs, t0, t0.Add(2*time.Hour), 720, 16, "bar"))
	for _, want := range []string{`<rect class="tl-up" x="0.00" y="0" width="360.00"`, `<rect class="tl-down" x="360.00" y="0" width="0.50"`, `&lt;script&gt;&#34;x&#34;`} {
		if !strings.Contains(svg, want) {
			t.Errorf("timeline lacks %s: %s", want, svg)
		}
	}
	if strings.Contains(svg, "before the bar") || strings.Contains(svg, "<script>") {
		t.Errorf("timeline draws a segment outside it or unescaped text: %s", svg)
	}
}
