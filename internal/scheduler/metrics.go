package scheduler

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the scheduler's own series. They carry no per-monitor labels:
// with thousands of monitors the scheduler's figures stay a handful of
// series; per-monitor figures are the app's business.
type metrics struct {
	lateness prometheus.Histogram
	runs     prometheus.Counter
	skipped  prometheus.Counter
	panics   prometheus.Counter
	inflight prometheus.Gauge
	waiting  prometheus.Gauge
	jobs     prometheus.Gauge
}

func newMetrics() *metrics {
	return &metrics{
		lateness: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tocsin_scheduler_lateness_seconds",
			Help:    "How long after its scheduled time a run started, including the wait for a concurrency slot.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		runs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tocsin_scheduler_runs_total",
			Help: "Runs started.",
		}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tocsin_scheduler_skipped_total",
			Help: "Scheduled runs not started because the previous run of the same monitor was still going, or because the scheduler fell a whole interval behind.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tocsin_scheduler_panics_total",
			Help: "Runs that panicked; the panic was recovered and logged.",
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tocsin_scheduler_inflight",
			Help: "Runs executing now.",
		}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tocsin_scheduler_waiting",
			Help: "Due runs waiting for a global or per-host concurrency slot.",
		}),
		jobs: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "tocsin_scheduler_jobs",
			Help: "Monitors scheduled.",
		}),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	var errs []error
	for _, c := range []prometheus.Collector{m.lateness, m.runs, m.skipped, m.panics, m.inflight, m.waiting, m.jobs} {
		if err := r.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
