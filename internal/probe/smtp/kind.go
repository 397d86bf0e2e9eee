package smtp

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/mailx"
)

// Kind is the smtp probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name:   "smtp",
		Build:  func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.SMTP)) },
		Host:   func(m *config.Monitor) string { return probe.HostOf(m.SMTP.Address) },
		Target: func(m *config.Monitor) string { return m.SMTP.Address + mailx.TLSNote(m.SMTP.TLS) },
	}
}
