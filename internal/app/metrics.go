package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
)

// appMetrics are the app's own series and those by probe type, fed by the
// engine as its Observer: successful checks are counted here rather than
// logged. The per-monitor series are read from the engine at scrape time
// (monitorCollector). The engine registers its flush metrics itself.
type appMetrics struct {
	probeDuration *prometheus.HistogramVec
	checks        *prometheus.CounterVec
	reloads       *prometheus.CounterVec
	watchdog      *prometheus.CounterVec
}

func newAppMetrics(reg prometheus.Registerer) *appMetrics {
	m := &appMetrics{
		probeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tocsin_probe_duration_seconds",
			Help:    "Duration of probes by type.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"type"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_checks_total",
			Help: "Probe results by type and outcome.",
		}, []string{"type", "status"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_config_reloads_total",
			Help: "Configuration reloads by outcome (applied, rejected).",
		}, []string{"outcome"}),
		watchdog: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_watchdog_pings_total",
			Help: "Pings sent to server.watchdog_url by outcome (ok, error, skipped).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.probeDuration, m.checks, m.reloads, m.watchdog)
	return m
}

// Observe counts a monitor's newest result by its type.
func (m *appMetrics) Observe(mon config.Monitor, r probe.Result, _ monitor.State) {
	m.probeDuration.WithLabelValues(mon.Type).Observe(r.Duration.Seconds())
	m.checks.WithLabelValues(mon.Type, r.Status.String()).Inc()
}

// Forget has nothing to drop: the per-monitor series are read from the
// engine's monitors, so a monitor removed from the config leaves /metrics
// with it.
func (m *appMetrics) Forget(string) {}

var _ engine.Observer = (*appMetrics)(nil)
