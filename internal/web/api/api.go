// Package api serves the JSON API under /api/v1/ and its OpenAPI
// description. Its handlers get the logged-in user from the web package,
// which wraps them with authentication (a bearer token or a session) and
// turns their errors into JSON error bodies; the API itself knows no
// sessions, cookies or templates.
package api

import (
	"net/http"

	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Handler is an API handler: u is the caller, already authenticated.
type Handler = webcore.Handler

// Deps is what the API needs from the server that mounts it.
type Deps = webcore.Deps

// API is the JSON API's handlers.
type API struct {
	d Deps
}

// New returns the API's handlers over d.
func New(d Deps) *API { return &API{d: d} }

// Register hands every route of the API to the server: public ones (the
// OpenAPI description) to public, the rest to authed.
func (s *API) Register(public func(pattern string, h http.Handler), authed func(pattern string, h Handler)) {
	public("GET /api/v1/openapi.json", http.HandlerFunc(s.handleOpenAPI))
	authed("GET /api/v1/status", s.serveStatus)
	authed("GET /api/v1/monitors", s.serveMonitors)
	authed("POST /api/v1/monitors", s.serveMonitorCreate)
	authed("GET /api/v1/monitors/{id}", s.serveMonitor)
	authed("PUT /api/v1/monitors/{id}", s.serveMonitorReplace)
	authed("DELETE /api/v1/monitors/{id}", s.serveMonitorDelete)
	authed("GET /api/v1/monitors/{id}/results", s.serveMonitorResults)
	authed("GET /api/v1/monitors/{id}/transitions", s.serveMonitorTransitions)
	authed("GET /api/v1/monitors/{id}/notifications", s.serveMonitorAttempts)
	authed("POST /api/v1/monitors/{id}/pause", s.servePause(true))
	authed("POST /api/v1/monitors/{id}/resume", s.servePause(false))
	authed("POST /api/v1/monitors/{id}/baseline/accept", s.serveAcceptBaseline)
	authed("GET /api/v1/agents", s.serveAgents)
	authed("POST /api/v1/agents", s.serveAgentCreate)
	authed("DELETE /api/v1/agents/{id}", s.serveAgentDelete)
	authed("GET /api/v1/heartbeats", s.serveHeartbeats)
	authed("POST /api/v1/heartbeats", s.serveHeartbeatCreate)
	authed("GET /api/v1/heartbeats/{id}", s.serveHeartbeat)
	authed("DELETE /api/v1/heartbeats/{id}", s.serveHeartbeatDelete)
	authed("GET /api/v1/heartbeats/{id}/pings", s.serveHeartbeatPings)
	authed("POST /api/v1/heartbeats/{id}/pause", s.serveHeartbeatPause(true))
	authed("POST /api/v1/heartbeats/{id}/resume", s.serveHeartbeatPause(false))
	authed("GET /api/v1/notifications", s.serveNotifications)
	authed("GET /api/v1/inbox", s.serveInbox)
	authed("GET /api/v1/services", s.serveServices)
	authed("GET /api/v1/services/{id}/oncall", s.serveServiceOncall)
	authed("GET /api/v1/channels", s.serveChannels)
	authed("GET /api/v1/channels/{id}", s.serveChannel)
	authed("POST /api/v1/channels/{id}/test", s.serveChannelTest)
	authed("GET /api/v1/maintenance", s.serveMaintenance)
	authed("POST /api/v1/maintenance", s.serveMaintenanceCreate)
	authed("POST /api/v1/maintenance/{id}/end", s.serveMaintenanceEnd)
	authed("DELETE /api/v1/maintenance/{id}", s.serveMaintenanceEnd)
	authed("GET /api/v1/silences", s.serveSilences)
	authed("POST /api/v1/silences", s.serveSilenceCreate)
	authed("POST /api/v1/silences/{id}/expire", s.serveSilenceExpire)
	authed("GET /api/v1/alerts", s.serveAlerts)
	authed("GET /api/v1/alerts/{id}", s.serveAlert)
	authed("POST /api/v1/alerts/{id}/ack", s.serveAlertAct(store.ActAcknowledge))
	authed("POST /api/v1/alerts/{id}/unack", s.serveAlertAct(store.ActUnacknowledge))
	authed("POST /api/v1/alerts/{id}/resolve", s.serveAlertAct(store.ActResolve))
	authed("POST /api/v1/alerts/{id}/snooze", s.serveAlertAct(store.ActSnooze))
	authed("GET /api/v1/changes", s.serveChanges)
	authed("POST /api/v1/changes", s.serveChangeCreate)
	authed("GET /api/v1/changes/{id}", s.serveChange)
	authed("GET /api/v1/services/{id}/changes", s.serveServiceChanges)
	authed("GET /api/v1/impact", s.serveImpact)
	authed("GET /api/v1/coverage", s.serveCoverage)
	authed("GET /api/v1/incidents", s.serveIncidents)
	authed("POST /api/v1/incidents", s.serveIncidentDeclare)
	authed("GET /api/v1/incidents/metrics", s.serveIncidentMetrics)
	authed("GET /api/v1/incidents/{id}", s.serveIncident)
	authed("GET /api/v1/incidents/{id}/postmortem.md", s.serveIncidentPostmortemDraft)
	authed("GET /api/v1/incidents/{id}/postmortem", s.serveIncidentPostmortem)
	authed("PUT /api/v1/incidents/{id}/postmortem", s.serveIncidentPostmortemPut)
	authed("POST /api/v1/incidents/{id}/postmortem/state", s.serveIncidentPostmortemState)
	authed("GET /api/v1/postmortems", s.servePostmortems)
	authed("GET /api/v1/incidents/{id}/actions", s.serveIncidentActions)
	authed("POST /api/v1/incidents/{id}/actions", s.serveIncidentActionCreate)
	authed("PATCH /api/v1/actions/{id}", s.serveActionPatch)
	authed("GET /api/v1/actions", s.serveActions)
	authed("POST /api/v1/incidents/{id}/timeline", s.serveIncidentTimeline)
	authed("POST /api/v1/incidents/{id}/severity", s.serveIncidentSeverity)
	authed("POST /api/v1/incidents/{id}/state", s.serveIncidentState)
	authed("POST /api/v1/incidents/{id}/roles", s.serveIncidentRoles)
	authed("POST /api/v1/incidents/{id}/updates", s.serveIncidentUpdate)
	authed("GET /api/v1/tokens", s.serveTokens)
	authed("POST /api/v1/tokens", s.serveTokenCreate)
	authed("DELETE /api/v1/tokens/{id}", s.serveTokenDelete)
	authed("GET /api/v1/schedules", s.serveSchedules)
	authed("GET /api/v1/schedules/{id}", s.serveSchedule)
	authed("POST /api/v1/schedules/{id}/tokens", s.serveScheduleTokenCreate)
	authed("POST /api/v1/people/{id}/calendar-tokens", s.servePersonTokenCreate)
	authed("GET /api/v1/calendar-tokens", s.serveCalendarTokens)
	authed("DELETE /api/v1/calendar-tokens/{id}", s.serveCalendarTokenDelete)
	authed("GET /api/v1/audit", s.serveAudit)
	authed("GET /api/v1/users", s.serveUsers)
	authed("PATCH /api/v1/users/{id}", s.serveUserUpdate)
	authed("POST /api/v1/alertmanager", s.serveAlertmanager)
}
