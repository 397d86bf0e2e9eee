package engine

import "github.com/prometheus/client_golang/prometheus"

// metrics are the engine's own series: how its flushes go.
type metrics struct {
	flushSeconds prometheus.Histogram
	flushErrors  prometheus.Counter
	muted        *prometheus.CounterVec
	// bufferDropped counts results dropped from a full buffer of unwritten
	// results.
	bufferDropped prometheus.Counter
}

// newMetrics returns the engine's metrics, registered on reg when it is not
// nil.
func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		flushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tocsin_result_flush_seconds",
			Help:    "Time to write one batch of results, states and notifications.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		flushErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tocsin_result_flush_errors_total",
			Help: "Batches that could not be written (they are retried).",
		}),
		muted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_notifications_muted_total",
			Help: "Monitor transitions whose notifications a maintenance window or silence held back, by kind (maintenance, silence).",
		}, []string{"kind"}),
		bufferDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tocsin_result_buffer_dropped_total",
			Help: "Results dropped, oldest first, because more were waiting for the database than the buffer holds (storage.result_buffer).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.flushSeconds, m.flushErrors, m.muted, m.bufferDropped)
	}
	return m
}
