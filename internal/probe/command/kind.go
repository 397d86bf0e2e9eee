package command

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// LocalHost is the per-host limit key of command monitors: plugins run on
// this machine, so together they share one host's limit.
const LocalHost = "localhost"

// Kind is the command probe kind. Command monitors reach Build only from
// the configuration file: nothing else builds them (see
// config.CheckCreatableByAPI).
func Kind() probe.Kind {
	return probe.Kind{
		Name:  "command",
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.Command)) },
		Host:  func(*config.Monitor) string { return LocalHost },
		// Only the program: its arguments and environment may carry
		// secrets.
		Target: func(m *config.Monitor) string { return m.Command.Path },
	}
}
