package ui

import (
	"context"
	"fmt"
	"html/template"
	"strconv"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

func formatSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	switch {
	case d >= time.Minute:
		return d.Round(time.Second).String()
	case d >= time.Second:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}

// mailLoopData is the mail loop card: the counts of the last run and the
// delivery latency over the last 24 hours.
type mailLoopData struct {
	Sent, Received, Pending, Lost string
	Latency                       string
	Chart                         template.HTML
	// Peak and Average summarise the chart ("" without deliveries).
	Peak, Average string
}

// mailLoopResults bounds the results read for the latency chart: a day of
// runs every 90 seconds.
const mailLoopResults = 1000

// mailLoop builds the mail loop card of a mailloop monitor, nil for others.
func (s *UI) mailLoop(ctx context.Context, m config.Monitor, last *probe.Result, now time.Time) (*mailLoopData, error) {
	if m.Type != "mailloop" {
		return nil, nil
	}
	d := &mailLoopData{Sent: "–", Received: "–", Pending: "–", Lost: "–", Latency: "–"}
	if last != nil {
		for _, x := range last.Metrics {
			v := strconv.FormatFloat(x.Value, 'f', -1, 64)
			switch x.Name {
			case "sent":
				d.Sent = v
			case "received":
				d.Received = v
			case "pending":
				d.Pending = v
			case "lost":
				d.Lost = v
			case "delivery_latency":
				d.Latency = formatSeconds(x.Value)
			}
		}
	}
	rs, err := s.d.Store.Results(ctx, m.ID, store.Page{Limit: mailLoopResults})
	if err != nil {
		return nil, fmt.Errorf("reading results of monitor %q: %w", m.ID, err)
	}
	pts := latencySeries(rs, "delivery_latency", now.Add(-24*time.Hour), now, monitorChartPoints)
	d.Chart = chart(pts, 720, 120, "Mail delivery latency per 15 minutes over the last 24 hours; red bars mark failed runs")
	var peak, sum time.Duration
	n := 0
	for _, p := range pts {
		peak = max(peak, p.Max)
		sum += p.Avg * time.Duration(p.Total)
		n += p.Total
	}
	if n > 0 {
		d.Peak, d.Average = formatSeconds(peak.Seconds()), formatSeconds((sum / time.Duration(n)).Seconds())
	}
	return d, nil
}

// latencySeries buckets the named metric (in seconds) of results in
// [since, now) into n points, for chart. A failed result marks its bucket;
// results without the metric add nothing else.
func latencySeries(rs []store.StoredResult, metric string, since, now time.Time, n int) []store.LatencyPoint {
	pts := make([]store.LatencyPoint, n)
	width := now.Sub(since) / time.Duration(n)
	for i := range pts {
		pts[i].Time = since.Add(time.Duration(i) * width)
	}
	sums := make([]time.Duration, n)
	counts := make([]int, n)
	for _, r := range rs {
		if r.Time.Before(since) || !r.Time.Before(now) || width <= 0 {
			continue
		}
		i := min(int(r.Time.Sub(since)/width), n-1)
		if r.Failed() {
			pts[i].Failed++
		}
		for _, m := range r.Metrics {
			if m.Name == metric {
				v := time.Duration(m.Value * float64(time.Second))
				sums[i] += v
				counts[i]++
				pts[i].Max = max(pts[i].Max, v)
			}
		}
	}
	for i := range pts {
		pts[i].Total = counts[i]
		if counts[i] > 0 {
			pts[i].Avg = sums[i] / time.Duration(counts[i])
		}
	}
	return pts
}
