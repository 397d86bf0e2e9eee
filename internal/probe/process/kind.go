package process

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
)

// Kind is the process probe kind. It is a liveness check (the default
// class): a running process is not a working service.
func Kind() probe.Kind {
	return probe.Kind{
		Name:  "process",
		Block: func() config.Block { return new(Check) },
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host:  func(*config.Monitor) string { return command.LocalHost },
		Target: func(m *config.Monitor) string {
			c := blockOf(m)
			if c.Name != "" {
				return "process " + c.Name
			}
			return "process of " + c.PidFile
		},
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
