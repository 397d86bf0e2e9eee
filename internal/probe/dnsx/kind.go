package dnsx

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Kind is the dns probe kind. Queries to the system resolver share one
// per-host key, "dns".
func Kind() probe.Kind {
	return probe.Kind{
		Name:  "dns",
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.DNS)) },
		Host: func(m *config.Monitor) string {
			if m.DNS.Server != "" {
				return probe.HostOf(m.DNS.Server)
			}
			return "dns"
		},
		Target: func(m *config.Monitor) string {
			t := m.DNS.Type
			if t == "" {
				t = "A"
			}
			out := m.DNS.Name + " " + t
			if m.DNS.Server != "" {
				out += " @" + m.DNS.Server
			}
			return out
		},
	}
}
