package imap

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// Kind is the imap probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name:  "imap",
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.IMAP)) },
		Host:  func(m *config.Monitor) string { return probe.HostOf(m.IMAP.Address) },
		Target: func(m *config.Monitor) string {
			out := m.IMAP.Address + mailx.TLSNote(m.IMAP.TLS)
			if m.IMAP.Username != "" && m.IMAP.Mailbox != "" {
				out += " " + m.IMAP.Mailbox
			}
			return out
		},
	}
}
