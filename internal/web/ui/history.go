package ui

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// resultGroup is a run of consecutive results with the same status and
// reason, newest first like the list it comes from.
type resultGroup struct {
	Status probe.Status
	Reason string
	// Newest and Oldest are the times of the run's ends.
	Newest, Oldest time.Time
	Results        []store.StoredResult
}

// Count is how many results the run holds.
func (g resultGroup) Count() int { return len(g.Results) }

// groupResults folds consecutive results with the same status and reason
// into one group each, keeping their order. It groups only what it is
// given, so a run that crosses a page boundary shows as two groups.
func groupResults(rs []store.StoredResult) []resultGroup {
	var out []resultGroup
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].Status == r.Status && out[n-1].Reason == r.Reason {
			out[n-1].Results = append(out[n-1].Results, r)
			out[n-1].Oldest = r.Time
			continue
		}
		out = append(out, resultGroup{Status: r.Status, Reason: r.Reason, Newest: r.Time, Oldest: r.Time, Results: []store.StoredResult{r}})
	}
	return out
}

// historyRange is one span the monitor page can show.
type historyRange struct {
	Key  string // the value of ?range=
	Span time.Duration
}

// chartRanges are the spans of the latency chart's picker.
var chartRanges = [...]historyRange{{"1h", time.Hour}, {"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}}

const defaultChartRange = "24h"

// chartRange returns the picker entry named key, or false.
func chartRange(key string) (historyRange, bool) {
	for _, r := range chartRanges {
		if r.Key == key {
			return r, true
		}
	}
	return historyRange{}, false
}

// segment is one coloured stretch of a timeline bar: [From, To), a class
// (tl-up, tl-warn, tl-part for some failures, tl-down, tl-none without
// results) and the text shown on hover.
type segment struct {
	From, To time.Time
	Class    string
	Title    string
}

// timelineBar is one up/down bar with the counts behind its summary.
type timelineBar struct {
	Label      string // "24 h"
	Start, End time.Time
	Segments   []segment
	Total      int
	Failed     int
	PerCheck   bool // segments are runs of single checks, not hours or days
	SVG        template.HTML
}

// Ratio is the share of good checks, or -1 without any.
func (t timelineBar) Ratio() float64 {
	return store.Uptime{Total: t.Total, Failed: t.Failed}.Ratio()
}

// failed reports whether a status counts as a failure, as uptime counts it.
func failed(s probe.Status) bool { return s >= probe.Critical }

// statusClass is the timeline class of one check's status.
func statusClass(s probe.Status) string {
	switch {
	case failed(s):
		return "tl-down"
	case s == probe.Warning:
		return "tl-warn"
	default:
		return "tl-up"
	}
}

// runSegments turns results, newest first, into one segment per run of
// equal status and reason: a run lasts from its oldest check to the next
// run's first check, and the newest run until its last check plus one
// interval (never past end). Results before start are left out.
func runSegments(rs []store.StoredResult, start, end time.Time, interval time.Duration) []segment {
	var in []store.StoredResult
	for _, r := range rs {
		if !r.Time.Before(start) && r.Time.Before(end) {
			in = append(in, r)
		}
	}
	groups := groupResults(in)
	segs := make([]segment, 0, len(groups))
	to := end
	if len(groups) > 0 {
		to = minTime(groups[0].Newest.Add(interval), end)
	}
	for _, g := range groups {
		word := "ok"
		if failed(g.Status) {
			word = "failed"
		} else if g.Status == probe.Warning {
			word = "warning"
		}
		title := fmt.Sprintf("%s × %d, %s – %s", word, g.Count(), utcStamp(g.Oldest), utcStamp(to))
		if g.Reason != "" {
			title += ": " + g.Reason
		}
		segs = append(segs, segment{From: g.Oldest, To: to, Class: statusClass(g.Status), Title: title})
		to = g.Oldest
	}
	// Oldest first, as the bar is drawn.
	for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
		segs[i], segs[j] = segs[j], segs[i]
	}
	return segs
}

// bucketSegments turns latency buckets of equal width into one segment
// each. A bucket with failures takes the reason of the first failing state
// change inside it, when transitions (any order) hold one.
func bucketSegments(points []store.LatencyPoint, end time.Time, transitions []store.StoredTransition) []segment {
	segs := make([]segment, 0, len(points))
	for i, p := range points {
		to := end
		if i+1 < len(points) {
			to = points[i+1].Time
		}
		s := segment{From: p.Time, To: to}
		span := utcStamp(p.Time) + " – " + utcStamp(to)
		switch {
		case p.Total == 0:
			s.Class, s.Title = "tl-none", span+": no checks"
		case p.Failed == 0:
			s.Class, s.Title = "tl-up", fmt.Sprintf("%s: all %d checks ok", span, p.Total)
		default:
			s.Class = "tl-part"
			if p.Failed == p.Total {
				s.Class = "tl-down"
			}
			s.Title = fmt.Sprintf("%s: %d of %d checks failed", span, p.Failed, p.Total)
			if r := failureReason(transitions, p.Time, to); r != "" {
				s.Title += ": " + r
			}
		}
		segs = append(segs, s)
	}
	return segs
}

// failureReason is the reason of the earliest transition to down in
// [from, to), or "".
func failureReason(ts []store.StoredTransition, from, to time.Time) string {
	var best store.StoredTransition
	for _, t := range ts {
		if t.To != monitor.StatusDown || t.Time.Before(from) || !t.Time.Before(to) {
			continue
		}
		if best.Time.IsZero() || t.Time.Before(best.Time) {
			best = t
		}
	}
	return best.Reason
}

// drawTimeline draws segments as an SVG bar across [start, end): each
// segment a rectangle in proportion to its time, with its title shown on
// hover. Stretches without a segment stay the bar's background colour.
func drawTimeline(segs []segment, start, end time.Time, width, height int, label string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" preserveAspectRatio="none">`,
		width, height, width, height, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<rect class="tl-bg" x="0" y="0" width="%d" height="%d"/>`, width, height)
	span := float64(end.Sub(start))
	if span > 0 {
		for _, s := range segs {
			x0 := float64(width) * float64(s.From.Sub(start)) / span
			x1 := float64(width) * float64(s.To.Sub(start)) / span
			x0, x1 = max(x0, 0), min(x1, float64(width))
			if x1 <= x0 {
				continue
			}
			// Every segment stays visible, however short.
			fmt.Fprintf(&b, `<rect class="%s" x="%.2f" y="0" width="%.2f" height="%d"><title>%s</title></rect>`,
				s.Class, x0, max(x1-x0, 0.5), height, template.HTMLEscapeString(s.Title))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// utcStamp formats a time for a hover text, in UTC: "Mar 1 14:03 UTC".
func utcStamp(t time.Time) string { return t.UTC().Format("Jan 2 15:04 UTC") }

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
