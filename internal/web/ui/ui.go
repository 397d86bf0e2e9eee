// Package ui serves the pages: html/template pages with their embedded
// templates and static assets, and the forms behind them. The web package
// mounts its handlers behind a login and renders the login, first-run
// setup and error pages through Render; sessions, the login limiter and
// password hashing stay with the web package.
package ui

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Handler is a page handler: u is the logged-in user.
type Handler = webcore.Handler

// Deps is what the pages need from the server that mounts them: the
// audiences' shared needs, a logger, and the demo pair, which is nil when
// no demo target runs.
type Deps struct {
	webcore.Deps
	Logger     *slog.Logger
	DemoToggle func(failing bool)
	DemoState  func() bool
}

// UI is the pages' handlers with their parsed templates and assets.
type UI struct {
	d      Deps
	assets *assets
	pages  map[string]*pageTemplate
}

// New loads the static assets and parses the templates.
func New(d Deps) (*UI, error) {
	s := &UI{d: d}
	a, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("loading static assets: %w", err)
	}
	s.assets = a
	if s.pages, err = s.parseTemplates(); err != nil {
		return nil, fmt.Errorf("parsing templates: %w", err)
	}
	return s, nil
}

// Register hands every route of the pages to the server: public ones (the
// static assets, the calendar feeds) to public, the rest to authed. wrap
// puts a page behind the login without registering it, for the one path
// that is a page or a feed by its suffix.
func (s *UI) Register(public func(pattern string, h http.Handler), authed func(pattern string, h Handler), wrap func(h Handler) http.Handler) {
	public("GET /static/{file}", http.HandlerFunc(s.handleStatic))
	public("GET /schedules/{id}", s.handleScheduleOrFeed(wrap(s.handleSchedule)))
	public("GET /people/{id}/shifts.ics", http.HandlerFunc(s.handlePersonFeed))
	authed("GET /schedules", s.handleSchedules)
	authed("POST /schedules/{id}/tokens", s.handleScheduleTokenCreate)
	authed("POST /people/{id}/calendar-tokens", s.handlePersonTokenCreate)
	authed("POST /calendar-tokens/{id}/revoke", s.handleCalendarTokenRevoke)
	authed("GET /{$}", s.handleOverview)
	authed("GET /incidents", s.handleIncidents)
	authed("POST /incidents", s.handleIncidentDeclare)
	authed("GET /incidents/metrics", s.handleIncidentMetrics)
	authed("GET /incidents/{id}", s.handleIncident)
	authed("POST /incidents/{id}/note", s.handleIncidentPost("note"))
	authed("POST /incidents/{id}/mark", s.handleIncidentPost("mark"))
	authed("POST /incidents/{id}/severity", s.handleIncidentPost("severity"))
	authed("POST /incidents/{id}/state", s.handleIncidentPost("state"))
	authed("POST /incidents/{id}/role", s.handleIncidentPost("role"))
	authed("POST /incidents/{id}/update", s.handleIncidentPost("update"))
	authed("POST /incidents/{id}/actions", s.handleActionCreate)
	authed("GET /actions", s.handleActions)
	authed("POST /actions/{id}/status", s.handleActionStatus)
	authed("GET /incidents/{id}/postmortem", s.handlePostmortem)
	authed("POST /incidents/{id}/postmortem", s.handlePostmortemSave)
	authed("POST /incidents/{id}/postmortem/state", s.handlePostmortemState)
	authed("GET /incidents/{id}/postmortem.md", s.handlePostmortemMarkdown)
	authed("GET /postmortems", s.handlePostmortems)
	authed("GET /alerts", s.handleAlerts)
	authed("GET /alerts/{id}", s.handleAlert)
	authed("POST /alerts/{id}/ack", s.handleAlertAct(store.ActAcknowledge))
	authed("POST /alerts/{id}/unack", s.handleAlertAct(store.ActUnacknowledge))
	authed("POST /alerts/{id}/resolve", s.handleAlertAct(store.ActResolve))
	authed("POST /alerts/{id}/snooze", s.handleAlertAct(store.ActSnooze))
	authed("GET /monitors/{id}", s.handleMonitor)
	authed("POST /monitors/{id}/pause", s.handlePause(true))
	authed("POST /monitors/{id}/baseline/accept", s.handleAcceptBaseline)
	authed("POST /monitors/{id}/resume", s.handlePause(false))
	authed("GET /heartbeats", s.handleHeartbeats)
	authed("POST /heartbeats", s.handleHeartbeatCreate)
	authed("GET /heartbeats/{id}", s.handleHeartbeat)
	authed("POST /heartbeats/{id}/pause", s.handleHeartbeatPause(true))
	authed("POST /heartbeats/{id}/resume", s.handleHeartbeatPause(false))
	authed("GET /notifications", s.handleNotifications)
	authed("GET /inbox", s.handleInbox)
	authed("GET /services", s.handleDirectory)
	authed("GET /services/{id}", s.handleService)
	authed("GET /channels/{id}", s.handleChannel)
	authed("POST /channels/{id}/test", s.handleChannelTest)
	authed("GET /changes", s.handleChanges)
	authed("GET /audit", s.handleAudit)
	authed("GET /users", s.handleUsers)
	authed("POST /users/{id}/role", s.handleUserRole)
	authed("POST /changes", s.handleChangeCreate)
	authed("GET /impact", s.handleImpact)
	authed("GET /coverage", s.handleCoverage)
	authed("GET /maintenance", s.handleMaintenance)
	authed("POST /maintenance", s.handleMaintenanceCreate)
	authed("POST /maintenance/{id}/end", s.handleMaintenanceEnd)
	authed("GET /silences", s.handleSilences)
	authed("POST /silences", s.handleSilenceCreate)
	authed("POST /silences/{id}/expire", s.handleSilenceExpire)
	authed("GET /agents", s.handleAgents)
	authed("GET /replicas", s.handleReplicas)
	authed("POST /agents", s.handleAgentCreate)
	authed("POST /agents/{id}/revoke", s.handleAgentRevoke)
	authed("GET /settings/tokens", s.handleTokens)
	authed("POST /settings/tokens", s.handleTokenCreate)
	authed("POST /settings/tokens/{id}/revoke", s.handleTokenRevoke)
	authed("POST /demo/toggle", s.handleDemoToggle)
}

// target says in a few words what a monitor looks at, without
// credentials.
func (s *UI) target(m config.Monitor) string { return webcore.Target(s.d.Kinds, &m) }

// formatMetric shows a metric's value in its kind's words.
func (s *UI) formatMetric(monitorType string, m probe.Metric) string {
	return s.d.Kinds.FormatMetric(monitorType, m)
}
