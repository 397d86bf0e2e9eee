package sftp

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	sshprobe "github.com/tocsin/tocsin/internal/probe/ssh"
)

// Kind is the sftp probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name:   "sftp",
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.SFTP)) },
		Host:   func(m *config.Monitor) string { return probe.HostOf(config.SSHAddress(m.SFTP.Address)) },
		Target: func(m *config.Monitor) string { return sshprobe.Login(m.SFTP.SSHConnection) + " " + m.SFTP.Path },
		Metric: sshprobe.StageMetric("sftp"),
	}
}
