package icmp

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Kind is the icmp probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name:   "icmp",
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.ICMP)) },
		Host:   func(m *config.Monitor) string { return m.ICMP.Host },
		Target: func(m *config.Monitor) string { return m.ICMP.Host },
	}
}
