package app

import (
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/probe"
)

// probeMetrics exports the metrics of each monitor's last result (Nagios
// perfdata, SFTP file ages, ICMP loss, SSH stages …) as one gauge family,
// tocsin_monitor_metric{monitor, metric, unit}. Series of names a monitor no
// longer reports are dropped, so a plugin that renames its labels leaves no
// stale values behind.
type probeMetrics struct {
	gauge *prometheus.GaugeVec
	mu    sync.Mutex
	last  map[string][][2]string // monitor → (name, unit) pairs last set
}

func newProbeMetrics() *probeMetrics {
	return &probeMetrics{
		gauge: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tocsin_monitor_metric",
			Help: "A value the monitor's last probe measured (performance data), by metric name and unit.",
		}, []string{"monitor", "metric", "unit"}),
		last: map[string][][2]string{},
	}
}

func (p *probeMetrics) observe(id string, ms []probe.Metric) {
	keys := make([][2]string, 0, len(ms))
	for _, m := range ms {
		k := [2]string{strings.ToValidUTF8(m.Name, "?"), strings.ToValidUTF8(m.Unit, "?")}
		if g, err := p.gauge.GetMetricWithLabelValues(id, k[0], k[1]); err == nil {
			g.Set(m.Value)
			keys = append(keys, k)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, old := range p.last[id] {
		if !slices.Contains(keys, old) {
			p.gauge.DeleteLabelValues(id, old[0], old[1])
		}
	}
	if len(keys) == 0 {
		delete(p.last, id)
		return
	}
	p.last[id] = keys
}

func (p *probeMetrics) forget(id string) {
	p.mu.Lock()
	delete(p.last, id)
	p.mu.Unlock()
	p.gauge.DeletePartialMatch(prometheus.Labels{"monitor": id})
}
