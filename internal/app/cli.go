package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat/runner"
	"github.com/tocsin/tocsin/internal/logx"
	"github.com/tocsin/tocsin/internal/notify/channels"
	"github.com/tocsin/tocsin/internal/probe"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/text"
	"github.com/tocsin/tocsin/internal/web"
)

// Version is the program version, set at build time with
// -ldflags "-X github.com/tocsin/tocsin/internal/app.Version=v1.2.3".
var Version = "dev"

// Env is the process environment the CLI runs in, passed in so tests can
// run commands without touching the real one.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

const usage = `Tocsin watches services end to end and tells the right people when one stops doing its job.

Usage:
  tocsin serve    [--config FILE]               run the server
  tocsin init     [--config FILE] [--force]     write a commented starter config
  tocsin validate [--config FILE]               check a config; list every error with file:line
  tocsin check    [--config FILE] [--json] ID   run one monitor once; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
  tocsin user add [--config FILE] NAME          create an admin account (password read from stdin)
  tocsin run      (--heartbeat UUID | --slug S [--ping-key K] [--create]) [--server URL] -- COMMAND ARGS...
                                                run a job and report its start, exit status and output
  tocsin agent   --server URL --token T [--location NAME] [--buffer DIR]
                                                run the monitors the server assigns to this agent
  tocsin agent-token create|list|revoke ...     agents' tokens on a running server (API token)
  tocsin alerts      list|show|ack|unack|resolve|snooze ...
                                                paged alerts on a running server (API token)
  tocsin incident    list|show|declare|note ...   incidents on a running server (API token)
  tocsin actions     list|add|done|status ...   follow-up actions of postmortems (API token)
  tocsin maintenance list|add|end ...           maintenance windows on a running server (API token)
  tocsin silence     list|add|expire ...        silences on a running server (API token)
  tocsin change      [add|list] ...             record or list change events on a running server (API token)
  tocsin impact   [--config FILE] ENTRY         what depends on a host:ID, component:ID or service, and who is on call
  tocsin coverage [--config FILE]               services without an end-to-end check, owner or policy; exit 1 when any
  tocsin export   [--config FILE] [--all] [--out FILE]
                                                print the monitors created through the API (--all: every one) as config
  tocsin import   gatus FILE | uptime-kuma BACKUP.json|kuma.db | healthchecks --url URL --api-key K [--out FILE]
                                                write another tool's monitors as a config file; list what could not be mapped
  tocsin replicas [--config FILE] [--json]     the replicas sharing the PostgreSQL database: what each runs, its lag
  tocsin backup   [--config FILE] FILE          write a consistent copy of the database while the server runs
  tocsin restore  [--config FILE] FILE          load a backup into an empty database and migrate it forward
  tocsin version  [--json]                      print the version and build information

The config file defaults to $TOCSIN_CONFIG, else tocsin.yaml in the current folder.
Documentation: docs/ in the source tree, or https://github.com/tocsin/tocsin/tree/main/docs
`

// Main runs the tocsin command line with args (without the program name)
// and returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, rest, env)
	case "init":
		return cmdInit(rest, env)
	case "validate":
		return cmdValidate(rest, env)
	case "check":
		return cmdCheck(ctx, rest, env)
	case "user":
		return cmdUser(ctx, rest, env)
	case "run":
		return cmdRun(ctx, rest, env)
	case "agent":
		return cmdAgent(ctx, rest, env)
	case "agent-token":
		return cmdAgentToken(ctx, rest, env)
	case "alerts":
		return cmdAlerts(ctx, rest, env)
	case "actions":
		return cmdActions(ctx, rest, env)
	case "incident", "incidents":
		return cmdIncident(ctx, rest, env)
	case "maintenance":
		return cmdMaintenance(ctx, rest, env)
	case "silence":
		return cmdSilence(ctx, rest, env)
	case "change":
		return cmdChange(ctx, rest, env)
	case "impact":
		return cmdImpact(rest, env)
	case "coverage":
		return cmdCoverage(rest, env)
	case "export":
		return cmdExport(ctx, rest, env)
	case "import":
		return cmdImport(ctx, rest, env)
	case "replicas":
		return cmdReplicas(ctx, rest, env)
	case "backup":
		return cmdBackup(ctx, rest, env)
	case "restore":
		return cmdRestore(ctx, rest, env)
	case "version", "--version", "-version":
		return cmdVersion(rest, env)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(env.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(env.Stderr, "tocsin: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

func newFlagSet(name string, env Env) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("tocsin "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	def := env.Getenv("TOCSIN_CONFIG")
	if def == "" {
		def = "tocsin.yaml"
	}
	path := fs.String("config", def, "configuration file")
	return fs, path
}

// parseInterleaved parses flags that may come after positional arguments
// (`tocsin check web --json`), which the flag package alone does not allow.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func noConfigHelp(path string) string {
	return fmt.Sprintf("tocsin: no configuration at %s\n\n"+
		"Write a commented starter file with:\n    tocsin init --config %s\n"+
		"or try the quickstart from the source tree:\n    tocsin serve --config examples/quickstart.yaml\n", path, path)
}

func loadConfig(path string, env Env) (*config.Config, int) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprint(env.Stderr, noConfigHelp(path))
		return nil, 2
	}
	cfg, err := config.Load(path, channels.Config(probekinds.Config()))
	if err != nil {
		fmt.Fprintln(env.Stderr, err)
		return nil, 1
	}
	return cfg, 0
}

func cmdServe(ctx context.Context, args []string, env Env) int {
	fs, path := newFlagSet("serve", env)
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	logFormat := fs.String("log-format", "", "log format: text or json (default: server.log_format, else text)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(env.Stderr, "tocsin serve: bad --log-level %q\n", *logLevel)
		return 2
	}
	if *logFormat != "" && !slices.Contains(config.LogFormats, *logFormat) {
		fmt.Fprintf(env.Stderr, "tocsin serve: bad --log-format %q: use %s\n", *logFormat, strings.Join(config.LogFormats, " or "))
		return 2
	}
	// The configuration read to check it is the one the server starts
	// with: reading 100,000 monitors takes seconds.
	cfg, code := loadConfig(*path, env)
	if code != 0 {
		return code
	}
	if *logFormat == "" {
		*logFormat = cfg.Server.LogFormat
	}
	// Repeated warnings and errors are summarised once a minute, so an
	// outage cannot fill the disk with one line per failed write; and
	// during an alert storm the per-monitor state changes and deliveries
	// are written in summaries every 10 seconds (debug keeps every line).
	dedup := logx.NewDedup(baseLogHandler(env.Stderr, *logFormat, level), logx.Options{})
	defer dedup.Close()
	storm := logx.NewStorm(dedup, logx.StormOptions{Kinds: stormKinds()})
	defer storm.Close()
	logger := slog.New(storm)
	lock, err := lockSQLite(cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin serve: %v\n", err)
		return 1
	}
	defer lock.Release()
	a, err := New(ctx, Options{ConfigPath: *path, Config: cfg, Logger: logger})
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin serve: %v\n", err)
		return 1
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := a.Reload(ctx); err != nil {
					logger.Error("reload rejected; the running configuration stays", "err", err)
				}
			}
		}
	}()
	if err := a.Run(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "tocsin serve: %v\n", err)
		return 1
	}
	return 0
}

func cmdInit(args []string, env Env) int {
	fs, path := newFlagSet("init", env)
	force := fs.Bool("force", false, "overwrite an existing file")
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	if _, err := os.Stat(*path); err == nil && !*force {
		fmt.Fprintf(env.Stderr, "tocsin init: %s exists; use --force to overwrite it\n", *path)
		return 1
	}
	if err := os.WriteFile(*path, config.Starter(), 0o600); err != nil {
		fmt.Fprintf(env.Stderr, "tocsin init: %v\n", err)
		return 1
	}
	fmt.Fprintf(env.Stdout, "Wrote %s. Edit it, then run:\n    tocsin serve --config %s\n", *path, *path)
	return 0
}

func cmdValidate(args []string, env Env) int {
	fs, path := newFlagSet("validate", env)
	if _, err := parseInterleaved(fs, args); err != nil {
		return 2
	}
	cfg, code := loadConfig(*path, env)
	if code != 0 {
		return code
	}
	for _, w := range append(catalogWarnings(catalog.New(cfg)), scheduleWarnings(cfg, time.Now())...) {
		fmt.Fprintln(env.Stderr, w)
	}
	var from string
	if n := len(cfg.Included); n > 0 {
		from = " with " + text.Plural(n, "included file")
	}
	fmt.Fprintf(env.Stdout, "%s: OK (%s, %s, %s, %s)%s\n", *path, text.Plural(len(cfg.Monitors), "monitor"),
		text.Plural(len(cfg.Heartbeats), "heartbeat"), text.Plural(len(cfg.Services), "service"), text.Plural(len(cfg.Channels), "channel"), from)
	return 0
}

// checkOutput is the JSON that `tocsin check --json` prints.
type checkOutput struct {
	Monitor    string         `json:"monitor"`
	Type       string         `json:"type"`
	Status     string         `json:"status"`
	ExitCode   int            `json:"exit_code"`
	Reason     string         `json:"reason"`
	Time       time.Time      `json:"time"`
	DurationMS float64        `json:"duration_ms"`
	Timing     map[string]any `json:"timing_ms"`
	CertExpiry *time.Time     `json:"cert_expiry,omitempty"`
	Metrics    []probe.Metric `json:"metrics,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// checkError is what `tocsin check --json` prints when no check ran: the
// status UNKNOWN (exit code 3), the reason in words and, for a broken
// configuration, every error with its position; for an unknown monitor
// id, the ids there are.
type checkError struct {
	Monitor  string           `json:"monitor"`
	Status   string           `json:"status"`
	ExitCode int              `json:"exit_code"`
	Reason   string           `json:"reason"`
	Errors   []checkConfigErr `json:"errors,omitempty"`
	Monitors []string         `json:"monitors,omitempty"`
}

// checkConfigErr is one configuration error in checkError.
type checkConfigErr struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Path    string `json:"path,omitempty"`
	ID      string `json:"id,omitempty"`
	Message string `json:"message"`
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// checkStoredMonitors returns the monitors created through the API that run
// with cfg, read from the database without changing it; why says what kept
// them from being read.
func checkStoredMonitors(ctx context.Context, cfg *config.Config) (mons []config.Monitor, why string) {
	if dsn := cfg.Storage.DSN; cfg.Storage.Driver != "postgres" && !strings.ContainsAny(dsn, ":?") {
		if _, err := os.Stat(dsn); errors.Is(err, os.ErrNotExist) {
			return nil, "" // no database yet, so none were made
		}
	}
	st, err := openReadOnly(ctx, cfg)
	if err != nil {
		return nil, err.Error()
	}
	defer st.Close()
	mons, err = storedMonitors(ctx, st, cfg, func(string) {})
	if err != nil {
		return nil, err.Error()
	}
	return mons, ""
}

func cmdCheck(ctx context.Context, args []string, env Env) int {
	fs, path := newFlagSet("check", env)
	asJSON := fs.Bool("json", false, "print the result, or why there is none, as JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 3
	}
	// unknown says why no check ran: as text on stderr, and as JSON on
	// stdout with --json.
	unknown := func(e checkError, msg string) int {
		fmt.Fprint(env.Stderr, msg)
		if *asJSON {
			e.Status, e.ExitCode = probe.Unknown.String(), int(probe.Unknown)
			writeJSON(env.Stdout, e)
		}
		return int(probe.Unknown)
	}
	const usage = "usage: tocsin check [--config FILE] [--json] MONITOR_ID"
	if len(pos) != 1 {
		return unknown(checkError{Reason: usage}, usage+"\n")
	}
	if _, err := os.Stat(*path); errors.Is(err, os.ErrNotExist) {
		return unknown(checkError{Monitor: pos[0], Reason: "no configuration at " + *path}, noConfigHelp(*path))
	}
	cfg, err := config.Load(*path, channels.Config(probekinds.Config()))
	if err != nil {
		e := checkError{Monitor: pos[0], Reason: "the configuration has errors: " + err.Error()}
		var ces config.Errors
		if errors.As(err, &ces) {
			e.Reason = fmt.Sprintf("%s has %s", *path, text.Plural(len(ces), "error"))
			for _, ce := range ces {
				e.Errors = append(e.Errors, checkConfigErr{File: ce.File, Line: ce.Line, Column: ce.Column, Path: ce.Path, ID: ce.ID, Message: ce.Message})
			}
		}
		return unknown(e, err.Error()+"\n")
	}
	m, ok := cfg.Monitor(pos[0])
	if !ok {
		ids := []string{}
		for _, m := range cfg.Monitors {
			ids = append(ids, m.ID)
		}
		// Monitors created through the API live in the database: read
		// them as the server runs them, with this configuration.
		stored, why := checkStoredMonitors(ctx, cfg)
		for _, sm := range stored {
			if sm.ID == pos[0] {
				m, ok = &sm, true
			}
			ids = append(ids, sm.ID)
		}
		if !ok {
			e := checkError{Monitor: pos[0], Reason: fmt.Sprintf("no monitor %q in %s or created through the API", pos[0], *path), Monitors: ids}
			if why != "" {
				e.Reason = fmt.Sprintf("no monitor %q in %s (the monitors created through the API were not read: %s)", pos[0], *path, why)
			}
			return unknown(e, fmt.Sprintf("UNKNOWN - %s (monitors: %s)\n", e.Reason, strings.Join(ids, ", ")))
		}
	}
	r := CheckOnce(ctx, m)
	if *asJSON {
		out := checkOutput{
			Monitor: m.ID, Type: m.Type, Status: r.Status.String(), ExitCode: int(r.Status),
			Reason: r.Reason, Time: r.Time.UTC(), DurationMS: ms(r.Duration), Metrics: r.Metrics,
			Timing: map[string]any{"dns": ms(r.Timing.DNS), "connect": ms(r.Timing.Connect), "tls": ms(r.Timing.TLS), "first_byte": ms(r.Timing.FirstByte)},
		}
		if !r.CertExpiry.IsZero() {
			t := r.CertExpiry.UTC()
			out.CertExpiry = &t
		}
		writeJSON(env.Stdout, out)
	} else {
		fmt.Fprintf(env.Stdout, "%s - %s: %s%s\n", r.Status, m.ID, r.Reason, perfdata(r))
	}
	return int(r.Status)
}

// perfdata renders metrics in the Nagios plugin output format:
// 'label'=value[UOM];warn;crit;min;max, trailing empty fields left out. The
// run's duration comes first as time=, unless the probe measured a "time"
// of its own.
func perfdata(r probe.Result) string {
	var b strings.Builder
	b.WriteString(" |")
	if !slices.ContainsFunc(r.Metrics, func(m probe.Metric) bool { return m.Name == "time" }) {
		fmt.Fprintf(&b, " time=%gs;;;0", r.Duration.Seconds())
	}
	for _, m := range r.Metrics {
		label := m.Name
		if strings.ContainsAny(label, " '=") {
			label = "'" + strings.ReplaceAll(label, "'", "''") + "'"
		}
		field := fmt.Sprintf("%s=%g%s;%s;%s;%s;%s", label, m.Value, m.Unit, m.Warn, m.Crit, m.Min, m.Max)
		b.WriteString(" " + strings.TrimRight(field, ";"))
	}
	return b.String()
}

const userUsage = `usage: tocsin user add [--config FILE] [--role viewer|responder|admin] NAME   (password read from stdin)
       tocsin user role [--config FILE] NAME viewer|responder|admin`

func cmdUser(ctx context.Context, args []string, env Env) int {
	if len(args) > 0 && args[0] == "role" {
		return cmdUserRole(ctx, args[1:], env)
	}
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(env.Stderr, userUsage)
		return 2
	}
	fs, path := newFlagSet("user add", env)
	roleName := fs.String("role", string(store.RoleAdmin), "what the user may do: viewer, responder or admin")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(env.Stderr, userUsage)
		return 2
	}
	role, err := store.ParseRole(*roleName)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin user add: %s\n", errs.Message(err))
		return 2
	}
	cfg, code := loadConfig(*path, env)
	if code != 0 {
		return code
	}
	pw, err := io.ReadAll(io.LimitReader(env.Stdin, 4096))
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin user add: reading password: %v\n", err)
		return 1
	}
	password := strings.TrimRight(string(pw), "\r\n")
	if len(password) < web.MinPasswordLength {
		fmt.Fprintf(env.Stderr, "tocsin user add: the password (read from stdin) must have at least %d characters\n", web.MinPasswordLength)
		return 1
	}
	hash, err := web.HashPassword(password)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin user add: %v\n", err)
		return 1
	}
	st, err := sqlstore.Open(ctx, storeOptions(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin user add: %v\n", err)
		return 1
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, storeUser(pos[0], hash, role))
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin user add: %v\n", err)
		return 1
	}
	audit.NewLog(st, nil, nil).As(audit.Actor{Actor: store.ActorCLI}).Record(ctx,
		store.AuditEntry{Action: "user.create", ObjectKind: "user", ObjectID: u.Name, Summary: fmt.Sprintf("user with the %s role created with tocsin user add", u.Role)})
	fmt.Fprintf(env.Stdout, "created %s %q (id %d)\n", u.Role, u.Name, u.ID)
	return 0
}

// cmdUserRole changes a user's role.
func cmdUserRole(ctx context.Context, args []string, env Env) int {
	fs, path := newFlagSet("user role", env)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 2 {
		fmt.Fprintln(env.Stderr, userUsage)
		return 2
	}
	role, err := store.ParseRole(pos[1])
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin user role: %s\n", errs.Message(err))
		return 2
	}
	cfg, code := loadConfig(*path, env)
	if code != 0 {
		return code
	}
	st, err := sqlstore.Open(ctx, storeOptions(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin user role: %v\n", err)
		return 1
	}
	defer st.Close()
	u, err := st.UserByName(ctx, pos[0])
	if err == nil {
		// Promoting is always allowed (the way back in when no one can
		// administer the server); demoting keeps an administrator, as on
		// the users page and the API.
		err = st.SetUserRoleUnlessLastAdmin(ctx, u.ID, role)
		if errs.Code(err) == errs.ECONFLICT {
			err = errs.Errorf(errs.ECONFLICT, "%s is the last administrator: make someone else an administrator first (tocsin user role NAME admin)", u.Name)
		}
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin user role: %s\n", errs.Message(err))
		return 1
	}
	// The user's id, as the users page and the API record it, so that
	// the audit log of a user is one object however the role changed.
	audit.NewLog(st, nil, nil).As(audit.Actor{Actor: store.ActorCLI}).Record(ctx,
		store.AuditEntry{Action: "user.role", ObjectKind: "user", ObjectID: strconv.FormatInt(u.ID, 10), Summary: fmt.Sprintf("role of %s changed from %s to %s with tocsin user role", u.Name, u.Role, role)})
	fmt.Fprintf(env.Stdout, "%q now has the %s role (was %s)\n", u.Name, role, u.Role)
	return 0
}

// cmdRun wraps a job: its exit status is the command's, whatever happens to
// the pings; 2 means the wrapper was called wrongly and ran nothing.
func cmdRun(ctx context.Context, args []string, env Env) int {
	fs := flag.NewFlagSet("tocsin run", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	o := runner.Options{Stdin: env.Stdin, Stdout: env.Stdout, Stderr: env.Stderr, UserAgent: "tocsin-run/" + Version}
	fs.StringVar(&o.UUID, "heartbeat", env.Getenv("TOCSIN_HEARTBEAT"), "heartbeat UUID (default $TOCSIN_HEARTBEAT)")
	fs.StringVar(&o.Slug, "slug", "", "heartbeat slug, with --ping-key")
	fs.StringVar(&o.PingKey, "ping-key", env.Getenv("TOCSIN_PING_KEY"), "project ping key for --slug (default $TOCSIN_PING_KEY)")
	fs.StringVar(&o.Server, "server", env.Getenv("TOCSIN_URL"), "Tocsin server base URL (default $TOCSIN_URL)")
	fs.BoolVar(&o.Create, "create", false, "with --slug: create the heartbeat if it does not exist (server.pings.auto_create)")
	fs.DurationVar(&o.RetryFor, "retry-for", runner.DefaultRetryFor, "how long to retry each ping while the server is unreachable")
	fs.DurationVar(&o.Timeout, "timeout", runner.DefaultTimeout, "timeout of one ping attempt")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.Slug != "" && o.UUID == env.Getenv("TOCSIN_HEARTBEAT") {
		o.UUID = "" // an explicit --slug wins over the environment's UUID
	}
	o.Command = fs.Args()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	o.Signals = sigs
	// The command ends through the forwarded signals; the final ping must
	// still go out after an interrupt, so the pings ignore ctx's cancel.
	code, err := runner.Run(context.WithoutCancel(ctx), o)
	if err != nil {
		fmt.Fprintf(env.Stderr, "tocsin run: %v\n", err)
		return 2
	}
	return code
}
