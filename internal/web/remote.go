package web

import (
	"strconv"
	"strings"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	sshprobe "github.com/tocsin/tocsin/internal/probe/ssh"
)

// remoteTarget describes the target of an ssh, sftp, icmp or command
// monitor. A command shows only its program: its arguments and
// environment may carry secrets.
func remoteTarget(m config.Monitor) string {
	login := func(c config.SSHConnection) string {
		addr := config.SSHAddress(c.Address)
		if c.User != "" {
			return c.User + "@" + addr
		}
		return addr
	}
	switch {
	case m.SSH != nil:
		if m.SSH.Command != "" {
			return login(m.SSH.SSHConnection) + " (runs a command)"
		}
		return login(m.SSH.SSHConnection)
	case m.SFTP != nil:
		return login(m.SFTP.SSHConnection) + " " + m.SFTP.Path
	case m.ICMP != nil:
		return m.ICMP.Host
	case m.Command != nil:
		return m.Command.Path
	}
	return ""
}

// formatMetric shows a metric's value with its unit; the stage of an ssh
// or sftp monitor is shown by name.
func formatMetric(monitorType string, m probe.Metric) string {
	if m.Name == "stage" && (monitorType == "ssh" || monitorType == "sftp") {
		if i := int(m.Value); float64(i) == m.Value && i >= 0 && i <= int(sshprobe.StageDone) {
			if monitorType == "sftp" && sshprobe.Stage(i) == sshprobe.StageCommand {
				return "sftp"
			}
			return sshprobe.Stage(i).String()
		}
	}
	v := strconv.FormatFloat(m.Value, 'g', 6, 64)
	if m.Unit == "" {
		return v
	}
	if strings.HasPrefix(m.Unit, "%") {
		return v + m.Unit
	}
	return v + " " + m.Unit
}
