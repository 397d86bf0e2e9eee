package tlsx

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Kind is the tls probe kind.
func Kind() probe.Kind {
	return probe.Kind{
		Name:  "tls",
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.TLS)) },
		Host:  func(m *config.Monitor) string { return probe.HostOf(m.TLS.Address) },
		Target: func(m *config.Monitor) string {
			if m.TLS.StartTLS != "" {
				return m.TLS.Address + " (STARTTLS " + m.TLS.StartTLS + ")"
			}
			return m.TLS.Address
		},
	}
}
