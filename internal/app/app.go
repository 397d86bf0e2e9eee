// Package app wires Tocsin together: it is the only package that knows every
// other one. It loads the configuration, opens the store, builds the probers,
// runs the scheduler, the engine, the outbox dispatcher and the web server,
// and swaps configurations on reload.
package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"github.com/tocsin/tocsin/internal/agent"
	"github.com/tocsin/tocsin/internal/audit"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/escalate"
	"github.com/tocsin/tocsin/internal/followup"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/mailping"
	"github.com/tocsin/tocsin/internal/heartbeat/roster"
	"github.com/tocsin/tocsin/internal/incident"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/notify/channels"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/httpx"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/replica"
	"github.com/tocsin/tocsin/internal/scheduler"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/batch"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/ack"
	"github.com/tocsin/tocsin/internal/web/status"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Options configure a new App.
type Options struct {
	// ConfigPath is the YAML file to load and watch.
	ConfigPath string
	// Config, when set, is used instead of loading ConfigPath at start
	// (reloads still read ConfigPath when it is set).
	Config *config.Config
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Listener, when set, is used instead of listening on server.listen
	// (tests pass a listener on port 0).
	Listener net.Listener
	// WatchInterval is how often the config file is checked for changes.
	// Default 2s; negative disables watching.
	WatchInterval time.Duration
	// FlushInterval is how often evaluated results that move a status,
	// an alert or a notification are written; results that change
	// nothing wait quietFlushes times as long. Default 200ms.
	FlushInterval time.Duration
	// SMTPListener, when set, is used instead of listening on
	// server.smtp_listen (tests pass a listener on port 0).
	SMTPListener net.Listener
	// Directory, when set, answers the escalator instead of the catalog
	// (whom a target reaches, which policy pages for a service).
	Directory func() escalate.Directory
}

// App is a running Tocsin server.
type App struct {
	opts      Options
	log       *slog.Logger
	now       func() time.Time
	registry  *prometheus.Registry
	store     store.Store
	sched     *scheduler.Scheduler
	disp      *notify.Dispatcher
	esc       *escalate.Escalator
	inc       *incident.Runner
	followUps *followup.Runner
	links     *escalate.Links
	eng       *engine.Engine
	hb        *heartbeat.Hub
	agents    *agent.Server
	// baselines judges observed facts against the stored baselines.
	baselines *baselines
	// audit records changes and actions (internal/audit).
	audit    *audit.Log
	web      *web.Server
	demo     *demoTarget
	smtp     *mailping.Server
	smtpAddr string
	metrics  *appMetrics
	// incidents exports how incidents were answered on /metrics.
	incidents *incidentCollector
	writers   *batch.Writers
	// replicas holds this replica's leases on monitors (PostgreSQL); nil
	// on SQLite, where one process owns every monitor.
	replicas *replica.Manager
	// adoptMu orders the loads of monitor states from other replicas;
	// othersMark is the store's mark of the last refresh (under adoptMu).
	adoptMu    sync.Mutex
	othersMark int64
	// bucketN counts the monitors of bucketCfg by bucket (bucketCounts).
	bucketMu  sync.Mutex
	bucketCfg *config.Config
	bucketN   []int
	// routes keeps the agent results of monitors other replicas run
	// until they are stored for them (routing.go).
	routes routes
	// crashStop makes Run end without leaving the replicas, as a process
	// that crashed does (tests of the take-over).
	crashStop bool

	listener net.Listener
	owner    string
	kinds    *probe.Kinds

	mu        sync.RWMutex
	cfg       *config.Config
	cat       *catalog.Catalog // built from cfg, swapped with it
	cfgStatus web.ConfigStatus
	cfgStamp  string
	reloadMu  sync.Mutex
	// fps are cfg's monitor fingerprints, replaced with it under reloadMu.
	fps fingerprints

	// roster holds the heartbeats created at run time (API, UI, pings).
	roster *roster.Roster
	// fileCfg is the configuration as the files hold it; cfg is it with
	// the monitors created through the API (apiMons) added.
	fileCfg *config.Config
	apiMons []apiMonitor

	// muteMu orders rebuilds of the engine's maintenance and silence
	// snapshot; mutedUse queues silences that held something back.
	muteMu   sync.Mutex
	mutedUse chan mutedUse
}

// New builds an App from its configuration: opens and migrates the store,
// builds every prober and the web server. Nothing runs until Run.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.WatchInterval == 0 {
		o.WatchInterval = 2 * time.Second
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 200 * time.Millisecond
	}
	cfg := o.Config
	if cfg == nil {
		var err error
		if cfg, err = config.Load(o.ConfigPath, channels.Config(probekinds.Config())); err != nil {
			return nil, err
		}
	}
	stamp := config.Stamp(o.ConfigPath, cfg)
	host, _ := os.Hostname()
	a := &App{
		opts:     o,
		log:      o.Logger,
		now:      o.Now,
		registry: prometheus.NewRegistry(),
		cfg:      cfg,
		cat:      catalog.New(cfg),
		cfgStamp: stamp,
		owner:    leaseOwner(host, replicaLeaseID(cfg), o.ConfigPath, cfg.Storage.DSN),
		mutedUse: make(chan mutedUse, 64),
	}
	a.cfgStatus = web.ConfigStatus{Path: cfg.Path, LoadedAt: o.Now().UTC()}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.metrics = newAppMetrics(a.registry)
	registerCatalogGauges(a.registry, (*runtime)(a).Catalog)
	a.incidents = newIncidentCollector()
	a.registry.MustRegister(a.incidents)
	a.writers = batch.New(batch.Options{Now: o.Now, Logger: a.log})
	a.registry.MustRegister(a.writers)

	so := storeOptions(cfg, a.log)
	if cfg.Storage.Driver == sqlstore.DriverPostgres {
		// Replicas: a transaction stalled on the network is ended by
		// PostgreSQL within the fencing margin (see replica.Margin).
		so.IdleInTransaction = replica.Margin(cfg.Server.LeaseTTL.D())
	}
	st, err := sqlstore.Open(ctx, so)
	if err != nil {
		return nil, fmt.Errorf("opening the %s store: %w", cfg.Storage.Driver, err)
	}
	a.store = st
	a.audit = audit.NewLog(st, a.log, o.Now)
	a.baselines = newBaselines(st)
	a.kinds = probekinds.All(probekinds.Deps{Transports: httpx.NewTransports(), Ledger: mailLedger{st}})
	if err := a.loadAPIMonitors(ctx); err != nil {
		st.Close()
		return nil, err
	}
	cfg = a.cfg

	// Every state, and the mark from which the replicas' refreshes read
	// what other replicas store afterwards.
	states, mark, err := st.MonitorStatesSince(ctx, 0, "")
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("loading monitor states: %w", err)
	}
	a.othersMark = mark
	a.sched = scheduler.New(scheduler.Options{
		Concurrency: cfg.Server.Concurrency,
		PerHost:     cfg.Server.PerHostConcurrency,
		Logger:      a.log,
		Registerer:  a.registry,
		Now:         o.Now,
		Skip:        a.notOurs,
		Coalesce:    schedulerCoalesce,
		Gather:      schedulerGather,
	})
	a.disp = notify.NewDispatcher(notify.DispatcherOptions{
		Store:      st,
		Notifiers:  buildNotifiers(cfg, a.log),
		Digests:    buildDigests(cfg),
		Owner:      a.owner,
		Logger:     a.log,
		Registerer: a.registry,
		Now:        o.Now,
		Writer:     a.writers.Add("outbox", func() int { return a.disp.Depth() }, maxOutboxDepth),
	})
	if err := a.buildEscalator(ctx, cfg); err != nil {
		st.Close()
		return nil, err
	}
	a.buildIncidents()
	a.buildFollowUps()
	a.eng = engine.New(engine.Options{
		Store:         replicaStore(cfg, st),
		Logger:        a.log,
		Now:           o.Now,
		FlushInterval: o.FlushInterval,
		QuietFlush:    quietFlushes * o.FlushInterval,
		Wake:          func() { a.disp.Wake(); a.esc.Wake() },
		Policies:      func(serviceID string) (config.EscalationPolicy, bool) { return a.directory().PolicyFor(serviceID) },
		Writer:        a.writers.Add("results", func() int { return a.eng.Backlog().Total() }, maxResultRows),
		Observer:      a.metrics,
		Registerer:    a.registry,
		Ownership:     a.buildReplicas(cfg),
		MaxBuffered:   cfg.Storage.ResultBuffer,
		OnMuted:       a.onMuted,
		// A location is live while one of its agents reports.
		LocationLive: func(loc string) bool { return a.agents != nil && a.agents.LocationLive(loc) },
		SearchFields: webcore.SearchFields(a.kinds),
	}, states)
	a.registry.MustRegister(newMonitorCollector(a.eng, func() bool {
		cfg := a.config()
		return cfg == nil || cfg.Server.Metrics.PerMonitorSeries()
	}))
	if a.roster, err = roster.Load(ctx, roster.Options{Store: st, Logger: a.log, Now: o.Now}); err != nil {
		st.Close()
		return nil, err
	}
	hbo := heartbeat.Options{
		Store:      st,
		Now:        o.Now,
		Logger:     a.log,
		Submit:     func(r probe.Result) { a.eng.Submit(context.Background(), r) },
		Create:     a.autoCreate,
		Registerer: a.registry,
		Writer:     a.writers.Add("pings", func() int { return a.hb.Queued() }, maxPingQueue),
	}
	if a.replicas != nil {
		// Several replicas: pings of heartbeats another one runs go to
		// it, and states are written with every commit, so the replica
		// taking a heartbeat over starts from where its owner stopped.
		hbo.Owner, hbo.CheckpointEvery = a.replicas, time.Nanosecond
	}
	a.hb = heartbeat.New(hbo)
	if err := a.hb.Load(ctx); err != nil {
		st.Close()
		return nil, err
	}
	a.applyHeartbeats(cfg)
	if err := a.buildAgents(ctx, cfg); err != nil {
		st.Close()
		return nil, err
	}
	a.fps = fingerprintsOf(cfg)
	if err := a.eng.Apply(a.evalConfig(cfg), buildProbers(cfg, a.fps, nil, nil, a.kinds, a.log)); err != nil {
		st.Close()
		return nil, err
	}
	if err := a.refreshMutes(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("loading maintenance windows and silences: %w", err)
	}
	if cfg.Server.DemoTarget != "" {
		a.demo = newDemoTarget(cfg.Server.DemoTarget)
	}
	if a.smtp, err = newMailPing(cfg, a.hb, a.log, o.Now); err != nil {
		st.Close()
		return nil, fmt.Errorf("building the SMTP listener: %w", err)
	}
	ws, err := web.New(a.webOptions(cfg))
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("building the web server: %w", err)
	}
	a.web = ws
	return a, nil
}

// The scheduler sleeps, between two looks at the schedule, the time in
// which about schedulerGather of this process's runs fall due, at most
// schedulerCoalesce: the runs falling due meanwhile start together, at
// most that late. 20,000 monitors at 30 s fall due 1.5 ms apart; waking
// for each cost more than a cheap check, and a replica running half of
// them gathers as many runs per wake-up by waiting twice as long
// (docs/operations.md, docs/high-availability.md).
const (
	schedulerGather   = 16
	schedulerCoalesce = 50 * time.Millisecond
)

// quietFlushes is how many flush intervals results that change nothing
// wait before they are written: 1 s by default. Transitions,
// notifications and alert changes are written at the next flush interval.
const quietFlushes = 5

// Bounds of the writers' queues: a queue that stays over its bound for
// batch.DefaultWindow makes /readyz fail (docs/operations.md).
const (
	// maxResultRows is about 25 full flushes of results waiting.
	maxResultRows = 50_000
	// maxPingQueue is half the hub's queue (4 × its 2,000-ping commits).
	maxPingQueue = 4_000
	// maxOutboxDepth is far more pending notifications than an outage of
	// one channel produces.
	maxOutboxDepth = 10_000
)

// leaseOwner names this installation in outbox and escalation leases: the
// replica id when server.replica_id is set, else the host and a hash of
// the config file's path (or the database when there is no file). It is
// the same after a restart, so the new process takes back at once what the
// old one had in flight when it was killed; replicas on other hosts, or with
// other config files, get names of their own. Two replicas of one database
// never share it: on PostgreSQL the registry refuses a second live process
// under one replica id, on SQLite the serve lock a second process.
func leaseOwner(host, replicaID, configPath, dsn string) string {
	if replicaID != "" {
		return replicaID
	}
	if host == "" {
		host = "tocsin"
	}
	key := dsn
	if configPath != "" {
		if abs, err := filepath.Abs(configPath); err == nil {
			key = abs
		}
	}
	sum := sha256.Sum256([]byte(key))
	return fmt.Sprintf("%s/%x", host, sum[:4])
}

// replicaLeaseID is the lease owner's name when it is the replica id: on
// PostgreSQL, where replicas share the outbox and the registry keeps their
// ids apart, and wherever server.replica_id is set.
func replicaLeaseID(cfg *config.Config) string {
	if cfg.Storage.Driver == sqlstore.DriverPostgres {
		return cfg.Server.ReplicaName()
	}
	return cfg.Server.ReplicaID
}

func storeOptions(cfg *config.Config, log *slog.Logger) sqlstore.Options {
	return sqlstore.Options{Driver: cfg.Storage.Driver, DSN: cfg.Storage.DSN, Logger: log}
}

// openReadOnly opens the configured database for a command that only
// reads it (export, backup, replicas): no migration, no writes, logs
// discarded.
func openReadOnly(ctx context.Context, cfg *config.Config) (*sqlstore.DB, error) {
	o := storeOptions(cfg, slog.New(slog.DiscardHandler))
	o.ReadOnly = true
	return sqlstore.Open(ctx, o)
}

func storeUser(name, hash string, role store.Role) store.User {
	return store.User{Name: name, PasswordHash: hash, Role: role}
}

func (a *App) webOptions(cfg *config.Config) web.Options {
	o := web.Options{
		Store:        a.store,
		Runtime:      (*runtime)(a),
		Logger:       a.log,
		Gatherer:     a.registry,
		MetricsToken: cfg.Server.MetricsToken,
		// A scrape is never given less time than any other answer.
		MetricsWriteTimeout: max(web.DefaultMetricsWriteTimeout, cfg.Server.WriteTimeout.D()),
		Now:                 a.now,
		SessionTTL:          cfg.Server.SessionTTL.D(),
		Version:             Version,
		Pings:               a.hb,
		Heartbeats:          (*heartbeatRuntime)(a),
		Monitors:            (*monitorRuntime)(a),
		Kinds:               a.kinds,
		Channels:            (*channelTester)(a),
		StatusSources:       []status.Source{incidentUpdateSource{a}},
		StatusIncidents:     activeIncidents{a},
		StatusQueued:        func() { a.disp.Wake() },
		Mutes:               (*muteRuntime)(a),
		AlertLinks:          ack.New(ack.Deps{Store: a.store, Links: a.links, Now: a.now, Logger: a.log, Acted: a.esc.Wake, Audit: a.audit}),
		AlertActed:          func() { a.esc.Wake(); a.inc.Wake() },
		IncidentEvent:       a.incidentEvent,
		FollowUpsChanged:    a.followUps.Wake,
		AgentAPI:            a.agents.Register,
		Agents:              (*agentRuntime)(a),
		AcceptBaseline:      a.acceptBaseline,
		Audit:               a.audit,
		Alertmanager:        alertmanagerSource{a},
	}
	if a.replicas != nil {
		o.Replicas = a.replicasView
	}
	if cfg.Server.SecureCookies != nil {
		o.SecureCookies = *cfg.Server.SecureCookies
	} else {
		o.SecureCookies = len(cfg.Server.BaseURL) > 8 && cfg.Server.BaseURL[:8] == "https://"
	}
	if a.demo != nil {
		o.DemoToggle = a.demo.SetFailing
		o.DemoState = a.demo.Failing
	}
	for _, tp := range cfg.Server.TrustedProxies {
		if p, err := config.ParseProxy(tp); err == nil { // validated on load
			o.TrustedProxies = append(o.TrustedProxies, p)
		}
	}
	o.OIDC = webOIDC(cfg.Auth.OIDC)
	return o
}

// webOIDC is auth.oidc as the web server takes it; nil when it is not set.
func webOIDC(c *config.OIDC) *web.OIDC {
	if c == nil {
		return nil
	}
	o := &web.OIDC{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
		Scopes: c.Scopes, GroupsClaim: c.GroupsClaim, DefaultRole: store.Role(c.DefaultRole), RoleMap: map[string]store.Role{}}
	for g, r := range c.RoleMap {
		o.RoleMap[g] = store.Role(r)
	}
	return o
}

// Handler returns the HTTP handler of the web server (for tests).
func (a *App) Handler() http.Handler { return a.web.Handler() }

// Store returns the app's store (for tests and the CLI).
func (a *App) Store() store.Store { return a.store }

// Addr returns the address the web server listens on, once Run started.
func (a *App) Addr() string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.listener == nil {
		return ""
	}
	return a.listener.Addr().String()
}

func (a *App) config() *config.Config {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.cfg
}

// Run serves until ctx is cancelled, then shuts everything down in order:
// stop scheduling, let running probes finish, flush results, stop sending.
func (a *App) Run(ctx context.Context) error {
	defer a.store.Close()
	cfg := a.config()
	ln := a.opts.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.Server.Listen); err != nil {
			return fmt.Errorf("listening on %s (server.listen): %w", cfg.Server.Listen, err)
		}
	}
	a.mu.Lock()
	a.listener = ln
	a.mu.Unlock()
	srv, ln := newHTTPServer(cfg, a.web.Handler(), a.log, ln, raiseFileLimit(a.log))
	stopSMTP := func(context.Context) {}
	if a.smtp != nil {
		var err error
		if stopSMTP, err = a.serveMailPing(cfg); err != nil {
			ln.Close()
			return err
		}
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.log.Info("tocsin serving", "addr", "http://"+ln.Addr().String(), "monitors", len(cfg.Monitors), "storage", cfg.Storage.Driver, "version", Version)

	if a.demo != nil {
		if err := a.demo.Start(); err != nil {
			a.log.Error("demo target not started", "addr", cfg.Server.DemoTarget, "err", err)
		} else {
			defer a.demo.Close()
		}
	}

	if err := a.joinReplicas(ctx); err != nil {
		_ = srv.Shutdown(context.Background())
		stopSMTP(context.Background())
		if ctx.Err() != nil {
			return nil // stopped while joining: nothing ran yet
		}
		return err
	}
	a.reloadMu.Lock()
	a.sched.Update(a.jobs(cfg, a.fps))
	a.reloadMu.Unlock()

	runCtx, cancelRun := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	engDone := make(chan struct{})
	go func() { defer close(engDone); a.eng.Run(runCtx) }()
	go a.hb.Run()
	go a.hb.Resubmit()
	schedDone := make(chan struct{})
	go func() { defer close(schedDone); _ = a.sched.Run(ctx) }()
	wg.Go(func() { _ = a.disp.Run(runCtx) })
	wg.Go(func() { _ = a.esc.Run(runCtx) })
	wg.Go(func() { _ = a.inc.Run(runCtx) })
	wg.Go(func() { _ = a.followUps.Run(runCtx) })
	wg.Go(func() { a.housekeeping(runCtx) })
	wg.Go(func() { a.compactResults(runCtx) })
	wg.Go(func() { a.watchdog(runCtx) })
	wg.Go(func() { a.muteUpkeep(runCtx) })
	wg.Go(func() { a.runSubscriptions(runCtx) })
	wg.Go(func() { a.incidentMetrics(runCtx) })
	wg.Go(func() { a.agents.Run(runCtx) })
	wg.Go(func() { a.refreshOthers(runCtx) })
	routeDone := make(chan struct{})
	go func() { defer close(routeDone); a.takeRouted(ctx) }()
	// Leases are renewed until the engine's last flush, so no other
	// replica runs a monitor before this one wrote its results.
	replicasCtx, cancelReplicas := context.WithCancel(context.WithoutCancel(ctx))
	replicasDone := make(chan struct{})
	go func() {
		defer close(replicasDone)
		if a.replicas != nil {
			a.replicas.Run(replicasCtx)
		}
	}()
	if a.opts.ConfigPath != "" && a.opts.WatchInterval > 0 {
		wg.Go(func() { a.watchConfig(runCtx) })
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		err = fmt.Errorf("web server: %w", err)
	}
	a.log.Info("tocsin stopping")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	stopSMTP(shutdownCtx) // before the hub closes, so no mail is refused for it
	<-routeDone           // routed work is left to the next owner
	a.hb.Close()          // every ping handed in is written and answered
	<-a.hb.Done()
	<-schedDone   // scheduler waits for in-flight probes
	a.eng.Close() // flushes what is left
	<-engDone
	cancelReplicas()
	<-replicasDone
	if !a.crashStop {
		leaveCtx, cancelLeave := context.WithTimeout(context.Background(), 5*time.Second)
		a.leaveReplicas(leaveCtx) // the others take over at once
		cancelLeave()
	}
	cancelRun()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Reload reads the config file again and swaps it in when valid. A config
// with errors is rejected whole: the running one stays, and the errors are
// logged and shown in the UI.
func (a *App) Reload(ctx context.Context) error {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	// The stamp is taken before reading, so that a change made while the
	// files are read is seen by the next poll.
	stamp := config.Stamp(a.opts.ConfigPath, a.config())
	next, err := config.Load(a.opts.ConfigPath, channels.Config(a.kinds))
	if err != nil {
		a.mu.Lock()
		a.cfgStamp = stamp
		a.cfgStatus.Errors = errorLines(err)
		a.cfgStatus.RejectedAt = a.now().UTC()
		a.mu.Unlock()
		a.metrics.reloads.WithLabelValues("rejected").Inc()
		a.recordReload(ctx, nil, nil, audit.Fingerprints{}, err)
		return err
	}
	prev := a.fileConfig()
	// a.fps changes only under reloadMu, which this holds: before the swap
	// they are the running monitors', after it the new ones'. They cover the
	// monitors made through the API too, which the file's configurations
	// leave out, and so are only looked up by id.
	prevFP := a.fps
	if err := a.swap(next, stamp); err != nil {
		a.recordReload(ctx, nil, nil, audit.Fingerprints{}, err)
		return err
	}
	a.recordReload(ctx, prev, next, audit.Fingerprints{Prev: prevFP, Next: a.fps}, nil)
	return nil
}

func (a *App) swap(next *config.Config, stamp string) error {
	prev := a.config()
	if err := immutableChanged(prev, next); err != nil {
		a.mu.Lock()
		a.cfgStamp = stamp
		a.cfgStatus.Errors = []string{err.Error()}
		a.cfgStatus.RejectedAt = a.now().UTC()
		a.mu.Unlock()
		a.metrics.reloads.WithLabelValues("rejected").Inc()
		return err
	}
	file := next
	next = a.withAPIMonitors(file, true)
	added, changed, removed, err := a.install(next, func() {
		a.fileCfg = file
		a.cfgStamp = stamp
		a.cfgStatus = web.ConfigStatus{Path: next.Path, LoadedAt: a.now().UTC()}
	})
	if err != nil {
		return err
	}
	a.metrics.reloads.WithLabelValues("applied").Inc()
	a.log.Info("configuration reloaded", "added", added, "changed", changed, "removed", removed)
	return nil
}

// install runs next in place of the running configuration: the monitors
// added or changed start, the removed ones stop, the others run on
// untouched. set is called while the new configuration is swapped in, to
// swap what goes with it. It returns how many monitors were added, changed
// and removed. The caller holds reloadMu.
func (a *App) install(next *config.Config, set func()) (added, changed, removed int, err error) {
	nextFP := fingerprintsOf(next)
	added, changed, removed = nextFP.diff(a.fps)
	if err := a.agents.Apply(next); err != nil {
		return 0, 0, 0, fmt.Errorf("agents: %w", err)
	}
	probers := buildProbers(next, nextFP, a.fps, a.eng.Probers(), a.kinds, a.log)
	a.applyHeartbeats(next)
	if err := a.eng.Apply(a.evalConfig(next), probers); err != nil {
		return 0, 0, 0, err
	}
	a.disp.SetNotifiers(buildNotifiers(next, a.log))
	a.disp.SetDigests(buildDigests(next))
	if a.smtp != nil {
		a.smtp.SetKeywords(mailKeywords(next))
	}
	a.mu.Lock()
	a.cfg = next
	a.cat = catalog.New(next)
	set()
	a.mu.Unlock()
	a.fps = nextFP
	a.sched.Update(a.jobs(next, nextFP))
	(*muteRuntime)(a).Changed(context.Background())
	return added, changed, removed, nil
}

// immutableChanged rejects reloads that change what only a restart can:
// the listener, the store, the demo target, the HTTP server's settings
// and the /metrics token.
func immutableChanged(prev, next *config.Config) error {
	switch {
	case prev.Server.Listen != next.Server.Listen:
		return fmt.Errorf("server.listen changed from %s to %s: restart tocsin to apply it", prev.Server.Listen, next.Server.Listen)
	case prev.Storage.Driver != next.Storage.Driver || prev.Storage.DSN != next.Storage.DSN:
		return fmt.Errorf("storage changed: restart tocsin to apply it")
	case prev.Server.ReplicaID != next.Server.ReplicaID || prev.Server.LeaseTTL != next.Server.LeaseTTL:
		return fmt.Errorf("server.replica_id or server.lease_ttl changed: restart tocsin to apply it")
	case prev.Server.DemoTarget != next.Server.DemoTarget:
		return fmt.Errorf("server.demo_target changed: restart tocsin to apply it")
	case !slices.Equal(prev.Server.TrustedProxies, next.Server.TrustedProxies):
		return fmt.Errorf("server.trusted_proxies changed: restart tocsin to apply it")
	case prev.Server.MaxConnections != next.Server.MaxConnections || prev.Server.ReadTimeout != next.Server.ReadTimeout ||
		prev.Server.WriteTimeout != next.Server.WriteTimeout || prev.Server.IdleTimeout != next.Server.IdleTimeout:
		return fmt.Errorf("the server's HTTP limits (max_connections, read_timeout, write_timeout, idle_timeout) changed: restart tocsin to apply them")
	case prev.Server.MetricsToken != next.Server.MetricsToken:
		// The web server reads the token once, when it starts; the values
		// are secrets and are not repeated.
		return fmt.Errorf("server.metrics_token (or the file of server.metrics_token_file) changed: restart tocsin to apply it")
	case smtpChanged(prev.Server, next.Server):
		return fmt.Errorf("the server.smtp_* listener settings changed: restart tocsin to apply them (keyword lists apply on reload)")
	}
	return nil
}

func errorLines(err error) []string {
	var errs config.Errors
	if errors.As(err, &errs) {
		out := make([]string, 0, len(errs))
		for _, e := range errs {
			out = append(out, e.String())
		}
		return out
	}
	return []string{err.Error()}
}

// watchConfig reloads when the config file or a file it includes changes
// (config.Stamp).
// Polling a single file every few seconds costs nothing and works on every
// file system, editor save strategy and bind mount, where inotify does not.
func (a *App) watchConfig(ctx context.Context) {
	t := time.NewTicker(a.opts.WatchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := os.Stat(a.opts.ConfigPath); err != nil {
			continue
		}
		stamp := config.Stamp(a.opts.ConfigPath, a.config())
		a.mu.RLock()
		same := stamp == a.cfgStamp
		a.mu.RUnlock()
		if same {
			continue
		}
		if err := a.Reload(ctx); err != nil {
			a.log.Error("reload rejected; the running configuration stays", "file", a.opts.ConfigPath, "err", err)
		}
	}
}

// housekeeping rolls results up into hourly summaries, prunes what is past
// retention and drops expired sessions and subscription links, once at start and then hourly.
func (a *App) housekeeping(ctx context.Context) {
	for {
		cfg := a.config()
		now := a.now().UTC()
		if err := a.store.Rollup(ctx, now.Truncate(time.Hour)); err != nil && ctx.Err() == nil {
			a.log.Error("rolling up results", "err", err)
		}
		if n, err := a.store.Prune(ctx, now.Add(-cfg.Storage.RawRetention.D()), now.Add(-cfg.Storage.RollupRetention.D())); err != nil && ctx.Err() == nil {
			a.log.Error("pruning old results", "err", err)
		} else if n > 0 {
			a.log.Info("pruned old results", "rows", n)
		}
		// The mail loops prune their own bookkeeping; this catches monitors
		// removed from the configuration.
		if _, err := a.store.PruneMailProbes(ctx, "", now.Add(-cfg.Storage.RawRetention.D())); err != nil && ctx.Err() == nil {
			a.log.Error("pruning mail loop bookkeeping", "err", err)
		}
		if n, err := a.store.PrunePings(ctx, now.Add(-cfg.Storage.RawRetention.D())); err != nil && ctx.Err() == nil {
			a.log.Error("pruning old pings", "err", err)
		} else if n > 0 {
			a.log.Info("pruned old pings", "rows", n)
		}
		if _, err := a.store.PruneSubscribers(ctx, now); err != nil && ctx.Err() == nil {
			a.log.Error("pruning status page subscription links", "err", err)
		}
		if _, err := a.store.DeleteExpiredSessions(ctx, now); err != nil && ctx.Err() == nil {
			a.log.Error("deleting expired sessions", "err", err)
		}
		if keep := cfg.Audit.Retention.D(); keep <= 0 {
			// A configuration built without defaults keeps everything.
		} else if n, err := a.store.PruneAudit(ctx, now.Add(-keep)); err != nil && ctx.Err() == nil {
			a.log.Error("pruning the audit log", "err", err)
		} else if n > 0 {
			a.log.Info("pruned old audit entries", "rows", n)
		}
		next := now.Truncate(time.Hour).Add(time.Hour + time.Minute)
		select {
		case <-ctx.Done():
			return
		case <-time.After(next.Sub(now)):
		}
	}
}
