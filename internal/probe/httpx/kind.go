package httpx

import (
	"net/http"
	"net/url"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Kind is the http probe kind. Its probers share the connection pools of
// ts; nil gives each prober its own.
func Kind(ts *Transports) probe.Kind {
	return probe.Kind{
		Name: "http",
		Class: func(m *config.Monitor) probe.Class {
			if e := blockOf(m).Expect; e.BodyContains != "" || e.BodyRegex != "" || len(e.JSON) > 0 || len(e.Headers) > 0 {
				return probe.ClassFunctional
			}
			return probe.ClassLiveness
		},
		Block: func() config.Block { return new(Check) },
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(blockOf(m), ts)) },
		Host: func(m *config.Monitor) string {
			if u, err := url.Parse(blockOf(m).URL); err == nil {
				return u.Hostname()
			}
			return m.ID
		},
		Target: func(m *config.Monitor) string {
			method := blockOf(m).Method
			if method == "" || method == http.MethodGet {
				return blockOf(m).URL
			}
			return method + " " + blockOf(m).URL
		},
	}
}

// blockOf is the block of m, a monitor of this kind.
func blockOf(m *config.Monitor) *Check {
	c, _ := m.Block.(*Check)
	return c
}
