package disk

import (
	"math"
	"time"
)

// Sample is the used space of one filesystem at one instant.
type Sample struct {
	Time time.Time
	Used float64 // bytes
}

// Projection is where a filesystem's use is heading.
type Projection struct {
	// Rate is the growth of used space in bytes per second, above zero.
	Rate float64
	// Span is the time from the first sample to the last.
	Span time.Duration
	// TimeToFull is how long from the last sample until the filesystem is
	// full at Rate; zero when it is full already.
	TimeToFull time.Duration
}

// The forecast needs enough points and time for a line through them to be
// a trend: five runs, spanning at least a quarter of the window (15 minutes
// of a 1h window), so that the first minutes after a start or a reload and
// one large file written at once do not page.
const (
	MinForecastSamples = 5
	minSpanOfWindow    = 4 // the span must be at least window / minSpanOfWindow
)

// Project fits used = a + rate·t to samples (oldest first) by least squares
// and, when the filesystem is filling, says how long until used reaches
// capacity (bytes) from the last sample. ok is false when there are too few
// samples or too short a span for a forecast, or when use is flat or
// shrinking.
func Project(samples []Sample, capacity float64, window time.Duration) (p Projection, ok bool) {
	n := len(samples)
	if n < MinForecastSamples {
		return Projection{}, false
	}
	span := samples[n-1].Time.Sub(samples[0].Time)
	if span <= 0 || span < window/minSpanOfWindow {
		return Projection{}, false
	}
	// Seconds since the first sample, centred on their mean, keep the sums
	// small enough that float64 loses nothing that matters.
	t0 := samples[0].Time
	var meanT, meanU float64
	for _, s := range samples {
		meanT += s.Time.Sub(t0).Seconds()
		meanU += s.Used
	}
	meanT /= float64(n)
	meanU /= float64(n)
	var sxy, sxx float64
	for _, s := range samples {
		dt := s.Time.Sub(t0).Seconds() - meanT
		sxy += dt * (s.Used - meanU)
		sxx += dt * dt
	}
	if sxx == 0 {
		return Projection{}, false
	}
	rate := sxy / sxx
	if !(rate > 0) || math.IsInf(rate, 0) {
		return Projection{}, false
	}
	left := capacity - samples[n-1].Used
	ttf := time.Duration(0)
	if left > 0 {
		secs := left / rate
		if secs >= float64(math.MaxInt64/int64(time.Second)) {
			return Projection{}, false // centuries away: no forecast worth telling
		}
		ttf = time.Duration(secs * float64(time.Second))
	}
	return Projection{Rate: rate, Span: span, TimeToFull: ttf}, true
}

// series keeps one filesystem's recent samples for the forecast, bounded:
// at most maxSamples per window, older ones than the window dropped.
type series struct {
	samples  []Sample
	capacity float64 // bytes; a change (a resize) starts the series afresh
}

// maxSamples bounds the samples kept per filesystem whatever the interval:
// a line through 256 points is as good as through thousands, and a host
// with many mounts checked every second keeps a few kilobytes each.
const maxSamples = 256

// add records s, drops samples older than the window and keeps at most
// maxSamples in it by skipping samples closer than window/maxSamples to the
// last kept one.
func (r *series) add(s Sample, capacity float64, window time.Duration) {
	if capacity != r.capacity {
		r.samples, r.capacity = r.samples[:0], capacity
	}
	if n := len(r.samples); n > 0 {
		last := r.samples[n-1].Time
		if s.Time.Before(last) {
			r.samples = r.samples[:0] // the clock went back: start again
		} else if s.Time.Sub(last) < window/maxSamples {
			return
		}
	}
	r.samples = append(r.samples, s)
	cut := 0
	for cut < len(r.samples) && s.Time.Sub(r.samples[cut].Time) > window {
		cut++
	}
	if cut > 0 {
		r.samples = append(r.samples[:0], r.samples[cut:]...)
	}
}
