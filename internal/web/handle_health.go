package web

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyPingTimeout bounds the store check of /readyz.
const readyPingTimeout = 2 * time.Second

// DefaultMetricsWriteTimeout is how long /metrics may take to write its
// answer when Options leaves MetricsWriteTimeout zero: a scrape of 100,000
// monitors is tens of megabytes, which a busy machine or a slow link may
// take longer to produce and send than server.write_timeout allows.
const DefaultMetricsWriteTimeout = 5 * time.Minute

// handleHealthz answers 200 while the process serves requests.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// handleReadyz answers 200 when the store is reachable and takes writes and
// the scheduler keeps up, and 503 with the reasons otherwise.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), readyPingTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: the database is unreachable: %v\n", err)
		return
	}
	h := s.rt.Health()
	var reasons []string
	if h.MaxLag > 0 && h.SchedulerLag > h.MaxLag {
		reasons = append(reasons, fmt.Sprintf("the scheduler is %s behind (limit %s)", h.SchedulerLag.Round(time.Millisecond), h.MaxLag))
	}
	reasons = append(reasons, h.WriteProblems...)
	if len(reasons) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, r := range reasons {
			fmt.Fprintf(w, "not ready: %s\n", r)
		}
		return
	}
	fmt.Fprintln(w, "ok")
}

// metricsHandler serves the Prometheus metrics, behind the metrics token
// when one is configured, with a write deadline of its own.
func (s *Server) metricsHandler() http.Handler {
	prom := promhttp.HandlerFor(s.gatherer(), promhttp.HandlerOpts{ErrorLog: slogPrinter{s}})
	timeout := s.opts.MetricsWriteTimeout
	if timeout <= 0 {
		timeout = DefaultMetricsWriteTimeout
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server's write timeout would cut a large scrape off
		// mid-answer; a writer that cannot move its deadline (a test's
		// recorder) has none to move.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(timeout))
		prom.ServeHTTP(w, r)
	})
	if s.opts.MetricsToken == "" {
		return h
	}
	want := []byte(s.opts.MetricsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(tok), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="tocsin metrics"`)
			http.Error(w, "metrics require \"Authorization: Bearer <server.metrics_token>\"", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// slogPrinter adapts the logger to promhttp's error log.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) {
	p.s.log.Error("serving metrics", "err", fmt.Sprint(v...))
}
