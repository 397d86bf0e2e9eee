package ui

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// chartPoint is one x position of a chart: its time, the value of each
// line (V[0] the main line, V[1] the second line when there is one), and
// how many results it stands for and how many of them failed. A point with
// Total 0 is a gap: the lines break there.
type chartPoint struct {
	T      time.Time
	V      [2]time.Duration
	Total  int
	Failed int
}

// chartSeries is what a chart draws: points oldest first and the classes
// of its lines (one or two).
type chartSeries struct {
	Points []chartPoint
	Lines  []string
}

// bucketSeries turns latency buckets into a one-line series of their
// averages, trimmed to the buckets from the first to the last one holding
// results: the chart spans the data that exists, not the empty hours
// before a monitor's first run.
func bucketSeries(points []store.LatencyPoint) chartSeries {
	lo, hi := -1, -1
	for i, p := range points {
		if p.Total > 0 {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	s := chartSeries{Lines: []string{"chart-line"}}
	if lo < 0 {
		return s
	}
	for _, p := range points[lo : hi+1] {
		s.Points = append(s.Points, chartPoint{T: p.Time, V: [2]time.Duration{p.Avg}, Total: p.Total, Failed: p.Failed})
	}
	return s
}

// scaleX places times across [pad, width-pad]: the oldest at the left
// edge, the newest at the right, in proportion between. One time (or
// several equal ones) sits in the middle.
func scaleX(ts []time.Time, width, pad float64) []float64 {
	if len(ts) == 0 {
		return nil
	}
	xs := make([]float64, len(ts))
	first, last := ts[0], ts[len(ts)-1]
	span := last.Sub(first)
	for i, t := range ts {
		if span <= 0 {
			xs[i] = width / 2
			continue
		}
		xs[i] = pad + (width-2*pad)*float64(t.Sub(first))/float64(span)
	}
	return xs
}

// chart draws latency buckets as inline SVG; see drawChart.
func chart(points []store.LatencyPoint, width, height int, label string) template.HTML {
	return drawChart(bucketSeries(points), width, height, label)
}

// drawChart draws a series as inline SVG: its lines scaled to the highest
// value, gaps where a point has no results, and a red bar behind every
// point with a failed result. The x axis runs from the oldest point to the
// newest, so three results fill the width as well as three thousand; a
// single point is drawn as a flat line across the chart. Colours come from
// classes in the stylesheet, so the CSP needs no inline styles. The output
// holds only numbers and fixed text, which is why it may be marked safe
// HTML.
func drawChart(s chartSeries, width, height int, label string) template.HTML {
	return drawDescribedChart(s, width, height, label, "")
}

// drawDescribedChart is drawChart with a longer description: when desc is
// not empty, the label and desc become the SVG's title and desc, which
// screen readers read out and browsers show on hover.
func drawDescribedChart(s chartSeries, width, height int, label, desc string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" preserveAspectRatio="none">`,
		width, height, width, height, template.HTMLEscapeString(label))
	if desc != "" {
		fmt.Fprintf(&b, `<title>%s</title><desc>%s</desc>`, template.HTMLEscapeString(label), template.HTMLEscapeString(desc))
	}
	var peak time.Duration
	ts := make([]time.Time, len(s.Points))
	for i, p := range s.Points {
		ts[i] = p.T
		if p.Total > 0 {
			peak = max(peak, p.V[0], p.V[1])
		}
	}
	if len(s.Points) == 0 {
		fmt.Fprintf(&b, `<line class="chart-empty" x1="0" y1="%d" x2="%d" y2="%d"/></svg>`, height-1, width, height-1)
		return template.HTML(b.String())
	}
	const pad = 2.0
	w, h := float64(width), float64(height)
	xs := scaleX(ts, w, pad)
	for i, p := range s.Points {
		if p.Failed == 0 {
			continue
		}
		// The bar reaches halfway to each neighbour.
		l, r := 0.0, w
		if i > 0 {
			l = (xs[i-1] + xs[i]) / 2
		}
		if i+1 < len(xs) {
			r = (xs[i] + xs[i+1]) / 2
		}
		if r-l < 2 {
			l, r = xs[i]-1, xs[i]+1
		}
		fmt.Fprintf(&b, `<rect class="chart-bad" x="%.1f" y="0" width="%.1f" height="%d"><title>%d of %d failed</title></rect>`,
			l, r-l, height, p.Failed, p.Total)
	}
	y := func(v time.Duration) float64 {
		if peak <= 0 {
			return h - pad
		}
		return h - pad - (h-2*pad)*float64(v)/float64(peak)
	}
	for li := len(s.Lines) - 1; li >= 0; li-- {
		var d strings.Builder
		pen := false
		for i, p := range s.Points {
			if p.Total == 0 {
				pen = false
				continue
			}
			x, yv := xs[i], y(p.V[li])
			if pen {
				fmt.Fprintf(&d, "L%.1f %.1f", x, yv)
				continue
			}
			fmt.Fprintf(&d, "M%.1f %.1f", x, yv)
			pen = true
			// A lone point would be invisible as a path: alone in the
			// chart it spans the width, between gaps it gets a short
			// flat segment.
			if len(s.Points) == 1 {
				fmt.Fprintf(&d, "M%.1f %.1fL%.1f %.1f", pad, yv, w-pad, yv)
			} else if i+1 >= len(s.Points) || s.Points[i+1].Total == 0 {
				fmt.Fprintf(&d, "L%.1f %.1f", min(x+2, w), yv)
			}
		}
		b.WriteString(`<path class="` + s.Lines[li] + `" d="` + d.String() + `"/>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// chartSummary is the text under a chart: how many results it draws, the
// highest value and the latest one, and the times of its first and last
// point, so the picture has a scale.
type chartSummary struct {
	Results     int
	Failed      int
	Peak        time.Duration
	Latest      time.Duration
	First, Last time.Time
}

func summarize(points []store.LatencyPoint) chartSummary {
	return summarizeSeries(bucketSeries(points))
}

// summarizeSeries sums a series; Peak is the highest value of any line,
// as the chart is scaled to it, and Latest the main line's last value.
func summarizeSeries(s chartSeries) chartSummary {
	var c chartSummary
	for _, p := range s.Points {
		if p.Total == 0 {
			continue
		}
		if c.Results == 0 {
			c.First = p.T
		}
		c.Last = p.T
		c.Results += p.Total
		c.Failed += p.Failed
		c.Peak = max(c.Peak, p.V[0], p.V[1])
		c.Latest = p.V[0]
	}
	return c
}
