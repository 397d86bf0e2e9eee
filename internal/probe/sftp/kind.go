package sftp

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	sshprobe "github.com/tocsin/tocsin/internal/probe/ssh"
)

// Kind is the sftp probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name: "sftp",
		Class: func(m *config.Monitor) probe.Class {
			if c := blockOf(m); c.MaxAge > 0 || c.MinCount > 0 || c.MinSize > 0 || c.ContentContains != "" || c.ContentRegex != "" {
				return probe.ClassFunctional
			}
			return probe.ClassLiveness
		},
		Block:  func() config.Block { return new(Check) },
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host:   func(m *config.Monitor) string { return probe.HostOf(sshprobe.Address(blockOf(m).Address)) },
		Target: func(m *config.Monitor) string { return sshprobe.Login(blockOf(m).Connection) + " " + blockOf(m).Path },
		Metric: sshprobe.StageMetric("sftp"),
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
