package files

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
	"github.com/tocsin/tocsin/internal/probe/internal/hostcheck"
)

// Kind is the files probe kind. A files monitor reads the host that runs
// it: the agent it names, or the server.
func Kind() probe.Kind {
	return probe.Kind{
		Name:   "files",
		Block:  func() config.Block { return new(Check) },
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host:   func(*config.Monitor) string { return command.LocalHost },
		Target: func(m *config.Monitor) string { return blockOf(m).Path },
		// Fresh files that keep moving are the work itself being done.
		Class:  func(*config.Monitor) probe.Class { return probe.ClassFunctional },
		Metric: hostcheck.Metric,
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
