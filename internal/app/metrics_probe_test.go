package app

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/tocsin/tocsin/internal/probe"
)

func TestProbeMetricsExportAndForget(t *testing.T) {
	pm := newProbeMetrics()
	pm.observe("disk", []probe.Metric{{Name: "/", Value: 40, Unit: "%"}, {Name: "/var", Value: 98, Unit: "%"}, {Name: "bad\xff", Value: 1}})
	pm.observe("ping", []probe.Metric{{Name: "loss", Value: 0, Unit: "%"}})
	if n := count(pm.gauge); n != 4 {
		t.Fatalf("%d series, want 4", n)
	}
	var m dto.Metric
	if err := pm.gauge.WithLabelValues("disk", "/var", "%").Write(&m); err != nil || m.GetGauge().GetValue() != 98 {
		t.Errorf("/var = %v (%v)", m.GetGauge().GetValue(), err)
	}
	// The plugin stops reporting /var: its series goes.
	pm.observe("disk", []probe.Metric{{Name: "/", Value: 41, Unit: "%"}})
	if n := count(pm.gauge); n != 2 {
		t.Errorf("%d series after /var vanished, want 2", n)
	}
	pm.forget("disk")
	if n := count(pm.gauge); n != 1 {
		t.Errorf("%d series after forgetting disk, want 1", n)
	}
}

func count(c prometheus.Collector) int {
	ch := make(chan prometheus.Metric, 100)
	c.Collect(ch)
	close(ch)
	return len(ch)
}
