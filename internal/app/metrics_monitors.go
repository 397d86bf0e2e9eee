package app

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
)

// sampleChunk is how many monitors a scrape reads from the engine under
// one hold of its read lock: small enough that results keep flowing
// during a scrape of 100,000 monitors, large enough that the locking
// costs nothing next to the series.
const sampleChunk = 1024

// monitorCollector exports the per-monitor series from the engine's state
// at scrape time: no series is kept between scrapes, so 100,000 monitors
// cost /metrics no memory while nobody scrapes, and a monitor removed by a
// reload is gone from the next scrape. A monitor has series once a result
// of it has been evaluated since start. perMonitor, asked at each scrape
// (server.metrics.per_monitor), may leave them out; the counts of
// monitors by service, type and state are always exported.
type monitorCollector struct {
	eng                              *engine.Engine
	perMonitor                       func() bool
	up, status, latency, cert, value *prometheus.Desc
	count, flapping                  *prometheus.Desc
}

func newMonitorCollector(eng *engine.Engine, perMonitor func() bool) *monitorCollector {
	return &monitorCollector{
		eng:        eng,
		perMonitor: perMonitor,
		count: prometheus.NewDesc("tocsin_monitors",
			"Monitors by service, type and confirmed state (pending, up, warning, down, paused).", []string{"service", "type", "status"}, nil),
		flapping: prometheus.NewDesc("tocsin_monitors_flapping",
			"Flapping monitors by service and type.", []string{"service", "type"}, nil),
		up: prometheus.NewDesc("tocsin_monitor_up",
			"1 when the monitor's last result was OK or WARNING, 0 otherwise.", []string{"monitor", "service", "type"}, nil),
		status: prometheus.NewDesc("tocsin_monitor_status",
			"Confirmed monitor state: 0 pending, 1 up, 2 warning, 3 down, 4 paused.", []string{"monitor"}, nil),
		latency: prometheus.NewDesc("tocsin_monitor_latency_seconds",
			"Duration of the monitor's last probe.", []string{"monitor"}, nil),
		cert: prometheus.NewDesc("tocsin_monitor_cert_expiry_timestamp_seconds",
			"NotAfter of the certificate the monitor last saw, as a Unix time.", []string{"monitor"}, nil),
		// The metrics of each monitor's last result (Nagios perfdata,
		// SFTP file ages, ICMP loss, SSH stages …), by name and unit.
		value: prometheus.NewDesc("tocsin_monitor_metric",
			"A value the monitor's last probe measured (performance data), by metric name and unit.", []string{"monitor", "metric", "unit"}, nil),
	}
}

func (c *monitorCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.status
	ch <- c.latency
	ch <- c.cert
	ch <- c.value
	ch <- c.count
	ch <- c.flapping
}

func (c *monitorCollector) Collect(ch chan<- prometheus.Metric) {
	for _, g := range c.eng.GroupCounts() {
		for _, n := range []struct {
			status monitor.Status
			n      int
		}{{monitor.StatusPending, g.Pending}, {monitor.StatusUp, g.Up}, {monitor.StatusWarning, g.Warning},
			{monitor.StatusDown, g.Down}, {monitor.StatusPaused, g.Paused}} {
			ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(n.n), g.Service, g.Type, string(n.status))
		}
		ch <- prometheus.MustNewConstMetric(c.flapping, prometheus.GaugeValue, float64(g.Flapping), g.Service, g.Type)
	}
	if !c.perMonitor() {
		return
	}
	ids := c.eng.MonitorIDs()
	buf := make([]engine.Sample, 0, sampleChunk)
	for i := 0; i < len(ids); i += sampleChunk {
		buf = c.eng.Samples(ids[i:min(i+sampleChunk, len(ids))], buf[:0])
		for j := range buf {
			c.collect(ch, &buf[j])
		}
	}
}

var statusValue = map[monitor.Status]float64{
	monitor.StatusPending: 0, monitor.StatusUp: 1, monitor.StatusWarning: 2, monitor.StatusDown: 3, monitor.StatusPaused: 4,
}

func (c *monitorCollector) collect(ch chan<- prometheus.Metric, s *engine.Sample) {
	up := 1.0
	if s.Failed {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, s.ID, s.Service, s.Type)
	ch <- prometheus.MustNewConstMetric(c.status, prometheus.GaugeValue, statusValue[s.Status], s.ID)
	ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, s.Latency.Seconds(), s.ID)
	if s.CertExpiry != 0 {
		ch <- prometheus.MustNewConstMetric(c.cert, prometheus.GaugeValue, float64(s.CertExpiry), s.ID)
	}
	for i, m := range s.Metrics {
		if repeated(s.Metrics[i+1:], m) {
			continue // a later value of the same name and unit wins
		}
		ch <- prometheus.MustNewConstMetric(c.value, prometheus.GaugeValue, m.Value, s.ID, validUTF8(m.Name), validUTF8(m.Unit))
	}
}

// repeated reports whether ms holds a metric of m's name and unit.
func repeated(ms []probe.Metric, m probe.Metric) bool {
	for _, o := range ms {
		if validUTF8(o.Name) == validUTF8(m.Name) && validUTF8(o.Unit) == validUTF8(m.Unit) {
			return true
		}
	}
	return false
}

// validUTF8 makes s a valid label value; a string that is one already
// (nearly every one) is returned as it is, without a copy.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "?") }
