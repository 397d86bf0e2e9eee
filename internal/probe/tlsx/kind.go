package tlsx

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Kind is the tls probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name:  "tls",
		Block: func() config.Block { return new(Check) },
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host:  func(m *config.Monitor) string { return probe.HostOf(blockOf(m).Address) },
		Target: func(m *config.Monitor) string {
			if c := blockOf(m); c.StartTLS != "" {
				return c.Address + " (STARTTLS " + c.StartTLS + ")"
			}
			return blockOf(m).Address
		},
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
