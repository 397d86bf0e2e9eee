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
		Block: func() config.Block { return new(Check) },
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(check(m))) },
		Host: func(m *config.Monitor) string {
			if check(m).Server != "" {
				return probe.HostOf(check(m).Server)
			}
			return "dns"
		},
		Target: func(m *config.Monitor) string {
			t := check(m).Type
			if t == "" {
				t = "A"
			}
			out := check(m).Name + " " + t
			if check(m).Server != "" {
				out += " @" + check(m).Server
			}
			return out
		},
	}
}

// check is the block of m, a monitor of this kind.
func check(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
