package web

import (
	"net/http"
	"strings"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// Every page and API route behind a login needs a role (store.Role). A
// read (GET, HEAD) needs a viewer, but for the reads in adminReads; a
// change needs the role its audit action (auditRoute) is given in
// actionRoles. A route whose action is missing there needs an
// administrator, and a test walks the route table so that none is missing.

// adminReads are the reads only administrators may make.
var adminReads = map[string]bool{
	"GET /audit":        true,
	"GET /users":        true,
	"GET /api/v1/audit": true,
	"GET /api/v1/users": true,
}

// actionRoles is the role each change needs, by its audit action.
var actionRoles = map[string]store.Role{
	// Anyone signed in manages their own API tokens (never with more
	// than their role) and calendar feeds.
	"token.create":          store.RoleViewer,
	"token.delete":          store.RoleViewer,
	"calendar_token.create": store.RoleViewer,
	"calendar_token.delete": store.RoleViewer,

	// Responders act on alerts and incidents.
	"alert.acknowledge":   store.RoleResponder,
	"alert.unacknowledge": store.RoleResponder,
	"alert.resolve":       store.RoleResponder,
	"alert.snooze":        store.RoleResponder,
	"silence.create":      store.RoleResponder,
	"silence.expire":      store.RoleResponder,
	"maintenance.create":  store.RoleResponder,
	"maintenance.end":     store.RoleResponder,
	"monitor.pause":       store.RoleResponder,
	"monitor.resume":      store.RoleResponder,
	"heartbeat.pause":     store.RoleResponder,
	"heartbeat.resume":    store.RoleResponder,
	"incident.create":     store.RoleResponder,
	"incident.note":       store.RoleResponder,
	"incident.mark":       store.RoleResponder,
	"incident.severity":   store.RoleResponder,
	"incident.state":      store.RoleResponder,
	"incident.role":       store.RoleResponder,
	"incident.update":     store.RoleResponder,
	"incident.follow_up":  store.RoleResponder,
	"action.update":       store.RoleResponder,
	"postmortem.update":   store.RoleResponder,
	"postmortem.state":    store.RoleResponder,
	"change.create":       store.RoleResponder,
	"channel.test":        store.RoleResponder,
	"alertmanager.create": store.RoleResponder,

	// Administrators manage what configures the server.
	"monitor.create":                store.RoleAdmin,
	"monitor.update":                store.RoleAdmin,
	"monitor.delete":                store.RoleAdmin,
	"monitor.baseline_accept":       store.RoleAdmin,
	"heartbeat.create":              store.RoleAdmin,
	"heartbeat.delete":              store.RoleAdmin,
	"agent.create":                  store.RoleAdmin,
	"agent.delete":                  store.RoleAdmin,
	"status_page.override":          store.RoleAdmin,
	"status_page.override_clear":    store.RoleAdmin,
	"status_page.subscriber_delete": store.RoleAdmin,
	"demo.toggle":                   store.RoleAdmin,
	"user.role":                     store.RoleAdmin,
}

// routeRole is the role a route pattern ("POST /api/v1/monitors/{id}/pause")
// needs; ok is false when it is not known, and then only an administrator
// may use the route.
func routeRole(pattern string) (role store.Role, ok bool) {
	method, _, _ := strings.Cut(pattern, " ")
	if method == http.MethodGet || method == http.MethodHead {
		if adminReads[pattern] {
			return store.RoleAdmin, true
		}
		return store.RoleViewer, true
	}
	action, _, _ := auditRoute(pattern)
	role, ok = actionRoles[action]
	if !ok {
		return store.RoleAdmin, false
	}
	return role, true
}

// authorize refuses u a request its role does not allow, with a message
// that says which role it needs.
func authorize(r *http.Request, u store.User) error {
	need, _ := routeRole(r.Pattern)
	if u.Can(need) {
		return nil
	}
	return errs.Errorf(errs.EFORBIDDEN, "this needs the %s role, and you act with the %s role; ask an administrator", need, u.Role)
}
