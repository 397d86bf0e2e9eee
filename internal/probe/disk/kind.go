package disk

import (
	"strings"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
	"github.com/tocsin/tocsin/internal/probe/internal/hostcheck"
)

// Kind is the disk probe kind. A disk monitor reads the host that runs
// it: the agent it names, or the server.
func Kind() probe.Kind {
	return probe.Kind{
		Name:  "disk",
		Block: func() config.Block { return new(Check) },
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host:  func(*config.Monitor) string { return command.LocalHost },
		Target: func(m *config.Monitor) string {
			if c := blockOf(m); c != nil && len(c.Mounts) > 0 {
				return strings.Join(c.Mounts, ", ")
			}
			return "every filesystem"
		},
		// A disk with room is what every service on the host needs to
		// work, not a sign that something answers.
		Class:  func(*config.Monitor) probe.Class { return probe.ClassFunctional },
		Metric: hostcheck.Metric,
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
