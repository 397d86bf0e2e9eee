package stats

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// t0 is a Wednesday.
var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

// inc builds an incident detected at t0+at, opened open minutes later,
// acknowledged and resolved ack and res minutes after detection (-1 for
// not yet).
func inc(at time.Duration, kind string, open, ack, res int, services ...string) store.Incident {
	d := t0.Add(at)
	in := store.Incident{DetectedAt: d, OpenedAt: d.Add(time.Duration(open) * time.Minute), ReportedKind: kind, Services: services}
	if ack >= 0 {
		in.AcknowledgedAt = d.Add(time.Duration(ack) * time.Minute)
	}
	if res >= 0 {
		in.ResolvedAt = d.Add(time.Duration(res) * time.Minute)
	}
	return in
}

func TestSummarizeEmpty(t *testing.T) {
	s := Summarize(nil)
	want := Summary{ByKind: map[string]int{}}
	if d := cmp.Diff(want, s); d != "" {
		t.Errorf("empty summary (-want +got):\n%s", d)
	}
	if s.Share(store.ReportedByCustomer) != 0 {
		t.Errorf("share of nothing = %v", s.Share(store.ReportedByCustomer))
	}
}

func TestSummarize(t *testing.T) {
	m := time.Minute
	ins := []store.Incident{
		inc(0, store.ReportedByMonitor, 1, 4, 30, "shop"),
		inc(0, store.ReportedByMonitor, 2, 6, 60, "shop"),
		inc(0, store.ReportedByCustomer, 30, 35, -1, "shop", "db"), // unresolved
		inc(0, store.ReportedByStaff, 4, -1, -1, "db"),             // neither acknowledged nor resolved
	}
	got := Summarize(ins)
	want := Summary{
		Count:  4,
		ByKind: map[string]int{store.ReportedByMonitor: 2, store.ReportedByCustomer: 1, store.ReportedByStaff: 1},
		// Detect 1, 2, 4, 30: median (2+4)/2 = 3; p90 at rank 2.7 = 4 + 0.7×26 = 22.2.
		Detect: Quantiles{N: 4, Median: 3 * m, P90: 22*m + 12*time.Second},
		// Acknowledge 4, 6, 35: median 6; p90 at rank 1.8 = 6 + 0.8×29 = 29.2.
		Acknowledge: Quantiles{N: 3, Median: 6 * m, P90: 29*m + 12*time.Second},
		// Resolve 30, 60: median 45; p90 at rank 0.9 = 30 + 0.9×30 = 57.
		Resolve: Quantiles{N: 2, Median: 45 * m, P90: 57 * m},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
	if got.Share(store.ReportedByMonitor) != 0.5 || got.Share(store.ReportedByCustomer) != 0.25 {
		t.Errorf("shares: monitor %v, customer %v", got.Share(store.ReportedByMonitor), got.Share(store.ReportedByCustomer))
	}
}

func TestTimesEdgeCases(t *testing.T) {
	// Without DetectedAt the incident is measured from OpenedAt; a
	// report "in the future" of the declaration counts as 0.
	in := store.Incident{OpenedAt: t0, AcknowledgedAt: t0.Add(time.Minute)}
	if d, a, _, aok, rok := Times(in); d != 0 || a != time.Minute || !aok || rok {
		t.Errorf("no DetectedAt: %v %v %v %v", d, a, aok, rok)
	}
	in = store.Incident{OpenedAt: t0, DetectedAt: t0.Add(30 * time.Second)}
	if d, _, _, _, _ := Times(in); d != 0 {
		t.Errorf("detected after opening: TTD %v, want 0", d)
	}
}

func TestCompute(t *testing.T) {
	ins := []store.Incident{
		inc(0, store.ReportedByMonitor, 1, 4, 30, "shop"),
		inc(0, store.ReportedByCustomer, 30, 35, -1, "shop", "db", "shop"),
		inc(0, store.ReportedByStaff, 4, -1, -1), // no service
	}
	r := Compute(ins)
	if r.Overall.Count != 3 {
		t.Errorf("overall count %d, want 3", r.Overall.Count)
	}
	var got []string
	for _, s := range r.Services {
		got = append(got, s.Service)
		switch s.Service {
		case "shop":
			if s.Count != 2 || s.Detect.Median != 15*time.Minute+30*time.Second || s.Resolve != (Quantiles{N: 1, Median: 30 * time.Minute, P90: 30 * time.Minute}) {
				t.Errorf("shop: %+v", s.Summary)
			}
		case "db":
			if s.Count != 1 || s.Share(store.ReportedByCustomer) != 1 || s.Resolve.N != 0 {
				t.Errorf("db: %+v", s.Summary)
			}
		}
	}
	if d := cmp.Diff([]string{"db", "shop"}, got); d != "" {
		t.Errorf("services (-want +got):\n%s", d)
	}
	if r := Compute(nil); r.Overall.Count != 0 || len(r.Services) != 0 || r.Services == nil {
		t.Errorf("empty report: %+v", r)
	}
}

func TestWeekStart(t *testing.T) {
	for in, want := range map[time.Time]time.Time{
		t0: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC):                    time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 6, 23, 59, 0, 0, time.UTC):                   time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 7, 0, 30, 0, 0, time.FixedZone("CET", 3600)): time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
	} {
		if got := WeekStart(in); !got.Equal(want) {
			t.Errorf("WeekStart(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestWeekly(t *testing.T) {
	day := 24 * time.Hour
	ins := []store.Incident{
		inc(-30*day, store.ReportedByMonitor, 1, 2, 3), // before the 3 weeks
		inc(-10*day, store.ReportedByMonitor, 2, 4, 6), // week of Nov 16
		inc(-11*day, store.ReportedByCustomer, 4, 8, 12),
		inc(0, store.ReportedByStaff, 10, -1, -1),    // this week
		inc(6*day, store.ReportedByStaff, 1, -1, -1), // after now's week
	}
	w := Weekly(ins, t0, 3)
	if len(w) != 3 {
		t.Fatalf("%d weeks, want 3", len(w))
	}
	starts := []time.Time{time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}
	for i, s := range starts {
		if !w[i].Start.Equal(s) {
			t.Errorf("week %d starts %v, want %v", i, w[i].Start, s)
		}
	}
	if w[0].Count != 2 || w[0].Detect.Median != 3*time.Minute || w[0].Resolve.P90 != 11*time.Minute+24*time.Second {
		t.Errorf("week 0: %+v", w[0].Summary)
	}
	if w[1].Count != 0 || w[1].Detect.N != 0 {
		t.Errorf("week 1 should be empty: %+v", w[1].Summary)
	}
	if w[2].Count != 1 || w[2].Detect.Median != 10*time.Minute || w[2].Acknowledge.N != 0 {
		t.Errorf("week 2: %+v", w[2].Summary)
	}
	if Weekly(ins, t0, 0) != nil {
		t.Error("zero weeks should be none")
	}
}

func TestParseWindow(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 90 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "365d": 365 * 24 * time.Hour, "1d": 24 * time.Hour} {
		if got, err := ParseWindow(in); err != nil || got != want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0d", "90", "90h", "d", "-5d", "3661d", "1.5d", "ninety"} {
		if _, err := ParseWindow(in); errs.Code(err) != errs.EINVALID {
			t.Errorf("ParseWindow(%q): %v, want EINVALID", in, err)
		}
	}
}

func TestMeasure(t *testing.T) {
	day := 24 * time.Hour
	now := t0.Add(time.Hour)
	ins := []store.Incident{
		inc(-200*day, store.ReportedByMonitor, 1, 2, 3, "shop"), // outside 90d, outside the charts
		inc(-85*day, store.ReportedByMonitor, 1, 2, 3, "shop"),  // inside 90d, outside the charts
		inc(-20*day, store.ReportedByCustomer, 20, 25, 90, "shop", "db"),
		inc(-2*day, store.ReportedByStaff, 5, -1, -1, "db"),
	}
	if got, want := Since(now, 30*day), time.Date(2026, 9, 14, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Since 30d = %v, want the first charted week %v", got, want)
	}
	if got, want := Since(now, 90*day), now.Add(-90*day); !got.Equal(want) {
		t.Errorf("Since 90d = %v, want %v", got, want)
	}
	v, seen := Measure(ins, now, 90*day, "")
	if !seen || v.Report.Overall.Count != 3 || len(v.Report.Services) != 2 || len(v.Weeks) != ChartWeeks || !v.From.Equal(now.Add(-90*day)) || !v.To.Equal(now) {
		t.Fatalf("all services: seen %v, %+v", seen, v)
	}
	var charted int
	for _, w := range v.Weeks {
		charted += w.Count
	}
	if charted != 2 {
		t.Errorf("the charts hold %d incidents, want 2", charted)
	}
	v, seen = Measure(ins, now, 30*day, "shop")
	if !seen || v.Report.Overall.Count != 1 || len(v.Report.Services) != 1 || v.Report.Services[0].Service != "shop" ||
		v.Report.Overall.Resolve != (Quantiles{N: 1, Median: 90 * time.Minute, P90: 90 * time.Minute}) {
		t.Errorf("shop over 30d: seen %v, %+v", seen, v.Report)
	}
	if _, seen := Measure(ins, now, 30*day, "nope"); seen {
		t.Error("an unknown service was seen")
	}
}
