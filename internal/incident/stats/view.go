package stats

import (
	"slices"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// ChartWeeks is how many weeks the charts of response times show.
const ChartWeeks = 12

// View is what the metrics page, the API and /metrics show: a Report of
// the incidents opened from From to To, and the last ChartWeeks weeks.
type View struct {
	From, To time.Time
	Report   Report
	Weeks    []Week
}

// Since is the earliest opening time Measure needs incidents from: the
// start of the window or of the first charted week, whichever is older.
func Since(now time.Time, window time.Duration) time.Time {
	from := now.Add(-window)
	if w := WeekStart(now).AddDate(0, 0, -7*(ChartWeeks-1)); w.Before(from) {
		return w
	}
	return from
}

// Measure builds the View at now of the incidents opened since
// Since(now, window); service, when not "", keeps only that service's
// incidents. seen says whether any incident named the service.
func Measure(ins []store.Incident, now time.Time, window time.Duration, service string) (v View, seen bool) {
	if service != "" {
		ins = slices.DeleteFunc(slices.Clone(ins), func(in store.Incident) bool { return !slices.Contains(in.Services, service) })
	}
	v = View{From: now.Add(-window), To: now}
	var inWindow []store.Incident
	for _, in := range ins {
		if !in.OpenedAt.Before(v.From) && in.OpenedAt.Before(now) {
			inWindow = append(inWindow, in)
		}
	}
	v.Report = Compute(inWindow)
	if service != "" {
		// The service's incidents may name others too: show its own row only.
		v.Report.Services = slices.DeleteFunc(v.Report.Services, func(s ServiceSummary) bool { return s.Service != service })
	}
	v.Weeks = Weekly(ins, now, ChartWeeks)
	return v, service == "" || len(ins) > 0
}
