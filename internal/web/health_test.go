package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "tocsin_test_gauge", Help: "A gauge for the test."})
	reg.MustRegister(g)
	e := newEnv(t, func(o *Options) { o.Gatherer = reg; o.MetricsToken = "s3cret" })
	c := e.client()
	if r := e.get(c, "/healthz"); r.status != 200 || r.body != "ok\n" {
		t.Errorf("healthz: %d %q", r.status, r.body)
	}
	if r := e.get(c, "/readyz"); r.status != 200 {
		t.Errorf("readyz: %d %q", r.status, r.body)
	}
	e.rt.mu.Lock()
	e.rt.health.SchedulerLag = time.Minute
	e.rt.mu.Unlock()
	if r := e.get(c, "/readyz"); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "scheduler is 1m0s behind") {
		t.Errorf("readyz with lag: %d %q", r.status, r.body)
	}
	e.rt.mu.Lock()
	e.rt.health.WriteProblems = []string{"the results writer cannot write to the database: disk full"}
	e.rt.mu.Unlock()
	if r := e.get(c, "/readyz"); r.status != http.StatusServiceUnavailable ||
		r.body != "not ready: the scheduler is 1m0s behind (limit 30s)\nnot ready: the results writer cannot write to the database: disk full\n" {
		t.Errorf("readyz with lag and failing writes: %d %q", r.status, r.body)
	}
	e.rt.mu.Lock()
	e.rt.health.SchedulerLag = 0
	e.rt.health.WriteProblems = nil
	e.rt.mu.Unlock()
	if r := e.get(c, "/readyz"); r.status != 200 {
		t.Errorf("readyz once writes succeed again: %d %q", r.status, r.body)
	}
	e.store.Close()
	if r := e.get(c, "/readyz"); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "database is unreachable") {
		t.Errorf("readyz with a closed store: %d %q", r.status, r.body)
	}
	if r := e.get(c, "/metrics"); r.status != http.StatusUnauthorized {
		t.Errorf("metrics without token: %d", r.status)
	}
	if r := e.do(c, "GET", "/metrics", nil, bearer("wrong")); r.status != http.StatusUnauthorized {
		t.Errorf("metrics with a wrong token: %d", r.status)
	}
	if r := e.do(c, "GET", "/metrics", nil, bearer("s3cret")); r.status != 200 || !strings.Contains(r.body, "tocsin_test_gauge") {
		t.Errorf("metrics: %d", r.status)
	}
}
