package imap

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// Kind is the imap probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name: "imap",
		Class: func(m *config.Monitor) probe.Class {
			if c := blockOf(m); c.Username != "" && (c.Expect.MinMessages > 0 || c.Expect.NewestMaxAge > 0) {
				return probe.ClassFunctional
			}
			return probe.ClassLiveness
		},
		Block: func() config.Block { return new(Check) },
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host:  func(m *config.Monitor) string { return probe.HostOf(blockOf(m).Address) },
		Target: func(m *config.Monitor) string {
			out := blockOf(m).Address + mailx.TLSNote(blockOf(m).TLS)
			if blockOf(m).Username != "" && blockOf(m).Mailbox != "" {
				out += " " + blockOf(m).Mailbox
			}
			return out
		},
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
