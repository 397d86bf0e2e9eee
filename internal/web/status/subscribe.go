package status

import (
	"context"
	"crypto/rand"
	"fmt"
	"html/template"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/subscribe"
)

// challengeTimeout bounds the challenge posted to a new webhook.
const challengeTimeout = 10 * time.Second

var noteTmpl = template.Must(template.New("note").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Heading}} · {{.Page}}</title>
<link rel="stylesheet" href="/status/style.css?v={{.Style}}"></head><body>
<header><p><a href="/status/{{.Slug}}">{{.Page}}</a></p><h1>{{.Heading}}</h1></header>
<main><p role="status">{{.Text}}</p>
{{with .Action}}<form method="post" action="{{.}}"><button type="submit">{{$.Button}}</button></form>{{end}}
</main></body></html>
`))

// note is a short page answering a subscriber.
type note struct {
	Page, Slug, Heading, Text string
	// Action and Button make a form that posts to Action.
	Action, Button string
	Style          string
}

func (h *Handler) writeNote(w http.ResponseWriter, status int, p *config.StatusPage, n note) {
	n.Page, n.Slug, n.Style = p.Title, p.Slug, styleTag
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the URL holds a token
	w.WriteHeader(status)
	if err := noteTmpl.Execute(w, n); err != nil {
		h.d.Logger.Error("writing a status page answer", "err", err)
	}
}

// subscribablePage finds the page of a subscription request, answering
// 404 when there is none or it offers no subscriptions.
func (h *Handler) subscribablePage(w http.ResponseWriter, r *http.Request) (*config.Config, *config.StatusPage, bool) {
	cfg := h.d.Runtime.Config()
	p, ok := pageBySlug(cfg, r.PathValue("slug"))
	if !ok || !p.Subscriptions.Offered() {
		http.Error(w, "No such status page, or it offers no subscriptions.", http.StatusNotFound)
		return nil, nil, false
	}
	return cfg, p, true
}

func (h *Handler) clientIP(r *http.Request) string {
	if h.d.ClientIP != nil {
		return h.d.ClientIP(r)
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// serveSubscribe takes a subscription by email or webhook. The answer is
// the same whether the address was subscribed already or not.
func (h *Handler) serveSubscribe(w http.ResponseWriter, r *http.Request) {
	cfg, p, ok := h.subscribablePage(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	kind, raw := store.SubscriberEmail, r.PostFormValue("email")
	if hook := r.PostFormValue("webhook"); hook != "" && raw == "" {
		kind, raw = store.SubscriberWebhook, hook
	}
	var addr string
	var err error
	switch {
	case kind == store.SubscriberEmail && p.Subscriptions.EmailChannel == "":
		err = errs.Errorf(errs.EINVALID, "this page offers no subscriptions by email")
	case kind == store.SubscriberWebhook && !p.Subscriptions.Webhooks:
		err = errs.Errorf(errs.EINVALID, "this page offers no subscriptions by webhook")
	case kind == store.SubscriberEmail:
		addr, err = subscribe.CheckEmail(raw)
	default:
		addr, err = subscribe.CheckWebhook(raw)
	}
	if err != nil {
		h.writeNote(w, http.StatusBadRequest, p, note{Heading: "Not subscribed", Text: upperFirst(errs.Message(err)) + "."})
		return
	}
	if ok, wait := h.limits.Allow(
		subscribe.Key{Name: "client " + h.clientIP(r), Every: subscribe.ClientEvery, Burst: subscribe.ClientBurst},
		subscribe.Key{Name: "address " + strings.ToLower(addr), Every: subscribe.AddressEvery, Burst: subscribe.AddressBurst},
	); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		h.writeNote(w, http.StatusTooManyRequests, p, note{Heading: "Too many requests",
			Text: fmt.Sprintf("Please try again in %s.", wait.Round(time.Second))})
		return
	}
	now := h.d.Now().UTC()
	token, hash := subscribe.NewToken()
	sub := store.Subscriber{PageID: p.ID, Kind: kind, Address: addr, CreatedAt: now}
	tok := store.SubscriberToken{Hash: hash, Purpose: store.TokenConfirm, Expires: now.Add(subscribe.ConfirmTTL)}
	if kind == store.SubscriberEmail {
		msg, _ := subscribe.Confirmation(cfg, p, addr, token, now) // the page sends mail: checked above
		if _, err := h.d.Store.AddSubscriber(r.Context(), sub, tok, &msg); err != nil {
			h.failed(w, p, "storing a subscription", err)
			return
		}
		if h.d.Queued != nil {
			h.d.Queued()
		}
		h.d.Logger.Info("status page subscription requested", "page", p.ID, "kind", kind)
		h.writeNote(w, http.StatusAccepted, p, note{Heading: "Check your inbox",
			Text: "If the address can receive mail, a message with a link to confirm the subscription is on its way. Updates are only sent once it is confirmed."})
		return
	}
	if _, err := h.d.Store.AddSubscriber(r.Context(), sub, tok, nil); err != nil {
		h.failed(w, p, "storing a subscription", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), challengeTimeout)
	defer cancel()
	_, err = h.poster().Post(ctx, p.Slug, addr, subscribe.Payload{ID: fmt.Sprintf("status/%s/challenge/%x", p.ID, hash[:12]), Event: subscribe.EventChallenge,
		Page: p.Title, PageURL: subscribe.PageURL(cfg, p), Time: now, Challenge: rand.Text()})
	if err != nil {
		h.writeNote(w, http.StatusUnprocessableEntity, p, note{Heading: "Not subscribed",
			Text: "The webhook did not accept the challenge (it must answer a POST with a 2xx status): " + err.Error()})
		return
	}
	if _, err := h.d.Store.ConfirmSubscriber(r.Context(), hash, h.d.Now().UTC()); err != nil {
		h.failed(w, p, "confirming a webhook subscription", err)
		return
	}
	h.d.Logger.Info("status page subscription confirmed", "page", p.ID, "kind", kind)
	h.writeNote(w, http.StatusOK, p, note{Heading: "Subscribed", Text: "The webhook accepted the challenge and will receive the incident updates of this page."})
}

func (h *Handler) failed(w http.ResponseWriter, p *config.StatusPage, what string, err error) {
	h.d.Logger.Error(what, "page", p.ID, "err", err)
	h.writeNote(w, http.StatusServiceUnavailable, p, note{Heading: "Please try again", Text: "The subscription cannot be handled right now. Please try again in a minute."})
}

func (h *Handler) poster() *subscribe.Poster {
	if h.d.Webhooks != nil {
		return h.d.Webhooks
	}
	return subscribe.NewPoster(h.d.Runtime.Config)
}

// serveConfirmForm shows the button that confirms: a link opened by a
// mail scanner confirms nothing.
func (h *Handler) serveConfirmForm(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.subscribablePage(w, r)
	if !ok {
		return
	}
	h.writeNote(w, http.StatusOK, p, note{Heading: "Confirm your subscription", Text: "Confirm to receive the incident updates of " + p.Title + ".",
		Action: r.URL.Path, Button: "Confirm"})
}

func (h *Handler) serveConfirm(w http.ResponseWriter, r *http.Request) {
	_, p, ok := h.subscribablePage(w, r)
	if !ok {
		return
	}
	_, err := h.d.Store.ConfirmSubscriber(r.Context(), subscribe.Hash(r.PathValue("token")), h.d.Now().UTC())
	switch {
	case errs.Code(err) == errs.ENOTFOUND:
		h.writeNote(w, http.StatusNotFound, p, note{Heading: "Link not valid",
			Text: "This confirmation link was used already, has expired or was never sent. Subscribe again on the status page."})
		return
	case err != nil:
		h.failed(w, p, "confirming a subscription", err)
		return
	}
	h.d.Logger.Info("status page subscription confirmed", "page", p.ID, "kind", store.SubscriberEmail)
	h.writeNote(w, http.StatusOK, p, note{Heading: "Subscribed", Text: "You will receive the incident updates of " + p.Title + ". Every mail has a link to unsubscribe."})
}

// unsubscriber finds the page and the subscriber of an unsubscribe link;
// ok is false when it answered 404 for an unknown page.
func (h *Handler) unsubscriber(w http.ResponseWriter, r *http.Request) (*config.StatusPage, store.Subscriber, bool, error) {
	p, ok := pageBySlug(h.d.Runtime.Config(), r.PathValue("slug"))
	if !ok {
		http.Error(w, "No such status page.", http.StatusNotFound)
		return nil, store.Subscriber{}, false, nil
	}
	s, err := h.d.Store.SubscriberByToken(r.Context(), subscribe.Hash(r.PathValue("token")))
	if err == nil && s.PageID != p.ID {
		err = errs.Errorf(errs.ENOTFOUND, "the link is of another page")
	}
	return p, s, true, err
}

func (h *Handler) serveUnsubscribeForm(w http.ResponseWriter, r *http.Request) {
	p, s, ok, err := h.unsubscriber(w, r)
	if !ok {
		return
	}
	switch {
	case errs.Code(err) == errs.ENOTFOUND:
		h.writeNote(w, http.StatusNotFound, p, note{Heading: "Not subscribed", Text: "This link is not valid, or the subscription has ended already."})
		return
	case err != nil:
		h.failed(w, p, "reading a subscription", err)
		return
	}
	h.writeNote(w, http.StatusOK, p, note{Heading: "Unsubscribe", Text: "Stop sending the incident updates of " + p.Title + " to " + s.Address + "?",
		Action: r.URL.Path, Button: "Unsubscribe"})
}

// serveUnsubscribe ends a subscription: the button of the form above, or
// a mail client's one-click POST (RFC 8058). It answers the same when the
// subscription has ended already.
func (h *Handler) serveUnsubscribe(w http.ResponseWriter, r *http.Request) {
	p, s, ok, err := h.unsubscriber(w, r)
	if !ok {
		return
	}
	if err == nil {
		err = h.d.Store.DeleteSubscriber(r.Context(), s.PageID, s.ID)
		if err == nil {
			h.d.Logger.Info("status page subscription ended", "page", p.ID, "kind", s.Kind)
		}
	}
	if err != nil && errs.Code(err) != errs.ENOTFOUND {
		h.failed(w, p, "ending a subscription", err)
		return
	}
	h.writeNote(w, http.StatusOK, p, note{Heading: "Unsubscribed", Text: "You will receive no more updates of " + p.Title + "."})
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
