// Package stats measures how incidents were answered: how long it took to
// detect, acknowledge and resolve them, per service and overall, and who
// noticed first. It is a pure function of the store's incident rows.
//
// The three times are measured from the stored fields, all from
// DetectedAt (the first failing result, or the time a person reported
// the problem):
//
//   - time to detect (TTD) = OpenedAt − DetectedAt: how long the problem
//     went on before it was an incident in Tocsin;
//   - time to acknowledge (TTA) = AcknowledgedAt − DetectedAt, for
//     acknowledged incidents only;
//   - time to resolve (TTR) = ResolvedAt − DetectedAt, for resolved
//     incidents only.
//
// An incident without DetectedAt is measured from OpenedAt; a negative
// time (a report a few seconds "in the future") counts as 0.
package stats

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// Kinds are the reporter kinds a Summary counts, in the order shown.
var Kinds = []string{store.ReportedByMonitor, store.ReportedByCustomer, store.ReportedByStaff}

// Quantiles are the median and 90th percentile of one measure over the N
// incidents it applies to; both are 0 when N is 0.
type Quantiles struct {
	N           int
	Median, P90 time.Duration
}

// Summary describes a set of incidents.
type Summary struct {
	Count int
	// ByKind counts the incidents by who reported them (the keys of
	// Kinds); an incident of another kind counts in Count only.
	ByKind                       map[string]int
	Detect, Acknowledge, Resolve Quantiles
}

// Share is the fraction of the incidents reported by kind, 0 for none.
func (s Summary) Share(kind string) float64 {
	if s.Count == 0 {
		return 0
	}
	return float64(s.ByKind[kind]) / float64(s.Count)
}

// ServiceSummary is the Summary of one service's incidents.
type ServiceSummary struct {
	Service string
	Summary
}

// Week is the Summary of the incidents opened in the week from Start
// (a Monday, 00:00 UTC) to seven days later.
type Week struct {
	Start time.Time
	Summary
}

// Report is what a window of incidents says: overall, each incident once,
// and per service, an incident of several services in each of them.
type Report struct {
	Overall  Summary
	Services []ServiceSummary // sorted by service id
}

// Times returns an incident's time to detect, acknowledge and resolve;
// ok is false for a measure that does not apply yet.
func Times(in store.Incident) (detect, ack, resolve time.Duration, ackOK, resolveOK bool) {
	from := in.DetectedAt
	if from.IsZero() {
		from = in.OpenedAt
	}
	since := func(t time.Time) time.Duration { return max(t.Sub(from), 0) }
	detect = since(in.OpenedAt)
	if !in.AcknowledgedAt.IsZero() {
		ack, ackOK = since(in.AcknowledgedAt), true
	}
	if !in.ResolvedAt.IsZero() {
		resolve, resolveOK = since(in.ResolvedAt), true
	}
	return detect, ack, resolve, ackOK, resolveOK
}

// Summarize describes a set of incidents.
func Summarize(ins []store.Incident) Summary {
	s := Summary{Count: len(ins), ByKind: map[string]int{}}
	var detect, ack, resolve []time.Duration
	for _, in := range ins {
		if slices.Contains(Kinds, in.ReportedKind) {
			s.ByKind[in.ReportedKind]++
		}
		d, a, r, aok, rok := Times(in)
		detect = append(detect, d)
		if aok {
			ack = append(ack, a)
		}
		if rok {
			resolve = append(resolve, r)
		}
	}
	s.Detect, s.Acknowledge, s.Resolve = quantiles(detect), quantiles(ack), quantiles(resolve)
	return s
}

// Compute summarizes incidents overall and per service.
func Compute(ins []store.Incident) Report {
	per := map[string][]store.Incident{}
	for _, in := range ins {
		seen := map[string]bool{}
		for _, svc := range in.Services {
			if svc == "" || seen[svc] {
				continue
			}
			seen[svc] = true
			per[svc] = append(per[svc], in)
		}
	}
	r := Report{Overall: Summarize(ins), Services: []ServiceSummary{}}
	for _, svc := range slices.Sorted(maps.Keys(per)) {
		r.Services = append(r.Services, ServiceSummary{Service: svc, Summary: Summarize(per[svc])})
	}
	return r
}

// WeekStart is the Monday 00:00 UTC that starts the week holding t.
func WeekStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(day.Weekday()) + 6) % 7 // days since Monday
	return day.AddDate(0, 0, -back)
}

// Weekly summarizes incidents by the week they were opened in: n weeks,
// oldest first, the last one the week holding now. Incidents outside
// those weeks are left out; a week without incidents has Count 0.
func Weekly(ins []store.Incident, now time.Time, n int) []Week {
	if n <= 0 {
		return nil
	}
	first := WeekStart(now).AddDate(0, 0, -7*(n-1))
	buckets := make([][]store.Incident, n)
	for _, in := range ins {
		if in.OpenedAt.Before(first) {
			continue
		}
		i := int(in.OpenedAt.Sub(first) / (7 * 24 * time.Hour))
		if i >= n {
			continue
		}
		buckets[i] = append(buckets[i], in)
	}
	out := make([]Week, n)
	for i := range out {
		out[i] = Week{Start: first.AddDate(0, 0, 7*i), Summary: Summarize(buckets[i])}
	}
	return out
}

// quantiles returns the median and the 90th percentile of ds, linearly
// interpolated between the two nearest ranks (as spreadsheets and numpy
// do by default): the median of 1, 2, 3, 4 is 2.5.
func quantiles(ds []time.Duration) Quantiles {
	q := Quantiles{N: len(ds)}
	if len(ds) == 0 {
		return q
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	q.Median, q.P90 = quantile(sorted, 0.5), quantile(sorted, 0.9)
	return q
}

// quantile of sorted, which is not empty, for p in [0, 1].
func quantile(sorted []time.Duration, p float64) time.Duration {
	pos := p * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	frac := pos - float64(lo)
	return sorted[lo] + time.Duration(math.Round(frac*float64(sorted[hi]-sorted[lo])))
}

// Windows are the windows offered to choose from, in days; DefaultWindow
// is the one shown and exported when none is asked for.
var Windows = []string{"30d", "90d", "365d"}

// DefaultWindow is 90 days.
const DefaultWindow = 90 * 24 * time.Hour

// maxWindowDays bounds a window to ten years.
const maxWindowDays = 3660

// ParseWindow reads a window such as "90d": a whole number of days from
// 1 to 3660. "" is DefaultWindow.
func ParseWindow(s string) (time.Duration, error) {
	if s == "" {
		return DefaultWindow, nil
	}
	days, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
	if err != nil || !strings.HasSuffix(s, "d") || days < 1 || days > maxWindowDays {
		return 0, errs.Errorf(errs.EINVALID, "window %q is not a number of days such as 90d (1d to %dd)", s, maxWindowDays)
	}
	return time.Duration(days) * 24 * time.Hour, nil
}
