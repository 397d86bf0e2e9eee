package command

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// LocalHost is the per-host limit key of command monitors: plugins run on
// this machine, so together they share one host's limit.
const LocalHost = "localhost"

// Kind is the command probe kind. Command monitors reach Build only from
// the configuration file: a command monitor runs a program on the Tocsin
// host, so accepting one from the API or the UI would let anyone holding an
// API token run arbitrary code there (FileOnly, see
// probe.Kinds.CheckCreatableByAPI).
func Kind() probe.Kind {
	return probe.Kind{
		Name:     "command",
		Block:    func() config.Block { return new(Check) },
		FileOnly: true,
		Build:    func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host:     func(*config.Monitor) string { return LocalHost },
		// Only the program: its arguments and environment may carry
		// secrets.
		Target: func(m *config.Monitor) string { return blockOf(m).Path },
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
