package icmp

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Kind is the icmp probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name:   "icmp",
		Block:  func() config.Block { return new(Check) },
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host:   func(m *config.Monitor) string { return blockOf(m).Host },
		Target: func(m *config.Monitor) string { return blockOf(m).Host },
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
