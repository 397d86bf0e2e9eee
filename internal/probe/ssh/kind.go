package ssh

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Kind is the ssh probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name: "ssh",
		Class: func(m *config.Monitor) probe.Class {
			if c := blockOf(m); c.Command != "" && (c.Expect.OutputContains != "" || c.Expect.OutputRegex != "") {
				return probe.ClassFunctional
			}
			return probe.ClassLiveness
		},
		Block: func() config.Block { return new(Check) },
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host:  func(m *config.Monitor) string { return probe.HostOf(Address(blockOf(m).Address)) },
		Target: func(m *config.Monitor) string {
			if blockOf(m).Command != "" {
				return Login(blockOf(m).Connection) + " (runs a command)"
			}
			return Login(blockOf(m).Connection)
		},
		Metric: StageMetric("ssh"),
	}
}

// Login shows who logs in where: user@host:port, or host:port without a
// user. It never shows a credential.
func Login(c Connection) string {
	addr := Address(c.Address)
	if c.User != "" {
		return c.User + "@" + addr
	}
	return addr
}

// StageMetric shows the "stage" metric of an ssh or sftp run by name; the
// command stage of an sftp run is "sftp".
func StageMetric(kind string) func(probe.Metric) (string, bool) {
	return func(m probe.Metric) (string, bool) {
		if m.Name != "stage" {
			return "", false
		}
		i := int(m.Value)
		if float64(i) != m.Value || i < 0 || i > int(StageDone) {
			return "", false
		}
		if kind == "sftp" && Stage(i) == StageCommand {
			return "sftp", true
		}
		return Stage(i).String(), true
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
