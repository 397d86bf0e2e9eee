package ui

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Sizes of the lists on the monitor page.
const (
	monitorResultsPage      = 200
	monitorTransitionsShown = 20
	monitorAttemptsShown    = 20
	monitorChartPoints      = 96
	// monitorRawHistory is how many of the newest raw results the chart
	// and the 24-hour timeline draw check by check; beyond it they draw
	// buckets.
	monitorRawHistory = 1500
	// monitorReasonTransitions is how many recent state changes lend their
	// reasons to the hover texts of the hourly and daily timelines.
	monitorReasonTransitions = 500
)

type monitorData struct {
	webcore.MonitorView
	// Problem is the opening line: the monitor's state in words.
	Problem     template.HTML
	Target      string
	ServiceInfo webcore.ServiceInfo
	Up24h       float64
	Up7d        float64
	Up30d       float64
	Chart       template.HTML
	ChartInfo   chartSummary
	ChartNote   string
	Range       string
	Ranges      []rangeLink
	Timelines   []timelineBar
	Results     []store.StoredResult
	Groups      []resultGroup
	Before      int64
	NextURL     string
	Transitions []store.StoredTransition
	Attempts    []notify.Attempt
	Mail        *mailLoopData
	// Baselines are the recorded facts of an integrity check's files;
	// Drift is set while one of them differs.
	Baselines []store.Baseline
	Drift     bool
}

func (monitorData) refresh() bool { return true }

// handleMonitor renders "/monitors/{id}".
func (s *UI) handleMonitor(w http.ResponseWriter, r *http.Request, u store.User) error {
	id := r.PathValue("id")
	mv, ok := s.d.Runtime.Monitor(id)
	if !ok {
		if _, hb := s.d.Heartbeats.Heartbeat(id); hb {
			// Notifications link every monitor, heartbeats included, here.
			http.Redirect(w, r, heartbeatURL(id), http.StatusSeeOther)
			return nil
		}
		return errs.Errorf(errs.ENOTFOUND, "There is no monitor %q in the running configuration.", id)
	}
	page, err := webcore.PageParams(r)
	if err != nil {
		return err
	}
	page.Limit = monitorResultsPage
	ctx := r.Context()
	now := s.d.Now()
	data := monitorData{MonitorView: mv, Problem: clock{now: now, loc: viewerZone(r)}.monitorProblem(mv), Target: s.target(mv.Config), ServiceInfo: webcore.Service(s.d.Runtime, mv.Config.Service), Before: page.Before}
	for _, sp := range []struct {
		span time.Duration
		dst  *float64
	}{{24 * time.Hour, &data.Up24h}, {7 * 24 * time.Hour, &data.Up7d}, {30 * 24 * time.Hour, &data.Up30d}} {
		up, err := s.d.Store.Uptime(ctx, id, now.Add(-sp.span))
		if err != nil {
			return fmt.Errorf("reading uptime of monitor %q: %w", id, err)
		}
		*sp.dst = up.Ratio()
	}
	key := r.URL.Query().Get("range")
	if key == "" {
		key = defaultChartRange
	}
	rng, ok := chartRange(key)
	if !ok {
		return errs.Errorf(errs.EINVALID, "There is no range %q; the chart shows 1h, 24h, 7d or 30d.", key)
	}
	if err := s.history(ctx, &data, rng, now); err != nil {
		return fmt.Errorf("reading the history of monitor %q: %w", id, err)
	}
	if data.Mail, err = s.mailLoop(ctx, mv.Config, mv.LastResult, now); err != nil {
		return err
	}
	if data.Baselines, err = s.d.Store.Baselines(ctx, id); err != nil {
		return err
	}
	for _, b := range data.Baselines {
		data.Drift = data.Drift || b.Observed != nil
	}
	if data.Results, err = s.d.Store.Results(ctx, id, page); err != nil {
		return fmt.Errorf("reading results of monitor %q: %w", id, err)
	}
	data.Groups = groupResults(data.Results)
	if n := len(data.Results); n > 0 {
		if c := webcore.NextCursor(n, page.Limit, data.Results[n-1].ID); c != nil {
			data.NextURL = monitorURL(id) + "?before=" + *c
		}
	}
	data.Transitions = data.Transitions[:min(len(data.Transitions), monitorTransitionsShown)]
	if data.Attempts, err = s.d.Store.Attempts(ctx, id, store.Page{Limit: monitorAttemptsShown}); err != nil {
		return fmt.Errorf("reading notifications of monitor %q: %w", id, err)
	}
	title := mv.Config.Name
	if title == "" {
		title = mv.Config.ID
	}
	s.Render(w, r, http.StatusOK, "monitor.html", &u, title, data)
	return nil
}

// monitorURL is the UI path of a monitor.
func monitorURL(id string) string { return "/monitors/" + url.PathEscape(id) }

// rangeLink is one entry of the chart's range picker.
type rangeLink struct {
	Key     string
	URL     string
	Current bool
}

// history fills the latency chart for rng, the timeline bars and the
// recent state changes of data's monitor.
func (s *UI) history(ctx context.Context, data *monitorData, rng historyRange, now time.Time) error {
	id := data.Config.ID
	st := s.d.Store
	for _, r := range chartRanges {
		data.Ranges = append(data.Ranges, rangeLink{Key: r.Key, URL: monitorURL(id) + "?range=" + r.Key + "#latency", Current: r.Key == rng.Key})
	}
	data.Range = rng.Key
	raw, err := st.Results(ctx, id, store.Page{Limit: monitorRawHistory})
	if err != nil {
		return err
	}
	// rawCovers reports whether raw holds every result since t.
	rawCovers := func(t time.Time) bool {
		return len(raw) < monitorRawHistory || raw[len(raw)-1].Time.Before(t)
	}
	trans, err := st.Transitions(ctx, id, store.Page{Limit: monitorReasonTransitions})
	if err != nil {
		return err
	}
	data.Transitions = trans

	// The chart.
	since := now.Add(-rng.Span)
	var series chartSeries
	switch {
	case rng.Span <= 24*time.Hour && rawCovers(since):
		series = rawSeries(raw, since)
		data.ChartNote = "each check's duration"
	case rng.Span > 24*time.Hour:
		rollups, err := st.Rollups(ctx, id, since, now)
		if err != nil {
			return err
		}
		if series = rollupSeries(rollups); len(series.Points) > 0 {
			data.ChartNote = "hourly p50 and p95 from the rollups (complete hours only)"
			break
		}
		fallthrough
	default:
		n := monitorChartPoints
		pts, err := st.Latency(ctx, id, since, n)
		if err != nil {
			return err
		}
		series = bucketSeries(pts)
		data.ChartNote = "average per " + shortDuration(rng.Span/time.Duration(n))
	}
	data.Chart = drawChart(series, 720, 120, "Latency over the last "+rng.Key+": "+data.ChartNote+"; red bars mark failures")
	data.ChartInfo = summarizeSeries(series)

	// The timeline bars.
	interval := time.Duration(data.Config.Interval)
	for _, b := range []struct {
		label string
		span  time.Duration
		n     int // buckets when not drawn check by check
	}{{"24 h", 24 * time.Hour, 96}, {"7 d", 7 * 24 * time.Hour, 7 * 24}, {"30 d", 30 * 24 * time.Hour, 30}, {"90 d", 90 * 24 * time.Hour, 90}} {
		bar := timelineBar{Label: b.label, Start: now.Add(-b.span), End: now}
		if b.span <= 24*time.Hour && rawCovers(bar.Start) {
			bar.PerCheck = true
			bar.Segments = runSegments(raw, bar.Start, now, interval)
			for _, r := range raw {
				if !r.Time.Before(bar.Start) {
					bar.Total++
					if failed(r.Status) {
						bar.Failed++
					}
				}
			}
		} else {
			pts, err := st.Latency(ctx, id, bar.Start, b.n)
			if err != nil {
				return err
			}
			bar.Segments = bucketSegments(pts, now, trans)
			for _, p := range pts {
				bar.Total += p.Total
				bar.Failed += p.Failed
			}
		}
		bar.SVG = drawTimeline(bar.Segments, bar.Start, bar.End, 720, 16, "Up and down over the last "+b.label)
		data.Timelines = append(data.Timelines, bar)
	}
	return nil
}

// rawSeries is a one-line series of each result's duration since t,
// oldest first, from results newest first.
func rawSeries(rs []store.StoredResult, since time.Time) chartSeries {
	s := chartSeries{Lines: []string{"chart-line"}}
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i]
		if r.Time.Before(since) {
			continue
		}
		p := chartPoint{T: r.Time, V: [2]time.Duration{r.Duration}, Total: 1}
		if failed(r.Status) {
			p.Failed = 1
		}
		s.Points = append(s.Points, p)
	}
	return s
}

// rollupSeries is a two-line series, p50 and p95, of hourly rollups
// oldest first; hours missing between them are gaps.
func rollupSeries(rs []store.HourlyRollup) chartSeries {
	s := chartSeries{Lines: []string{"chart-line", "chart-p95"}}
	for i, r := range rs {
		if i > 0 {
			for h := rs[i-1].Hour.Add(time.Hour); h.Before(r.Hour); h = h.Add(time.Hour) {
				s.Points = append(s.Points, chartPoint{T: h})
			}
		}
		s.Points = append(s.Points, chartPoint{T: r.Hour, V: [2]time.Duration{r.P50, r.P95}, Total: r.Total, Failed: r.Failed})
	}
	return s
}
