package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
)

// appMetrics are the per-monitor series, fed by the engine as its
// Observer, and the app's own. Successful checks are counted here rather
// than logged. The engine registers its flush metrics itself.
type appMetrics struct {
	up            *prometheus.GaugeVec
	state         *prometheus.GaugeVec
	latency       *prometheus.GaugeVec
	probeDuration *prometheus.HistogramVec
	checks        *prometheus.CounterVec
	certExpiry    *prometheus.GaugeVec
	reloads       *prometheus.CounterVec
	watchdog      *prometheus.CounterVec
	probe         *probeMetrics
}

func newAppMetrics(reg prometheus.Registerer) *appMetrics {
	m := &appMetrics{
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tocsin_monitor_up",
			Help: "1 when the monitor's last result was OK or WARNING, 0 otherwise.",
		}, []string{"monitor", "service", "type"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tocsin_monitor_status",
			Help: "Confirmed monitor state: 0 pending, 1 up, 2 warning, 3 down, 4 paused.",
		}, []string{"monitor"}),
		latency: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tocsin_monitor_latency_seconds",
			Help: "Duration of the monitor's last probe.",
		}, []string{"monitor"}),
		probeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tocsin_probe_duration_seconds",
			Help:    "Duration of probes by type.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"type"}),
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_checks_total",
			Help: "Probe results by type and outcome.",
		}, []string{"type", "status"}),
		certExpiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tocsin_monitor_cert_expiry_timestamp_seconds",
			Help: "NotAfter of the certificate the monitor last saw, as a Unix time.",
		}, []string{"monitor"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_config_reloads_total",
			Help: "Configuration reloads by outcome (applied, rejected).",
		}, []string{"outcome"}),
		watchdog: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tocsin_watchdog_pings_total",
			Help: "Pings sent to server.watchdog_url by outcome (ok, error, skipped).",
		}, []string{"outcome"}),
	}
	m.probe = newProbeMetrics()
	reg.MustRegister(m.probe.gauge)
	reg.MustRegister(m.up, m.state, m.latency, m.probeDuration, m.checks, m.certExpiry, m.reloads, m.watchdog)
	return m
}

var statusValue = map[monitor.Status]float64{
	monitor.StatusPending: 0, monitor.StatusUp: 1, monitor.StatusWarning: 2, monitor.StatusDown: 3, monitor.StatusPaused: 4,
}

// Observe updates a monitor's series with its newest result and state.
func (m *appMetrics) Observe(mon config.Monitor, r probe.Result, st monitor.State) {
	up := 1.0
	if r.Failed() {
		up = 0
	}
	m.up.WithLabelValues(mon.ID, mon.Service, mon.Type).Set(up)
	m.state.WithLabelValues(mon.ID).Set(statusValue[st.Status])
	m.latency.WithLabelValues(mon.ID).Set(r.Duration.Seconds())
	m.probeDuration.WithLabelValues(mon.Type).Observe(r.Duration.Seconds())
	m.checks.WithLabelValues(mon.Type, r.Status.String()).Inc()
	if !r.CertExpiry.IsZero() {
		m.certExpiry.WithLabelValues(mon.ID).Set(float64(r.CertExpiry.Unix()))
	}
	m.probe.observe(mon.ID, r.Metrics)
}

// Forget drops the series of a monitor removed from the config.
func (m *appMetrics) Forget(id string) {
	m.up.DeletePartialMatch(prometheus.Labels{"monitor": id})
	m.state.DeleteLabelValues(id)
	m.latency.DeleteLabelValues(id)
	m.certExpiry.DeleteLabelValues(id)
	m.probe.forget(id)
}

var _ engine.Observer = (*appMetrics)(nil)
