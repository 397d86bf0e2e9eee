// Package web is the HTTP side of Tocsin. It builds the Server the app
// runs and holds what every audience shares: sessions, API tokens and
// logins, cross-origin protection, client addresses, the error table,
// health and metrics. The audiences live below it: web/ui (pages), web/api
// (the JSON API) and web/ingest (pings); web/webcore holds the types they
// share. It reads history from the store and live state from the Runtime
// the app gives it; it never reaches into other packages' globals.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web/ack"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/ingest"
	"github.com/tocsin/tocsin/internal/web/status"
	"github.com/tocsin/tocsin/internal/web/ui"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// PingReceiver takes heartbeat pings (the app's heartbeat hub).
type PingReceiver = ingest.Receiver

// Options configures a Server. Store and Runtime are required.
type Options struct {
	// Store holds history, accounts, sessions and tokens.
	Store store.Store
	// Runtime is the app's live state (monitors, config status, health).
	Runtime Runtime
	// Logger receives internal errors; nil discards them.
	Logger *slog.Logger
	// Gatherer is served on /metrics; nil serves an empty registry.
	Gatherer prometheus.Gatherer
	// MetricsToken, when set, is required as a bearer token on /metrics.
	MetricsToken string
	// MetricsWriteTimeout is how long /metrics may take to write its
	// answer, from the end of the request's headers, in place of the
	// server's write timeout; 0: DefaultMetricsWriteTimeout.
	MetricsWriteTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// SecureCookies sets the Secure flag on the session cookie.
	SecureCookies bool
	// SessionTTL is how long a login lasts; 0 means 30 days.
	SessionTTL time.Duration
	// Version is shown in the footer and in /api/v1/status.
	Version string
	// DemoToggle switches the built-in demo target between healthy and
	// failing; nil when no demo target runs.
	DemoToggle func(failing bool)
	// DemoState reports whether the demo target is failing; nil when no
	// demo target runs.
	DemoState func() bool
	// Pings receives heartbeat pings on /ping/; nil answers them 404.
	Pings PingReceiver
	// Heartbeats is the live side of heartbeats for the UI and API; nil
	// shows none.
	Heartbeats Heartbeats
	// Monitors creates the monitors made through the API; nil creates
	// none.
	Monitors Monitors
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header
	// names the client (server.trusted_proxies). None: the header is ignored.
	TrustedProxies []netip.Prefix
	// HashConcurrency bounds the password hashes (argon2id, 64 MiB each)
	// running at once; 0 means DefaultHashConcurrency().
	HashConcurrency int
	// HashWait is how long a login waits for a hashing slot before it is
	// answered 429; 0 means DefaultHashWait.
	HashWait time.Duration
	// HashStarted, when set, is called as each password hash starts, with
	// the number of hashes running.
	HashStarted func(running int)
	// Kinds describes monitors by their probe kind (targets, metrics); nil
	// shows no targets and plain metric values.
	Kinds Kinds
	// Channels sends the test notifications asked for on a channel's page
	// and through the API; nil refuses them.
	Channels ChannelTester
	// Mutes holds the maintenance windows and silences; nil shows none.
	Mutes webcore.Mutes
	// AlertLinks serves the one-click links of paged alerts on /a/{token},
	// without a login; nil serves none.
	AlertLinks *ack.Handler
	// AlertActed is called after someone acknowledged, snoozed or
	// resolved a paged alert through the API; nil when nothing listens.
	AlertActed func()
	// IncidentEvent is told of incidents people declared, updated and
	// moved (webcore.Deps.IncidentEvent).
	IncidentEvent func(event string, in store.Incident, message string)
	// FollowUpsChanged is called after a follow-up action was added or
	// changed, so a reminder now due goes at once; nil when nothing
	// listens.
	FollowUpsChanged func()
	// AgentAPI registers the agents' API (/api/agent/v1/...) with the
	// handle func it is given; nil serves none.
	AgentAPI func(handle func(pattern string, h http.Handler))
	// Agents lists, creates and revokes agents for the pages and the API.
	Agents webcore.Agents
	// AcceptBaseline makes a monitor's observed facts its new baseline;
	// nil accepts none.
	AcceptBaseline webcore.AcceptBaseline
	// Replicas describes the replicas sharing the database for the
	// Replicas page; nil when the server runs alone.
	Replicas func() webcore.ReplicasView
	// StatusSources add entries (public incident updates) to the status
	// pages and their feeds; nil adds none.
	StatusSources []status.Source
	// StatusIncidents lists the active incidents shown at the top of the
	// status pages; nil shows none.
	StatusIncidents status.ActiveSource
	// StatusQueued is called after a status page queued a confirmation
	// mail; nil when nothing listens.
	StatusQueued func()
	// Audit records every change made through the pages and the API, and
	// logins; nil records nothing.
	Audit audit.Recorder
	// Alertmanager takes the alerts Alertmanager posts to
	// /api/v1/alertmanager; nil refuses them.
	Alertmanager webcore.Alertmanager
	// OIDC, when set, adds sign-in through an OpenID Connect provider
	// (/login/oidc); nil offers names and passwords only.
	OIDC *OIDC
}

// DefaultSessionTTL is how long a login lasts when Options.SessionTTL is 0.
const DefaultSessionTTL = 30 * 24 * time.Hour

// Server is the HTTP side of Tocsin: UI, JSON API, authentication, health
// and metrics. Build it with New and serve Handler.
type Server struct {
	store store.Store
	rt    Runtime
	log   *slog.Logger
	now   func() time.Time
	opts  Options
	pages *ui.UI
	// schedules are the on-call schedules the pages, the API and /metrics
	// share, converted once per configuration.
	schedules *webcore.Schedules
	limiter   *loginLimiter
	// oidc is the sign-in provider; nil when none is configured.
	oidc    *oidcClient
	routes  []route
	handler http.Handler

	// hasUsers caches UserCount() > 0: once an account exists there is no
	// way back to the first-run state, so the count need not be asked again.
	hasUsers atomic.Bool
	// setupMu serialises first-run account creation within this process.
	setupMu sync.Mutex
	// hashes bounds the password hashes running at once.
	hashes *hashGate
	// dummyHash is verified against when a login names an unknown user, so
	// the response time does not tell which names exist.
	dummyHash string
}

// route is one registered pattern, kept so tests can compare the API routes
// with the OpenAPI description.
type route struct {
	pattern string
	handler http.Handler
	// authed is set for the routes behind a login, which need a role
	// (routeRole).
	authed bool
}

// New builds a Server from opts.
func New(opts Options) (*Server, error) {
	if opts.Store == nil {
		return nil, errors.New("web: Options.Store is required")
	}
	if opts.Runtime == nil {
		return nil, errors.New("web: Options.Runtime is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.NewRegistry()
	}
	if (opts.DemoToggle == nil) != (opts.DemoState == nil) {
		return nil, errors.New("web: Options.DemoToggle and Options.DemoState must be set together")
	}
	if opts.HashConcurrency <= 0 {
		opts.HashConcurrency = DefaultHashConcurrency()
	}
	if opts.Kinds == nil {
		opts.Kinds = webcore.PlainKinds{}
	}
	if opts.Monitors == nil {
		opts.Monitors = webcore.NoMonitors{}
	}
	if opts.Heartbeats == nil {
		opts.Heartbeats = webcore.NoHeartbeats{}
	}
	if opts.Channels == nil {
		opts.Channels = webcore.NoChannelTests{}
	}
	if opts.HashWait <= 0 {
		opts.HashWait = DefaultHashWait
	}
	if opts.Audit == nil {
		opts.Audit = audit.Discard{}
	}
	if opts.Alertmanager == nil {
		opts.Alertmanager = webcore.NoAlertmanager{}
	}
	s := &Server{
		store: opts.Store,
		rt:    opts.Runtime,
		log:   opts.Logger,
		now:   opts.Now,
		opts:  opts,
	}
	s.schedules = webcore.NewSchedules(opts.Runtime)
	if opts.OIDC != nil {
		s.oidc = &oidcClient{cfg: *opts.OIDC, now: s.now}
	}
	s.limiter = newLoginLimiter(s.now, loginWindow, loginMaxKeys)
	s.hashes = newHashGate(opts.HashConcurrency, opts.HashWait, opts.HashStarted)
	var err error
	if s.dummyHash, err = dummyPasswordHash(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.pages, err = ui.New(ui.Deps{Deps: s.audienceDeps(), Logger: s.log, DemoToggle: opts.DemoToggle, DemoState: opts.DemoState})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	pings := ingest.NewPings(ingest.Deps{Pings: opts.Pings, Now: s.now, ClientIP: s.clientIP, Logger: s.log})
	s.registerRoutes(pings)
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.pattern, rt.handler)
	}
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(s.crossOriginDenied))
	s.handler = pingsFirst(pings, securityHeaders(csrf.Handler(s.unrouted(mux))))
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) handle(pattern string, h http.Handler) {
	s.routes = append(s.routes, route{pattern: pattern, handler: h})
}

// handleAuthed registers a route behind a login.
func (s *Server) handleAuthed(pattern string, h http.Handler) {
	s.routes = append(s.routes, route{pattern: pattern, handler: h, authed: true})
}

// registerRoutes lists every endpoint: the shared ones here, the pages'
// and the API's from their packages. The UI and the API require a login;
// health, metrics, static assets and the OpenAPI description do not.
func (s *Server) registerRoutes(pings http.Handler) {
	// Public.
	s.handle("GET /healthz", http.HandlerFunc(s.handleHealthz))
	s.handle("GET /readyz", http.HandlerFunc(s.handleReadyz))
	s.handle("GET /metrics", s.metricsHandler())
	s.handle("GET /setup", s.public(s.handleSetupForm))
	s.handle("POST /setup", s.public(s.handleSetup))
	s.handle("GET /login", s.public(s.handleLoginForm))
	s.handle("POST /login", s.public(s.handleLogin))
	s.handle("POST /logout", s.public(s.handleLogout))
	if s.oidc != nil {
		s.handle("GET /login/oidc", s.public(s.handleOIDCStart))
		s.handle("GET /login/oidc/callback", s.public(s.handleOIDCCallback))
	}
	s.handle("/ping/", pings) // served first by pingsFirst
	if s.opts.AlertLinks != nil {
		// The links need no login; the audit log still says where they
		// were used from.
		s.opts.AlertLinks.Register(func(pattern string, h http.Handler) {
			s.handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(w, r.WithContext(audit.WithActor(r.Context(), audit.Actor{IP: s.clientIP(r)})))
			}))
		})
	}

	// UI.
	s.pages.Register(s.handle, func(pattern string, h ui.Handler) { s.handleAuthed(pattern, s.ui(h)) },
		func(h ui.Handler) http.Handler { return s.ui(h) })
	// No catch-all "/" or "/api/" pattern: one would match every method
	// and turn each 405 into a 404; unrouted answers what nothing matches.

	// Public status pages, with their admin page and API.
	status.New(status.Deps{Store: s.store, Version: s.store.IncidentsVersion, Runtime: s.rt, Mutes: s.opts.Mutes, Now: s.now, Logger: s.log, Sources: s.opts.StatusSources,
		Incidents: s.opts.StatusIncidents, ClientIP: s.clientIP, Queued: s.opts.StatusQueued}).Register(s.handle,
		func(pattern string, h webcore.Handler) { s.handleAuthed(pattern, s.ui(h)) },
		func(pattern string, h webcore.Handler) { s.handleAuthed(pattern, s.api(h)) })

	// The agents' API: bearer agent tokens, no sessions.
	if s.opts.AgentAPI != nil {
		s.opts.AgentAPI(s.handle)
	}

	// JSON API.
	api.New(s.audienceDeps()).Register(s.handle, func(pattern string, h api.Handler) { s.handleAuthed(pattern, s.api(h)) })
}

// audienceDeps is what the pages and the API get from this server.
func (s *Server) audienceDeps() webcore.Deps {
	return webcore.Deps{
		Store: s.store, Runtime: s.rt, Heartbeats: s.opts.Heartbeats, Monitors: s.opts.Monitors, Kinds: s.opts.Kinds, Channels: s.opts.Channels, Now: s.now,
		Version: s.opts.Version, CreateToken: s.createToken, RevokeToken: s.revokeToken, Schedules: s.schedules, Mutes: s.opts.Mutes,
		AlertActed: s.opts.AlertActed, IncidentEvent: s.opts.IncidentEvent, FollowUpsChanged: s.opts.FollowUpsChanged,
		Agents: s.opts.Agents, AcceptBaseline: s.opts.AcceptBaseline, Audit: s.opts.Audit, Alertmanager: s.opts.Alertmanager,
		Replicas: s.opts.Replicas,
	}
}

// pingsFirst sends /ping/ requests straight to pings, the hot path: a
// plain-text answer needs none of the page headers, and pings carry no
// cookies and change nothing a session owns, so jobs and browsers alike
// may POST them from anywhere (as to Healthchecks.io) without the
// cross-origin check.
func pingsFirst(pings, rest http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/ping/") {
			pings.ServeHTTP(w, r)
			return
		}
		rest.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries. The CSP allows
// only this origin: charts are inline SVG coloured through classes in the
// stylesheet, so no inline style or script is needed.
func securityHeaders(next http.Handler) http.Handler {
	const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", csp)
		next.ServeHTTP(w, r)
	})
}
