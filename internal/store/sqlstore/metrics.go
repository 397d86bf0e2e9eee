package sqlstore

import (
	"fmt"
	"strings"

	"github.com/tocsin/tocsin/internal/probe"
)

// A metric's constant part (name, unit, thresholds) is its kind, stored once
// in metric_kinds as fields joined by \x1f. A result stores only kind keys
// and values (see detail.go).

const specSep = "\x1f"

var specEscaper = strings.NewReplacer("%", "%25", specSep, "%1F")
var specUnescaper = strings.NewReplacer("%1F", specSep, "%25", "%")

// metricSpec returns the kind text of m.
func metricSpec(m probe.Metric) string {
	f := []string{m.Name, m.Unit, m.Warn, m.Crit, m.Min, m.Max}
	for i, s := range f {
		f[i] = specEscaper.Replace(s)
	}
	return strings.Join(f, specSep)
}

// parseMetricSpec is the inverse of metricSpec; Value is left 0.
func parseMetricSpec(spec string) (probe.Metric, error) {
	f := strings.Split(spec, specSep)
	if len(f) != 6 {
		return probe.Metric{}, fmt.Errorf("metric kind %q has %d fields, want 6", spec, len(f))
	}
	for i, s := range f {
		f[i] = specUnescaper.Replace(s)
	}
	return probe.Metric{Name: f[0], Unit: f[1], Warn: f[2], Crit: f[3], Min: f[4], Max: f[5]}, nil
}
