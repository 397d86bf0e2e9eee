package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// demoTarget is a tiny HTTP service Tocsin can start next to itself
// (server.demo_target) so a first run has something real to watch, and to
// break: the UI toggles it between healthy and failing.
type demoTarget struct {
	addr    string
	failing atomic.Bool
	srv     *http.Server
}

func newDemoTarget(addr string) *demoTarget { return &demoTarget{addr: addr} }

func (d *demoTarget) SetFailing(f bool) { d.failing.Store(f) }
func (d *demoTarget) Failing() bool     { return d.failing.Load() }

func (d *demoTarget) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if d.failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "failing (toggled from the Tocsin UI)")
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
			return
		}
		fmt.Fprintln(w, "ok, slowly")
	})
	mux.HandleFunc("GET /health.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		status := "ok"
		if d.failing.Load() {
			status = "degraded"
		}
		fmt.Fprintf(w, `{"status":%q,"checks":{"db":"ok"}}`+"\n", status)
	})
	return mux
}

// Start listens on the demo address and serves in the background.
func (d *demoTarget) Start() error {
	ln, err := net.Listen("tcp", d.addr)
	if err != nil {
		return err
	}
	d.srv = &http.Server{Handler: d.handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := d.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener closed; nothing more to serve
		}
	}()
	return nil
}

// Close stops the demo server.
func (d *demoTarget) Close() {
	if d.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = d.srv.Shutdown(ctx)
	}
}
