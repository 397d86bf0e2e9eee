package web

import (
	"net/http"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// The app hands the server its live state through these; they are
// declared in webcore so that every audience package can read them
// without importing this one.
type (
	// MonitorView is one monitor as the UI shows it.
	MonitorView = webcore.MonitorView
	// ConfigStatus tells which configuration is running and why a reload
	// failed.
	ConfigStatus = webcore.ConfigStatus
	// Health is what /readyz reports besides the store's reachability.
	Health = webcore.Health
	// Runtime is the live side of the app the web packages need.
	Runtime = webcore.Runtime
	// HeartbeatView is one heartbeat as the UI and API show it.
	HeartbeatView = webcore.HeartbeatView
	// Heartbeats is the live side of heartbeats (the app implements it).
	Heartbeats = webcore.Heartbeats
	// Kinds describes monitors in the words of their probe kind.
	Kinds = webcore.Kinds
)

func (s *Server) heartbeats() Heartbeats { return s.opts.Heartbeats }

func (s *Server) heartbeatByID(r *http.Request) (HeartbeatView, error) {
	return webcore.HeartbeatByID(s.opts.Heartbeats, r)
}

func (s *Server) baseURL() string { return webcore.BaseURL(s.rt) }

func (s *Server) service(id string) webcore.ServiceInfo { return webcore.Service(s.rt, id) }

func (s *Server) target(m config.Monitor) string { return webcore.Target(s.opts.Kinds, m) }

// formatMetric shows a metric's value in its kind's words.
func (s *Server) formatMetric(monitorType string, m probe.Metric) string {
	return s.opts.Kinds.FormatMetric(monitorType, m)
}
