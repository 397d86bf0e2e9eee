package web

import (
	"net/http"
	"strings"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/store"
)

// Every request that changes something — any method but GET and HEAD —
// through the pages or the API is recorded in the audit log once it
// succeeded (its handler returned no error and answered below 400), with
// who made it and from where. What it did is read from its route: the
// first word of the path names the kind of object, the path value {id}
// the object, the words after it the verb ("POST /monitors/{id}/pause" is
// monitor.pause on monitor {id}), and a route without such words is a
// create (POST), an update (PUT, PATCH) or a delete (DELETE); DELETE of a
// route with such words adds ".delete" to them. The pages
// and the API name the same action alike; auditNames renames the routes
// whose words say it less well. A handler adds what its route cannot say
// (the id of what it created, a summary) with audit.Annotate.

// auditNames are the actions of the routes whose words say them less well
// than a name, by the action the rule above derives.
var auditNames = map[string]string{
	"token.revoke":              "token.delete",
	"schedule.tokens":           "calendar_token.create",
	"person.calendar_tokens":    "calendar_token.create",
	"calendar_token.revoke":     "calendar_token.delete",
	"incident.timeline":         "incident.note",
	"incident.roles":            "incident.role",
	"incident.updates":          "incident.update",
	"maintenance.delete":        "maintenance.end",
	"agent.revoke":              "agent.delete",
	"action.status":             "action.update",
	"incident.postmortem":       "postmortem.update",
	"incident.postmortem.state": "postmortem.state",
	"alert.unack":               "alert.unacknowledge",
	"alert.ack":                 "alert.acknowledge",
	"setting.tokens":            "token.create",
	"incident.actions":          "incident.follow_up",
	"monitor.baseline.accept":   "monitor.baseline_accept",
	"user.update":               "user.role",

	"status_page.components.override":        "status_page.override",
	"status_page.components.override.clear":  "status_page.override_clear",
	"status_page.components.override.delete": "status_page.override_clear",
	"status_page.subscribers.delete":         "status_page.subscriber_delete",
}

// auditKinds are the kinds of object named by a path's first word when it
// is not that word without its plural s.
var auditKinds = map[string]string{
	"people":          "person",
	"maintenance":     "maintenance",
	"settings":        "setting",
	"status_pages":    "status_page",
	"calendar_tokens": "calendar_token",
	"alertmanager":    "alertmanager",
}

// auditRoute names the action of a route pattern ("POST /api/v1/monitors/{id}/pause"):
// the action, the kind of object and the name of the path value that
// holds its id ("" for none).
func auditRoute(pattern string) (action, kind, idParam string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return "", "", ""
	}
	path = strings.TrimPrefix(path, "/api/v1")
	var words []string
	for seg := range strings.SplitSeq(strings.Trim(path, "/"), "/") {
		seg = strings.ReplaceAll(seg, "-", "_")
		switch {
		case seg == "":
		case strings.HasPrefix(seg, "{"):
			if idParam == "" {
				idParam = strings.Trim(seg, "{}.")
			}
		case kind == "":
			kind = seg
			if k, ok := auditKinds[seg]; ok {
				kind = k
			} else {
				kind = strings.TrimSuffix(seg, "s")
			}
		default:
			words = append(words, seg)
		}
	}
	verb := strings.Join(words, ".")
	if kind == "setting" && len(words) > 0 {
		// /settings/tokens, /settings/tokens/{id}/revoke: the first word
		// after settings is the kind.
		kind, verb = strings.TrimSuffix(words[0], "s"), strings.Join(words[1:], ".")
	}
	if verb != "" && method == http.MethodDelete {
		verb += ".delete"
	}
	if verb == "" {
		switch method {
		case http.MethodPost:
			verb = "create"
		case http.MethodPut, http.MethodPatch:
			verb = "update"
		case http.MethodDelete:
			verb = "delete"
		default:
			verb = strings.ToLower(method)
		}
	}
	action = kind + "." + verb
	if name, ok := auditNames[action]; ok {
		action = name
		kind, _, _ = strings.Cut(name, ".")
	}
	return action, kind, idParam
}

// changes reports whether a request may change something.
func changes(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// audited runs h for u as actor, and records the request in the audit log
// when it changed something and succeeded.
func (s *Server) audited(w http.ResponseWriter, r *http.Request, u store.User, actor audit.Actor, h authedFunc) error {
	ctx := audit.WithActor(r.Context(), actor)
	if !changes(r) {
		return h(w, r.WithContext(ctx), u)
	}
	ctx, note := audit.WithNote(ctx)
	r = r.WithContext(ctx)
	sw := &statusWriter{ResponseWriter: w}
	if err := h(sw, r, u); err != nil {
		return err
	}
	if sw.status >= http.StatusBadRequest || note.Skip {
		return nil
	}
	action, kind, idParam := auditRoute(r.Pattern)
	e := store.AuditEntry{Action: action, ObjectKind: kind, Summary: note.Summary}
	if idParam != "" {
		e.ObjectID = r.PathValue(idParam)
	}
	if note.ObjectID != "" {
		e.ObjectID = note.ObjectID
	}
	if e.Summary == "" {
		e.Summary = r.Method + " " + r.URL.Path
	}
	s.opts.Audit.Record(ctx, e)
	return nil
}

// record adds an entry for something the web root does outside a logged-in
// request (logins, logouts, the first account), by actor.
func (s *Server) record(r *http.Request, actor audit.Actor, e store.AuditEntry) {
	s.opts.Audit.Record(audit.WithActor(r.Context(), actor), e)
}
