// Package ack serves the one-click links of paged alerts, without a login:
// GET /a/{token} shows what the link does and a button, POST /a/{token}
// does it. A link names one alert, one action and the person it was sent
// to, is signed by the server and expires (escalate.Links); the store
// records it when used, so it works once. Mail scanners that follow every
// link with GET acknowledge nothing.
package ack

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/escalate"
	"github.com/tocsin/tocsin/internal/store"
)

// Store is the part of the store the links use.
type Store interface {
	Alert(ctx context.Context, id int64) (store.Alert, error)
	Act(ctx context.Context, alertID int64, a store.AlertAct) (store.Alert, error)
}

// Deps are what the handler needs.
type Deps struct {
	Store Store
	// Links checks the tokens. Nil refuses every link.
	Links *escalate.Links
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Acted is called after a link acted, so the escalator sends the
	// news at once; nil when nothing listens.
	Acted func()
	// Audit records each use of a link (as "link:<who>", from the
	// client the web root names in the request's context); nil records
	// nothing.
	Audit audit.Recorder
}

// Handler serves GET and POST /a/{token}.
type Handler struct{ d Deps }

// New returns the handler.
func New(d Deps) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{d: d}
}

// Register mounts the routes with handle.
func (h *Handler) Register(handle func(pattern string, h http.Handler)) {
	handle("GET /a/{token}", http.HandlerFunc(h.show))
	handle("POST /a/{token}", http.HandlerFunc(h.act))
}

// style is the page's only style, inline; the page's Content-Security-Policy
// allows it by its hash and nothing else.
const style = `body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}
.refused{color:#a40000}button{font-size:1.1rem;padding:.5rem 1.2rem}ul{padding-left:1.2rem}`

var csp = func() string {
	sum := sha256.Sum256([]byte(style))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}()

var page = template.Must(template.New("ack").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}} · Tocsin</title>
<style>` + style + `</style></head>
<body><h1{{if .Refused}} class="refused"{{end}}>{{.Title}}</h1>
<p>{{.Message}}</p>
{{with .Alert}}<p>Alert {{.ID}} of <strong>{{.GroupKey}}</strong>, {{.State}}{{if .AcknowledgedBy}}, acknowledged by {{.AcknowledgedBy}}{{end}}.</p>
<ul>{{range .Monitors}}<li>{{.MonitorID}}: {{.Status}}{{if and .Reason (eq .Status "down")}} — {{.Reason}}{{end}}</li>{{end}}</ul>{{end}}
{{if .Button}}<form method="post"><button type="submit">{{.Button}}</button></form>{{end}}
</body></html>
`))

type view struct {
	Title, Message, Button string
	Refused                bool
	Alert                  *store.Alert
}

func (h *Handler) render(w http.ResponseWriter, status int, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := page.Execute(w, v); err != nil {
		h.d.Logger.Error("rendering the alert link page", "err", err)
	}
}

func (h *Handler) refuse(w http.ResponseWriter, status int, msg string) {
	h.render(w, status, view{Title: "This link cannot be used", Message: msg, Refused: true})
}

// check returns the token's claim, or answers the refusal and false.
func (h *Handler) check(w http.ResponseWriter, r *http.Request) (escalate.Claim, bool) {
	c, err := h.d.Links.Check(r.PathValue("token"), h.d.Now())
	switch {
	case err == nil:
		return c, true
	case errors.Is(err, escalate.ErrLinkExpired):
		h.refuse(w, http.StatusGone, "This link has expired. Open the alert in Tocsin and act there.")
	default:
		h.refuse(w, http.StatusNotFound, "This link is not valid: it was changed, cut short, or not made by this server. Nothing was done.")
	}
	return escalate.Claim{}, false
}

func verb(action string) (button, done string) {
	if action == escalate.LinkResolve {
		return "Resolve", "resolved"
	}
	return "Acknowledge", "acknowledged"
}

// who is how the log names the person who used a link.
func who(c escalate.Claim) string {
	return "link:" + strings.TrimPrefix(c.Who, "person:")
}

// show answers GET: what the link would do, and a button to do it.
// Nothing changes here, so a scanner that follows the link does no harm.
func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	c, ok := h.check(w, r)
	if !ok {
		return
	}
	a, err := h.d.Store.Alert(r.Context(), c.AlertID)
	if err != nil {
		h.storeError(w, err)
		return
	}
	button, _ := verb(c.Action)
	v := view{Title: fmt.Sprintf("%s alert %d?", button, a.ID), Alert: &a,
		Message: fmt.Sprintf("This link was sent to %s. It works once, until %s.", strings.TrimPrefix(c.Who, "person:"), c.Expires.Format("2006-01-02 15:04 MST"))}
	switch a.State {
	case store.AlertResolved:
		v.Title, v.Message = fmt.Sprintf("Alert %d is resolved", a.ID), "Nothing is left to do."
	case store.AlertAcknowledged:
		if c.Action == escalate.LinkAcknowledge {
			v.Title, v.Message = fmt.Sprintf("Alert %d is acknowledged already", a.ID), "Escalation has stopped."
			break
		}
		v.Button = button
	default:
		v.Button = button
	}
	h.render(w, http.StatusOK, v)
}

// act answers POST: it acts, recording who used the link.
func (h *Handler) act(w http.ResponseWriter, r *http.Request) {
	c, ok := h.check(w, r)
	if !ok {
		return
	}
	kind := store.ActAcknowledge
	if c.Action == escalate.LinkResolve {
		kind = store.ActResolve
	}
	a, err := h.d.Store.Act(r.Context(), c.AlertID, store.AlertAct{Kind: kind, Who: who(c), At: h.d.Now(), LinkHash: escalate.Hash(r.PathValue("token"))})
	if err != nil {
		h.storeError(w, err)
		return
	}
	if h.d.Acted != nil {
		h.d.Acted()
	}
	_, done := verb(c.Action)
	if h.d.Audit != nil {
		action := "alert.acknowledge"
		if kind == store.ActResolve {
			action = "alert.resolve"
		}
		h.d.Audit.Record(r.Context(), store.AuditEntry{Actor: who(c), Action: action, ObjectKind: "alert", ObjectID: strconv.FormatInt(a.ID, 10),
			Summary: "by the one-click link sent to " + c.Who})
	}
	h.d.Logger.Info("alert acted on by link", "alert", a.ID, "action", kind, "by", who(c))
	h.render(w, http.StatusOK, view{Title: fmt.Sprintf("Alert %d %s", a.ID, done), Alert: &a,
		Message: fmt.Sprintf("Recorded: %s by %s at %s.", done, strings.TrimPrefix(c.Who, "person:"), h.d.Now().UTC().Format("2006-01-02 15:04:05 UTC"))})
}

func (h *Handler) storeError(w http.ResponseWriter, err error) {
	switch errs.Code(err) {
	case errs.ENOTFOUND:
		h.refuse(w, http.StatusNotFound, "The alert of this link does not exist (any more).")
	case errs.ECONFLICT:
		h.refuse(w, http.StatusConflict, errs.Message(err)+". Nothing was done.")
	default:
		h.d.Logger.Error("alert link", "err", err)
		h.refuse(w, http.StatusInternalServerError, "Tocsin could not reach its database. Nothing was done; try again in a moment.")
	}
}
