package web_test

import (
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestAuditRouteNames: the routes of the pages and the API name the same
// action alike, from their words, and each route that changes something
// gets an action with a kind and a verb.
func TestAuditRouteNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ pattern, action, kind, id string }{
		{"POST /monitors/{id}/pause", "monitor.pause", "monitor", "id"},
		{"POST /api/v1/monitors/{id}/pause", "monitor.pause", "monitor", "id"},
		{"POST /api/v1/monitors", "monitor.create", "monitor", ""},
		{"PUT /api/v1/monitors/{id}", "monitor.update", "monitor", "id"},
		{"DELETE /api/v1/monitors/{id}", "monitor.delete", "monitor", "id"},
		{"POST /alerts/{id}/ack", "alert.acknowledge", "alert", "id"},
		{"POST /settings/tokens", "token.create", "token", ""},
		{"POST /settings/tokens/{id}/revoke", "token.delete", "token", "id"},
		{"DELETE /api/v1/tokens/{id}", "token.delete", "token", "id"},
		{"POST /incidents/{id}/note", "incident.note", "incident", "id"},
		{"POST /api/v1/incidents/{id}/timeline", "incident.note", "incident", "id"},
		{"POST /incidents/{id}/postmortem/state", "postmortem.state", "postmortem", "id"},
		{"PUT /api/v1/incidents/{id}/postmortem", "postmortem.update", "postmortem", "id"},
		{"POST /people/{id}/calendar-tokens", "calendar_token.create", "calendar_token", "id"},
		{"DELETE /api/v1/status-pages/{id}/components/{c}/override", "status_page.override_clear", "status_page", "id"},
		{"POST /status-pages/{id}/components/{c}/override/clear", "status_page.override_clear", "status_page", "id"},
		{"DELETE /api/v1/maintenance/{id}", "maintenance.end", "maintenance", "id"},
		{"POST /api/v1/monitors/{id}/baseline/accept", "monitor.baseline_accept", "monitor", "id"},
	} {
		action, kind, id := web.AuditRoute(tc.pattern)
		if action != tc.action || kind != tc.kind || id != tc.id {
			t.Errorf("%s: %q %q %q, want %q %q %q", tc.pattern, action, kind, id, tc.action, tc.kind, tc.id)
		}
	}
	e := webtest.New(t, nil)
	for _, p := range e.Server.RoutePatterns() {
		method, _, ok := strings.Cut(p, " ")
		if !ok || method == "GET" {
			continue
		}
		action, kind, _ := web.AuditRoute(p)
		if kind == "" || !strings.HasPrefix(action, kind+".") || strings.HasSuffix(action, ".") || strings.ContainsAny(action, "{}/-") {
			t.Errorf("%s: action %q of kind %q", p, action, kind)
		}
	}
}
