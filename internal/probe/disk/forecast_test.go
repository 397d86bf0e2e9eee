package disk

import (
	"math"
	"testing"
	"time"
)

const gib = 1 << 30

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// line makes n samples every step, starting at used bytes and growing by
// perHour, plus noise(i).
func line(n int, step time.Duration, used, perHour float64, noise func(i int) float64) []Sample {
	out := make([]Sample, n)
	for i := range out {
		at := time.Duration(i) * step
		u := used + perHour*at.Hours()
		if noise != nil {
			u += noise(i)
		}
		out[i] = Sample{Time: t0.Add(at), Used: u}
	}
	return out
}

func TestProject(t *testing.T) {
	capacity := 100.0 * gib
	for _, tc := range []struct {
		name    string
		samples []Sample
		window  time.Duration
		ok      bool
		rate    float64 // bytes per hour expected, within 5%
		ttf     time.Duration
	}{
		{name: "steady growth", window: time.Hour, ok: true, rate: 2 * gib,
			// 61 samples a minute apart from 80 GiB at 2 GiB/h: 82 GiB at
			// the last, 18 GiB left, 9h to full.
			samples: line(61, time.Minute, 80*gib, 2*gib, nil), ttf: 9 * time.Hour},
		{name: "shrinking", window: time.Hour, samples: line(61, time.Minute, 80*gib, -2*gib, nil)},
		{name: "flat", window: time.Hour, samples: line(61, time.Minute, 80*gib, 0, nil)},
		{name: "noisy growth", window: time.Hour, ok: true, rate: 2 * gib, ttf: 9 * time.Hour,
			samples: line(61, time.Minute, 80*gib, 2*gib, func(i int) float64 { return float64((i*7)%5-2) * 0.05 * gib })},
		{name: "too few samples", window: time.Hour, samples: line(MinForecastSamples-1, 15*time.Minute, 80*gib, 2*gib, nil)},
		{name: "too short a span", window: time.Hour, samples: line(20, 10*time.Second, 80*gib, 2*gib, nil)},
		{name: "full already", window: time.Hour, ok: true, rate: 2 * gib, ttf: 0,
			samples: line(61, time.Minute, 99*gib, 2*gib, nil)},
		{name: "empty", window: time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := Project(tc.samples, capacity, tc.window)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tc.ok, p)
			}
			if !ok {
				return
			}
			if got := p.Rate * 3600; math.Abs(got-tc.rate) > 0.05*tc.rate {
				t.Errorf("rate = %.3g B/h, want %.3g", got, tc.rate)
			}
			if d := p.TimeToFull - tc.ttf; d < -15*time.Minute || d > 15*time.Minute {
				t.Errorf("time to full = %s, want about %s", p.TimeToFull, tc.ttf)
			}
			if p.Span != tc.samples[len(tc.samples)-1].Time.Sub(tc.samples[0].Time) {
				t.Errorf("span = %s", p.Span)
			}
		})
	}
}

func TestNoisyFlatIsNoAlarm(t *testing.T) {
	s := line(61, time.Minute, 50*gib, 0, func(i int) float64 { return float64(i%2*2-1) * 0.5 * gib })
	if p, ok := Project(s, 100*gib, time.Hour); ok && p.TimeToFull < 1000*time.Hour {
		t.Fatalf("a flat disk with noise is forecast full in %s", p.TimeToFull)
	}
}

func TestSeriesIsBounded(t *testing.T) {
	var s series
	window := time.Hour
	for i := range 10_000 {
		s.add(Sample{Time: t0.Add(time.Duration(i) * time.Second), Used: float64(i)}, 100, window)
	}
	if n := len(s.samples); n > maxSamples+1 {
		t.Fatalf("%d samples kept, at most %d wanted", n, maxSamples+1)
	}
	first, last := s.samples[0].Time, s.samples[len(s.samples)-1].Time
	if last.Sub(first) > window {
		t.Fatalf("samples span %s, more than the window", last.Sub(first))
	}
	if last.Sub(first) < window-time.Minute {
		t.Fatalf("samples span only %s of the window", last.Sub(first))
	}
	s.add(Sample{Time: last.Add(time.Minute), Used: 1}, 200, window)
	if len(s.samples) != 1 {
		t.Fatalf("a resized filesystem keeps %d old samples", len(s.samples)-1)
	}
	s.add(Sample{Time: first, Used: 1}, 200, window)
	if len(s.samples) != 1 || !s.samples[0].Time.Equal(first) {
		t.Fatalf("a clock that went back keeps samples from the future: %v", s.samples)
	}
}
