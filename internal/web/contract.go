package web

import (
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// The app hands the server its live state through these; they are
// declared in webcore so that every audience package can read them
// without importing this one.
type (
	// MonitorView is one monitor as the UI shows it.
	MonitorView = webcore.MonitorView
	// MonitorQuery asks for one page of monitors.
	MonitorQuery = webcore.MonitorQuery
	// MonitorPage is one page of monitors and the counts of them all.
	MonitorPage = webcore.MonitorPage
	// StatusCounts counts monitors by status.
	StatusCounts = webcore.StatusCounts
	// LocationView is one location of a monitor run from several.
	LocationView = webcore.LocationView
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
	// Monitors creates the monitors made through the API.
	Monitors = webcore.Monitors
	// Kinds describes monitors in the words of their probe kind.
	Kinds = webcore.Kinds
	// ChannelTester sends test notifications through a channel.
	ChannelTester = webcore.ChannelTester
)
