package integrity

import (
	"strings"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
)

// Kind is the integrity probe kind. An integrity monitor reads the host
// that runs it: the agent it names, or the server.
func Kind() probe.Kind {
	return probe.Kind{
		Name:   "integrity",
		Block:  func() config.Block { return new(Check) },
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host:   func(*config.Monitor) string { return command.LocalHost },
		Target: func(m *config.Monitor) string { return strings.Join(blockOf(m).Files(), ", ") },
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
