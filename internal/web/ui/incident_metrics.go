package ui

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/incident/stats"
	"github.com/tocsin/tocsin/internal/store"
)

// quantView is one measure of a table row: how many incidents it covers
// and its median and 90th percentile in words.
type quantView struct {
	N           int
	Median, P90 string
}

// metricsRow is one line of the tables of /incidents/metrics.
type metricsRow struct {
	Name                        string
	Count                       int
	Detect, Acknowledge         quantView
	Resolve                     quantView
	Monitor, Customer, Staff    string
	MonitorN, CustomerN, StaffN int
}

// weekView is one week of a chart's table.
type weekView struct {
	Start       time.Time
	N           int
	Median, P90 string
}

// measureChart is one measure drawn per week, with its table.
type measureChart struct {
	ID, Title string
	SVG       template.HTML
	Weeks     []weekView
}

type incidentMetricsData struct {
	Window   string
	Windows  []alertFilter
	From, To time.Time
	Overall  metricsRow
	Services []metricsRow
	Charts   []measureChart
}

// respTime says a duration the way responders talk about it: seconds
// under an hour ("4m30s"), minutes under a day ("2h15m"), then days and
// hours ("3d 4h").
func respTime(d time.Duration) string {
	switch {
	case d < time.Hour:
		return schedule.FormatDuration(d.Round(time.Second))
	case d < 24*time.Hour:
		return schedule.FormatDuration(d.Round(time.Minute))
	}
	d = d.Round(time.Hour)
	days, hours := d/(24*time.Hour), (d%(24*time.Hour))/time.Hour
	if hours == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd %dh", days, hours)
}

func toQuantView(q stats.Quantiles) quantView {
	v := quantView{N: q.N, Median: "—", P90: "—"}
	if q.N > 0 {
		v.Median, v.P90 = respTime(q.Median), respTime(q.P90)
	}
	return v
}

func toMetricsRow(name string, s stats.Summary) metricsRow {
	share := func(kind string) string {
		if s.Count == 0 {
			return "—"
		}
		return fmt.Sprintf("%.0f%%", 100*s.Share(kind))
	}
	return metricsRow{Name: name, Count: s.Count, Detect: toQuantView(s.Detect), Acknowledge: toQuantView(s.Acknowledge), Resolve: toQuantView(s.Resolve),
		Monitor: share(store.ReportedByMonitor), Customer: share(store.ReportedByCustomer), Staff: share(store.ReportedByStaff),
		MonitorN: s.ByKind[store.ReportedByMonitor], CustomerN: s.ByKind[store.ReportedByCustomer], StaffN: s.ByKind[store.ReportedByStaff]}
}

// weekChart draws one measure's median and 90th percentile per week: the
// weeks without an incident it applies to are gaps.
func weekChart(id, title string, weeks []stats.Week, pick func(stats.Summary) stats.Quantiles) measureChart {
	c := measureChart{ID: id, Title: title}
	series := chartSeries{Lines: []string{"chart-line", "chart-p95"}}
	var peak stats.Quantiles
	var peakWeek time.Time
	measured := 0
	for _, w := range weeks {
		q := pick(w.Summary)
		series.Points = append(series.Points, chartPoint{T: w.Start, V: [2]time.Duration{q.Median, q.P90}, Total: q.N})
		c.Weeks = append(c.Weeks, weekView{Start: w.Start, N: q.N, Median: toQuantView(q).Median, P90: toQuantView(q).P90})
		if q.N > 0 {
			measured++
			if q.P90 >= peak.P90 {
				peak, peakWeek = q, w.Start
			}
		}
	}
	label := fmt.Sprintf("%s per week over the last %d weeks: median (solid line) and 90th percentile (dashed line)", title, len(weeks))
	desc := "No incident in these weeks."
	if measured == 0 {
		series.Points = nil // drawn as the empty chart's dashed line
	} else {
		desc = fmt.Sprintf("%d of %d weeks had incidents; the highest 90th percentile was %s, in the week of %s.",
			measured, len(weeks), respTime(peak.P90), peakWeek.Format("2 January 2006"))
	}
	c.SVG = drawDescribedChart(series, 720, 120, label, desc)
	return c
}

// handleIncidentMetrics renders "/incidents/metrics": how incidents were
// answered over ?window= (30d, 90d, 365d; any number of days works),
// overall and per service, and per week over the last 12 weeks.
func (s *UI) handleIncidentMetrics(w http.ResponseWriter, r *http.Request, u store.User) error {
	name := r.URL.Query().Get("window")
	window, err := stats.ParseWindow(name)
	if err != nil {
		return err
	}
	name = fmt.Sprintf("%dd", int(window/(24*time.Hour)))
	now := s.d.Now()
	ins, err := s.d.Store.IncidentsOpened(r.Context(), stats.Since(now, window), now)
	if err != nil {
		return fmt.Errorf("reading incidents: %w", err)
	}
	v, _ := stats.Measure(ins, now, window, "")
	data := incidentMetricsData{Window: name, From: v.From, To: v.To, Overall: toMetricsRow("All services", v.Report.Overall)}
	for _, wn := range stats.Windows {
		data.Windows = append(data.Windows, alertFilter{Label: wn, URL: "/incidents/metrics?window=" + wn, Current: wn == name})
	}
	for _, ss := range v.Report.Services {
		data.Services = append(data.Services, toMetricsRow(ss.Service, ss.Summary))
	}
	data.Charts = []measureChart{
		weekChart("ttd", "Time to detect", v.Weeks, func(s stats.Summary) stats.Quantiles { return s.Detect }),
		weekChart("tta", "Time to acknowledge", v.Weeks, func(s stats.Summary) stats.Quantiles { return s.Acknowledge }),
		weekChart("ttr", "Time to resolve", v.Weeks, func(s stats.Summary) stats.Quantiles { return s.Resolve }),
	}
	s.Render(w, r, http.StatusOK, "incident_metrics.html", &u, "Incident metrics", data)
	return nil
}
