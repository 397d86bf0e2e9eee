package app

import (
	"fmt"
	"net"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
	"github.com/tocsin/tocsin/internal/probe/icmp"
	"github.com/tocsin/tocsin/internal/probe/sftp"
	sshprobe "github.com/tocsin/tocsin/internal/probe/ssh"
)

// newHostProber builds the prober of an ssh, sftp, icmp or command
// monitor. Command monitors reach here only from the configuration file:
// nothing else builds config.Monitor values (see config.CheckCreatableByAPI).
func newHostProber(m *config.Monitor) (probe.Prober, error) {
	switch m.Type {
	case "ssh":
		return sshprobe.New(m.SSH)
	case "sftp":
		return sftp.New(m.SFTP)
	case "icmp":
		return icmp.New(m.ICMP)
	case "command":
		return command.New(m.Command)
	}
	return nil, fmt.Errorf("unknown monitor type %q", m.Type)
}

// localHost is the per-host limit key of command monitors: plugins run on
// this machine, so together they share one host's limit.
const localHost = "localhost"

// hostTargetHost is targetHost for the host and command kinds.
func hostTargetHost(m *config.Monitor) string {
	switch {
	case m.SSH != nil:
		return hostOnly(config.SSHAddress(m.SSH.Address))
	case m.SFTP != nil:
		return hostOnly(config.SSHAddress(m.SFTP.Address))
	case m.ICMP != nil:
		return m.ICMP.Host
	case m.Command != nil:
		return localHost
	}
	return m.ID
}

func hostOnly(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}
