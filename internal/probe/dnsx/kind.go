package dnsx

import (
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Kind is the dns probe kind. Queries to the system resolver share one
// per-host key, "dns".
func Kind() probe.Kind {
	return probe.Kind{
		Name: "dns",
		Class: func(m *config.Monitor) probe.Class {
			if len(blockOf(m).Expect) > 0 {
				return probe.ClassFunctional
			}
			return probe.ClassLiveness
		},
		Block: func() config.Block { return new(Check) },
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m))) },
		Host: func(m *config.Monitor) string {
			if c := blockOf(m); c.Server != "" {
				return probe.HostOf(c.Server)
			}
			return "dns"
		},
		Target: func(m *config.Monitor) string {
			c := blockOf(m)
			t := c.Type
			if t == "" {
				t = "A"
			}
			out := c.Name + " " + t
			if c.Server != "" {
				out += " @" + c.Server
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
