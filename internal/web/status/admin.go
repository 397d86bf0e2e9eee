package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// MaxReason bounds the reason of a state set by hand.
const MaxReason = 500

// target finds the page and component a request names.
func (h *Handler) target(r *http.Request) (*config.StatusPage, config.StatusComponent, error) {
	p, ok := pageByID(h.d.Runtime.Config(), r.PathValue("id"))
	if !ok {
		return nil, config.StatusComponent{}, errs.Errorf(errs.ENOTFOUND, "no status page %q", r.PathValue("id"))
	}
	key := r.PathValue("c")
	for _, c := range p.Components {
		if Key(c) == key {
			return p, c, nil
		}
	}
	return nil, config.StatusComponent{}, errs.Errorf(errs.ENOTFOUND, "status page %q has no component %q", p.ID, key)
}

// set stores a state set by hand, after checking it.
func (h *Handler) set(ctx context.Context, p *config.StatusPage, c config.StatusComponent, u store.User, state, reason string) (store.StatusOverride, error) {
	reason = strings.TrimSpace(reason)
	if !ValidState(state) {
		return store.StatusOverride{}, errs.Errorf(errs.EINVALID, "unknown state %q: use one of %s", state, strings.Join(States, ", "))
	}
	if reason == "" {
		return store.StatusOverride{}, errs.Errorf(errs.EINVALID, "a reason is required: it is shown on the public page")
	}
	if !utf8.ValidString(reason) || len(reason) > MaxReason {
		return store.StatusOverride{}, errs.Errorf(errs.EINVALID, "the reason must be text of at most %d bytes", MaxReason)
	}
	o := store.StatusOverride{PageID: p.ID, Component: Key(c), State: state, Reason: reason, By: u.Name, SetAt: h.d.Now().UTC()}
	if err := h.d.Store.SetStatusOverride(ctx, o); err != nil {
		return store.StatusOverride{}, err
	}
	h.forget(p.ID)
	h.d.Logger.Info("status page state set by hand", "page", p.ID, "component", o.Component, "state", state, "user", u.Name)
	return o, nil
}

func (h *Handler) clear(ctx context.Context, p *config.StatusPage, c config.StatusComponent, u store.User) error {
	if err := h.d.Store.ClearStatusOverride(ctx, p.ID, Key(c)); err != nil {
		return err
	}
	h.forget(p.ID)
	h.d.Logger.Info("status page state set by hand cleared", "page", p.ID, "component", Key(c), "user", u.Name)
	return nil
}

// APIComponent is a component as the API lists it, for the people who
// run the page: its derived state and any state set by hand.
type APIComponent struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	State string `json:"state"`
	// Override is the state set by hand, if any.
	Override *APIOverride `json:"override,omitempty"`
}

// APIOverride is a state set by hand.
type APIOverride struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
	By     string `json:"by"`
	SetAt  string `json:"set_at"`
}

// APIPage is a status page as the API lists it.
type APIPage struct {
	ID         string         `json:"id"`
	Slug       string         `json:"slug"`
	Title      string         `json:"title"`
	URL        string         `json:"url"`
	State      string         `json:"state"`
	Components []APIComponent `json:"components"`
	// Subscribers counts the page's subscribers, when it offers
	// subscriptions or has any.
	Subscribers *store.SubscriberCount `json:"subscribers,omitempty"`
	// Subscribed lists the newest subscribers, on the admin page only.
	Subscribed []store.Subscriber `json:"-"`
}

func (h *Handler) pages(ctx context.Context) ([]APIPage, error) {
	cfg := h.d.Runtime.Config()
	out := []APIPage{}
	counts, err := h.d.Store.SubscriberCounts(ctx)
	if err != nil {
		return nil, err
	}
	for i := range cfg.StatusPages {
		p := &cfg.StatusPages[i]
		v, err := h.view(ctx, p)
		if err != nil {
			return nil, err
		}
		os, err := h.d.Store.StatusOverrides(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		ap := APIPage{ID: p.ID, Slug: p.Slug, Title: p.Title, URL: "/status/" + p.Slug, State: v.State, Components: []APIComponent{}}
		if n, ok := counts[p.ID]; ok || p.Subscriptions.Offered() {
			ap.Subscribers = &n
		}
		for _, c := range v.Components {
			ac := APIComponent{Key: c.Key, Name: c.Name, State: c.State}
			for _, o := range os {
				if o.Component == c.Key {
					ac.Override = &APIOverride{State: o.State, Reason: o.Reason, By: o.By, SetAt: o.SetAt.UTC().Format("2006-01-02T15:04:05Z")}
				}
			}
			ap.Components = append(ap.Components, ac)
		}
		out = append(out, ap)
	}
	return out, nil
}

func (h *Handler) apiList(w http.ResponseWriter, r *http.Request, u store.User) error {
	ps, err := h.pages(r.Context())
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, map[string]any{"data": ps})
	return nil
}

// overrideBody is the body of POST .../override.
type overrideBody struct {
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func (h *Handler) apiSet(w http.ResponseWriter, r *http.Request, u store.User) error {
	p, c, err := h.target(r)
	if err != nil {
		return err
	}
	var b overrideBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return errs.Errorf(errs.EINVALID, "the body must be a JSON object with state and reason: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errs.Errorf(errs.EINVALID, "the body must hold one JSON object")
	}
	o, err := h.set(r.Context(), p, c, u, b.State, b.Reason)
	if err != nil {
		return err
	}
	webcore.WriteJSON(w, http.StatusOK, map[string]any{"data": APIOverride{State: o.State, Reason: o.Reason, By: o.By, SetAt: o.SetAt.Format("2006-01-02T15:04:05Z")}})
	return nil
}

func (h *Handler) apiClear(w http.ResponseWriter, r *http.Request, u store.User) error {
	p, c, err := h.target(r)
	if err != nil {
		return err
	}
	if err := h.clear(r.Context(), p, c, u); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var adminTmpl = template.Must(template.New("admin").Funcs(funcs).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Status pages · Tocsin</title><link rel="stylesheet" href="/status/style.css?v={{.Style}}"></head><body>
<header><p><a href="/">Tocsin</a></p><h1>Status pages</h1>
<p>A state set here replaces the one the monitors give, with its reason, on the public page until it is cleared.</p></header>
<main>{{with .Error}}<p class="banner s-major_outage" role="alert">{{.}}</p>{{end}}
{{range .Pages}}<section><h2>{{.Title}} <small><a href="{{.URL}}">{{.URL}}</a></small></h2>
{{$p := .}}{{range .Components}}{{$c := .}}<div class="comp"><h3><span>{{.Name}}</span> <span class="state s-{{.State}}">{{label .State}}</span></h3>
{{with .Override}}<p class="reason">Set by hand by {{.By}} at {{.SetAt}}: {{.Reason}}</p>
{{if $.Admin}}<form method="post" action="/status-pages/{{$p.ID}}/components/{{$c.Key}}/override/clear"><button type="submit">Clear, follow the monitors again</button></form>{{end}}{{end}}
{{if $.Admin}}<form method="post" action="/status-pages/{{$p.ID}}/components/{{.Key}}/override">
<label>State <select name="state">{{range $.States}}<option value="{{.}}">{{label .}}</option>{{end}}</select></label>
<label>Reason (public) <input name="reason" required maxlength="500" size="40"></label>
<button type="submit">Set</button></form>{{end}}</div>
{{end}}{{with .Subscribers}}<h3>Subscribers</h3><p>{{.Confirmed}} confirmed, {{.Pending}} waiting for their confirmation.</p>{{end}}
{{with .Subscribed}}<table><thead><tr><th>Address</th><th>Kind</th><th>Since</th><th>Confirmed</th><th></th></tr></thead><tbody>
{{range .}}<tr><td>{{.Address}}</td><td>{{.Kind}}</td><td>{{utc .CreatedAt}}</td><td>{{if .ConfirmedAt.IsZero}}not yet{{else}}{{utc .ConfirmedAt}}{{end}}</td>
<td>{{if $.Admin}}<form method="post" action="/status-pages/{{$p.ID}}/subscribers/{{.ID}}/delete"><button type="submit">Remove</button></form>{{end}}</td></tr>
{{end}}</tbody></table>{{if eq (len .) 100}}<p>The newest 100 are listed.</p>{{end}}{{end}}
</section>{{else}}<p>No status pages are configured: see status_pages in the configuration.</p>{{end}}
</main></body></html>
`))

func (h *Handler) adminPage(w http.ResponseWriter, r *http.Request, u store.User) error {
	return h.renderAdmin(w, r, u, http.StatusOK, "")
}

func (h *Handler) renderAdmin(w http.ResponseWriter, r *http.Request, u store.User, status int, msg string) error {
	ps, err := h.pages(r.Context())
	if err != nil {
		return err
	}
	for i := range ps {
		if ps[i].Subscribers == nil {
			continue
		}
		if ps[i].Subscribed, err = h.d.Store.Subscribers(r.Context(), ps[i].ID, time.Time{}, store.Page{Limit: 100}); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return adminTmpl.Execute(w, adminView{Pages: ps, States: States, Error: msg, Style: styleTag, Admin: u.Can(store.RoleAdmin)})
}

type adminView struct {
	Pages  []APIPage
	States []string
	Error  string
	Style  string
	// Admin shows the controls, which only administrators may use.
	Admin bool
}

func (h *Handler) adminSet(w http.ResponseWriter, r *http.Request, u store.User) error {
	p, c, err := h.target(r)
	if err != nil {
		return err
	}
	if _, err := h.set(r.Context(), p, c, u, r.PostFormValue("state"), r.PostFormValue("reason")); err != nil {
		if errs.Code(err) == errs.EINVALID {
			return h.renderAdmin(w, r, u, http.StatusUnprocessableEntity, fmt.Sprintf("%s: %s", Key(c), errs.Message(err)))
		}
		return err
	}
	http.Redirect(w, r, "/status-pages", http.StatusSeeOther)
	return nil
}

func (h *Handler) adminClear(w http.ResponseWriter, r *http.Request, u store.User) error {
	p, c, err := h.target(r)
	if err != nil {
		return err
	}
	if err := h.clear(r.Context(), p, c, u); err != nil {
		return err
	}
	http.Redirect(w, r, "/status-pages", http.StatusSeeOther)
	return nil
}

// adminRemoveSubscriber ends a subscription for its subscriber.
func (h *Handler) adminRemoveSubscriber(w http.ResponseWriter, r *http.Request, u store.User) error {
	p, ok := pageByID(h.d.Runtime.Config(), r.PathValue("id"))
	if !ok {
		return errs.Errorf(errs.ENOTFOUND, "no status page %q", r.PathValue("id"))
	}
	id, err := strconv.ParseInt(r.PathValue("sid"), 10, 64)
	if err != nil {
		return errs.Errorf(errs.ENOTFOUND, "status page %q has no subscriber %q", p.ID, r.PathValue("sid"))
	}
	if err := h.d.Store.DeleteSubscriber(r.Context(), p.ID, id); err != nil {
		return err
	}
	h.d.Logger.Info("status page subscriber removed", "page", p.ID, "subscriber", id, "user", u.Name)
	http.Redirect(w, r, "/status-pages", http.StatusSeeOther)
	return nil
}
