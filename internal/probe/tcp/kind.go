package tcp

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Kind is the tcp probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name:   "tcp",
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.TCP)) },
		Host:   func(m *config.Monitor) string { return probe.HostOf(m.TCP.Address) },
		Target: func(m *config.Monitor) string { return m.TCP.Address },
	}
}
