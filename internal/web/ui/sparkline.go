package ui

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// chart draws a latency series as inline SVG: a line of the average
// latency per bucket, gaps where a bucket had no results, and a red bar
// behind every bucket with a failed result. Colours come from classes in the
// stylesheet, so the CSP needs no inline styles. The output holds only
// numbers and fixed text, which is why it may be marked safe HTML.
func chart(points []store.LatencyPoint, width, height int, label string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" preserveAspectRatio="none">`,
		width, height, width, height, template.HTMLEscapeString(label))
	n := len(points)
	var peak time.Duration
	for _, p := range points {
		if p.Total > 0 && p.Avg > peak {
			peak = p.Avg
		}
	}
	if n == 0 {
		b.WriteString(`<line class="chart-empty" x1="0" y1="` + strconv.Itoa(height-1) + `" x2="` + strconv.Itoa(width) + `" y2="` + strconv.Itoa(height-1) + `"/></svg>`)
		return template.HTML(b.String())
	}
	step := float64(width) / float64(n)
	pad := 2.0
	usable := float64(height) - 2*pad
	for i, p := range points {
		if p.Failed > 0 {
			fmt.Fprintf(&b, `<rect class="chart-bad" x="%.1f" y="0" width="%.1f" height="%d"><title>%d of %d failed</title></rect>`,
				float64(i)*step, max(step, 1), height, p.Failed, p.Total)
		}
	}
	var d strings.Builder
	pen := false
	for i, p := range points {
		if p.Total == 0 {
			pen = false
			continue
		}
		x := float64(i)*step + step/2
		y := float64(height) - pad
		if peak > 0 {
			y -= usable * float64(p.Avg) / float64(peak)
		}
		if pen {
			fmt.Fprintf(&d, "L%.1f %.1f", x, y)
		} else {
			fmt.Fprintf(&d, "M%.1f %.1f", x, y)
			pen = true
			// A lone point would be invisible as a path; a short flat
			// segment makes it show.
			if i+1 >= n || points[i+1].Total == 0 {
				fmt.Fprintf(&d, "L%.1f %.1f", x+max(step/2, 1), y)
			}
		}
	}
	if d.Len() > 0 {
		b.WriteString(`<path class="chart-line" d="` + d.String() + `"/>`)
	} else {
		b.WriteString(`<line class="chart-empty" x1="0" y1="` + strconv.Itoa(height-1) + `" x2="` + strconv.Itoa(width) + `" y2="` + strconv.Itoa(height-1) + `"/>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// chartSummary is the text under a chart: how many results it draws, the
// highest bucket average and the latest one, so the picture has a scale.
type chartSummary struct {
	Results int
	Failed  int
	Peak    time.Duration
	Latest  time.Duration
}

func summarize(points []store.LatencyPoint) chartSummary {
	var c chartSummary
	for _, p := range points {
		if p.Total == 0 {
			continue
		}
		c.Results += p.Total
		c.Failed += p.Failed
		c.Peak = max(c.Peak, p.Avg)
		c.Latest = p.Avg
	}
	return c
}
