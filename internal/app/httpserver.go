package app

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"golang.org/x/net/netutil"

	"github.com/tocsin/tocsin/internal/config"
)

// HTTP server limits that are not configurable.
const (
	// maxHeaderTime bounds reading a request's headers, within
	// server.read_timeout: headers are small, so a client that takes
	// longer is not sending a request.
	maxHeaderTime = 5 * time.Second
	// autoMaxConnections bounds the connection cap sized from the file
	// limit when server.max_connections is 0: past a few thousand, more
	// connections cost memory without serving anyone faster.
	autoMaxConnections = 8192
	// minConnections is the least the file limit can lower the cap to,
	// however low it is.
	minConnections = 16
	// fdBase is the file descriptors the process keeps for itself: the
	// database pools, the outbox's sends (16 at once), the listeners, the
	// log, the config file and the runtime.
	fdBase = 128
)

// fdReserve is how many file descriptors are kept apart from web clients
// for probes, the database and the outbox: the base, two per probe
// running at once (a connection and a DNS lookup), one per monitor (an
// HTTP monitor keeps its connection to the target open between checks)
// and the SMTP listener's connections.
func fdReserve(cfg *config.Config) int {
	n := fdBase + 2*cfg.Server.Concurrency + len(cfg.Monitors)
	if cfg.Server.SMTPListen != "" {
		n += cfg.Server.SMTPMaxConnections
	}
	return n
}

// connectionCap is how many HTTP connections may be open at once: the
// configured number (0: autoMaxConnections), lowered to what the file
// limit leaves after the reserve (but not below minConnections). fdLimit
// 0 means unknown: nothing to lower to.
func connectionCap(configured, fdLimit, reserve int) int {
	n := configured
	if n == 0 {
		n = autoMaxConnections
	}
	if fdLimit > 0 {
		n = min(n, max(fdLimit-reserve, minConnections))
	}
	return n
}

// newHTTPServer returns the web server for h with its timeouts, and ln
// limited to the connection cap. Beyond the cap Accept waits: new clients
// queue in the kernel, not as open files, until a connection closes, and
// the deadlines make sure one does.
func newHTTPServer(cfg *config.Config, h http.Handler, log *slog.Logger, ln net.Listener, fdLimit int) (*http.Server, net.Listener) {
	s := cfg.Server
	reserve := fdReserve(cfg)
	conns := connectionCap(s.MaxConnections, fdLimit, reserve)
	if fdLimit > 0 && fdLimit-reserve < minConnections {
		log.Warn("the file limit leaves almost nothing for web clients; raise it (ulimit -n, LimitNOFILE=)", "fd_limit", fdLimit, "reserve", reserve)
	}
	log.Info("http limits", "max_connections", conns, "fd_limit", fdLimit, "fd_reserve", reserve,
		"read_timeout", s.ReadTimeout.D(), "write_timeout", s.WriteTimeout.D(), "idle_timeout", s.IdleTimeout.D())
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(maxHeaderTime, s.ReadTimeout.D()),
		ReadTimeout:       s.ReadTimeout.D(),
		WriteTimeout:      s.WriteTimeout.D(),
		IdleTimeout:       s.IdleTimeout.D(),
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return srv, netutil.LimitListener(ln, conns)
}
