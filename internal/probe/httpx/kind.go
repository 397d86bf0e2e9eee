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
		Name:  "http",
		Build: func(m *config.Monitor) (probe.Prober, error) { return probe.Built(New(m.HTTP, ts)) },
		Host: func(m *config.Monitor) string {
			if u, err := url.Parse(m.HTTP.URL); err == nil {
				return u.Hostname()
			}
			return m.ID
		},
		Target: func(m *config.Monitor) string {
			method := m.HTTP.Method
			if method == "" || method == http.MethodGet {
				return m.HTTP.URL
			}
			return method + " " + m.HTTP.URL
		},
	}
}
