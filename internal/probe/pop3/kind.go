package pop3

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// Kind is the pop3 probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name:   "pop3",
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.POP3)) },
		Host:   func(m *config.Monitor) string { return probe.HostOf(m.POP3.Address) },
		Target: func(m *config.Monitor) string { return m.POP3.Address + mailx.TLSNote(m.POP3.TLS) },
	}
}
