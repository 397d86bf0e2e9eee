package webcore

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/redact"
)

// Kinds describes monitors in the words of their probe kind, for pages, the
// API and the search. The app passes the probe kind registry; web imports
// no probe kind itself.
type Kinds interface {
	// Target says in a few words what m looks at, without the secrets
	// its kind knows of.
	Target(m *config.Monitor) string
	// FormatMetric shows one metric of a monitor of type monitorType.
	FormatMetric(monitorType string, m probe.Metric) string
	// ClassOf says whether m checks its service end to end or only that
	// something answers, for the coverage report.
	ClassOf(m *config.Monitor) probe.Class
}

// PlainKinds is Kinds when none is given: no targets, metrics as values
// with their units.
type PlainKinds struct{}

// Target is empty: without the registry no kind can be described.
func (PlainKinds) Target(*config.Monitor) string { return "" }

// FormatMetric shows the value with its unit.
func (PlainKinds) FormatMetric(_ string, m probe.Metric) string { return m.Text() }

// ClassOf is liveness: without the registry no check can be told
// functional.
func (PlainKinds) ClassOf(*config.Monitor) probe.Class { return probe.ClassLiveness }

// Target says in a few words what a monitor looks at, without
// credentials: every page, the API and the search show this.
func Target(k Kinds, m *config.Monitor) string {
	return redact.Target(k.Target(m))
}
