// Package status serves the public status pages, without a login:
// /status/{slug} (HTML, server-rendered, no JavaScript), /status/{slug}.json
// and the feeds /status/{slug}/feed.atom and feed.rss. A page shows only
// what its configuration names: components, their public state, 90 days of
// daily uptime and the maintenance windows that touch them; never monitors,
// targets, failure reasons or people. People who are signed in set a
// component's state by hand with a reason (the page /status-pages and the
// API /api/v1/status-pages/...). The public subscribes to a page's
// incident updates on /status/{slug}/subscribe (email with a confirmation
// link, or a webhook with a challenge), and leaves with the link in every
// update.
package status

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/subscribe"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Store is the part of the store the pages read and the overrides write.
type Store interface {
	Transitions(ctx context.Context, monitorID string, p store.Page) ([]store.StoredTransition, error)
	store.StatusPages
	store.Subscribers
}

// Deps are what the status pages need.
type Deps struct {
	Store Store
	// Runtime gives the configuration, the catalog and the monitors' live
	// state.
	Runtime webcore.Runtime
	// Mutes holds the maintenance windows; nil shows none.
	Mutes webcore.Mutes
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Sources add entries to the feeds and the page's list of recent
	// events, besides the built-in ones (component state changes,
	// overrides and maintenance). Incident updates join here.
	Sources []Source
	// CacheFor is how long a computed page is served before it is
	// computed again; 0 means DefaultCacheFor.
	CacheFor time.Duration
	// Incidents lists the active incidents shown at the top of a page;
	// nil shows none.
	Incidents ActiveSource
	// ClientIP is the address a request came from, for the limits of
	// the subscribe form; nil reads the connection's address.
	ClientIP func(*http.Request) string
	// Webhooks posts the challenge to new webhook subscribers; nil
	// builds one that follows the configuration.
	Webhooks *subscribe.Poster
	// Queued, when set, is called after a confirmation mail was queued:
	// it wakes the outbox's dispatcher.
	Queued func()
	// Version, when set, returns a number that moves whenever an
	// incident opens, changes state or gets an update. A cached page is
	// computed again as soon as it moves, so a public update shows at
	// once instead of after CacheFor. It is asked at most once per
	// VersionEvery, whatever the traffic.
	Version func(ctx context.Context) (int64, error)
}

// VersionEvery bounds how often Deps.Version is asked.
const VersionEvery = time.Second

// DefaultCacheFor is how long a computed page is kept by default.
const DefaultCacheFor = 30 * time.Second

// Days is how many days of uptime bars a page shows.
const Days = 90

// Handler serves the status pages.
type Handler struct {
	d Deps

	mu    sync.Mutex
	cache map[string]*cached // by page id

	limits *subscribe.Limiter

	verMu sync.Mutex
	verAt time.Time
	ver   int64
}

// cached is one computed page and the configuration it was computed from,
// so a reload is seen at once.
type cached struct {
	// computing is held by the one request that computes the page; the
	// others serve the previous view meanwhile, or wait for the first.
	computing sync.Mutex
	mu        sync.Mutex // guards the fields below
	cfg       *config.Config
	at        time.Time
	ver       int64 // Deps.Version when it was computed
	v         *pageView
}

// fresh returns the cached view of cfg, nil if there is none, and
// whether it may be served as it is.
func (c *cached) fresh(cfg *config.Config, now time.Time, ttl time.Duration, ver int64) (*pageView, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.v == nil || c.cfg != cfg {
		return nil, false
	}
	return c.v, now.Sub(c.at) < ttl && !now.Before(c.at) && c.ver == ver
}

// version returns Deps.Version, asking it at most once per VersionEvery;
// 0 without one. A failure keeps the last known version: the page is
// then recomputed on CacheFor alone.
func (h *Handler) version(ctx context.Context, now time.Time) int64 {
	if h.d.Version == nil {
		return 0
	}
	h.verMu.Lock()
	defer h.verMu.Unlock()
	if !h.verAt.IsZero() && now.Sub(h.verAt) < VersionEvery && !now.Before(h.verAt) {
		return h.ver
	}
	v, err := h.d.Version(ctx)
	if err != nil {
		h.d.Logger.Warn("status pages: reading what changed failed; pages follow their cache time", "err", err)
	} else {
		h.ver = v
	}
	h.verAt = now
	return h.ver
}

// New returns the handler.
func New(d Deps) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.CacheFor <= 0 {
		d.CacheFor = DefaultCacheFor
	}
	return &Handler{d: d, cache: map[string]*cached{}, limits: subscribe.NewLimiter(d.Now)}
}

// Register mounts the routes: public ones with public, the admin page with
// page (behind a login) and the API with api (behind a login or token).
func (h *Handler) Register(public func(pattern string, h http.Handler), page, api func(pattern string, h webcore.Handler)) {
	public("GET /status/style.css", http.HandlerFunc(serveStyle))
	public("GET /status/{slug}", http.HandlerFunc(h.servePage))
	public("GET /status/{slug}/feed.atom", http.HandlerFunc(h.serveAtom))
	public("GET /status/{slug}/feed.rss", http.HandlerFunc(h.serveRSS))
	public("POST /status/{slug}/subscribe", http.HandlerFunc(h.serveSubscribe))
	public("GET /status/{slug}/confirm/{token}", http.HandlerFunc(h.serveConfirmForm))
	public("POST /status/{slug}/confirm/{token}", http.HandlerFunc(h.serveConfirm))
	public("GET /status/{slug}/unsubscribe/{token}", http.HandlerFunc(h.serveUnsubscribeForm))
	public("POST /status/{slug}/unsubscribe/{token}", http.HandlerFunc(h.serveUnsubscribe))
	page("GET /status-pages", h.adminPage)
	page("POST /status-pages/{id}/components/{c}/override", h.adminSet)
	page("POST /status-pages/{id}/components/{c}/override/clear", h.adminClear)
	page("POST /status-pages/{id}/subscribers/{sid}/delete", h.adminRemoveSubscriber)
	api("GET /api/v1/status-pages", h.apiList)
	api("POST /api/v1/status-pages/{id}/components/{c}/override", h.apiSet)
	api("DELETE /api/v1/status-pages/{id}/components/{c}/override", h.apiClear)
}

// pageBySlug finds a configured page.
func pageBySlug(cfg *config.Config, slug string) (*config.StatusPage, bool) {
	for i := range cfg.StatusPages {
		if cfg.StatusPages[i].Slug == slug {
			return &cfg.StatusPages[i], true
		}
	}
	return nil, false
}

// pageByID finds a configured page.
func pageByID(cfg *config.Config, id string) (*config.StatusPage, bool) {
	for i := range cfg.StatusPages {
		if cfg.StatusPages[i].ID == id {
			return &cfg.StatusPages[i], true
		}
	}
	return nil, false
}

// view returns the page's view, computed at most once per CacheFor.
func (h *Handler) view(ctx context.Context, p *config.StatusPage) (*pageView, error) {
	cfg := h.d.Runtime.Config()
	h.mu.Lock()
	c := h.cache[p.ID]
	if c == nil {
		c = &cached{}
		h.cache[p.ID] = c
	}
	h.mu.Unlock()
	now := h.d.Now()
	ver := h.version(ctx, now)
	v, ok := c.fresh(cfg, now, h.d.CacheFor, ver)
	if ok {
		return v, nil
	}
	if v != nil {
		// Stale: one request computes, the others serve the previous
		// view, so a recomputation never holds up the page.
		if !c.computing.TryLock() {
			return v, nil
		}
	} else {
		c.computing.Lock()
	}
	defer c.computing.Unlock()
	if v, ok := c.fresh(cfg, now, h.d.CacheFor, ver); ok {
		return v, nil
	}
	v, err := h.compute(ctx, cfg, p, now)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.cfg, c.at, c.ver, c.v = cfg, now, ver, v
	c.mu.Unlock()
	return v, nil
}

// forget drops a page's cached view, after an override changed.
func (h *Handler) forget(pageID string) {
	h.mu.Lock()
	delete(h.cache, pageID)
	h.mu.Unlock()
}
