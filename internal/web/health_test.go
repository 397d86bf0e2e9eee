package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "tocsin_test_gauge", Help: "A gauge for the test."})
	reg.MustRegister(g)
	e := webtest.New(t, func(o *web.Options) { o.Gatherer = reg; o.MetricsToken = "s3cret" })
	c := e.Client()
	if r := e.Get(c, "/healthz"); r.Status != 200 || r.Body != "ok\n" {
		t.Errorf("healthz: %d %q", r.Status, r.Body)
	}
	if r := e.Get(c, "/readyz"); r.Status != 200 {
		t.Errorf("readyz: %d %q", r.Status, r.Body)
	}
	e.RT.Mu.Lock()
	e.RT.HealthReport.SchedulerLag = time.Minute
	e.RT.Mu.Unlock()
	if r := e.Get(c, "/readyz"); r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "scheduler is 1m0s behind") {
		t.Errorf("readyz with lag: %d %q", r.Status, r.Body)
	}
	e.RT.Mu.Lock()
	e.RT.HealthReport.WriteProblems = []string{"the results writer cannot write to the database: disk full"}
	e.RT.Mu.Unlock()
	if r := e.Get(c, "/readyz"); r.Status != http.StatusServiceUnavailable ||
		r.Body != "not ready: the scheduler is 1m0s behind (limit 30s)\nnot ready: the results writer cannot write to the database: disk full\n" {
		t.Errorf("readyz with lag and failing writes: %d %q", r.Status, r.Body)
	}
	e.RT.Mu.Lock()
	e.RT.HealthReport.SchedulerLag = 0
	e.RT.HealthReport.WriteProblems = nil
	e.RT.Mu.Unlock()
	if r := e.Get(c, "/readyz"); r.Status != 200 {
		t.Errorf("readyz once writes succeed again: %d %q", r.Status, r.Body)
	}
	e.Store.Close()
	if r := e.Get(c, "/readyz"); r.Status != http.StatusServiceUnavailable || !strings.Contains(r.Body, "database is unreachable") {
		t.Errorf("readyz with a closed store: %d %q", r.Status, r.Body)
	}
	if r := e.Get(c, "/metrics"); r.Status != http.StatusUnauthorized {
		t.Errorf("metrics without token: %d", r.Status)
	}
	if r := e.Do(c, "GET", "/metrics", nil, webtest.Bearer("wrong")); r.Status != http.StatusUnauthorized {
		t.Errorf("metrics with a wrong token: %d", r.Status)
	}
	if r := e.Do(c, "GET", "/metrics", nil, webtest.Bearer("s3cret")); r.Status != 200 || !strings.Contains(r.Body, "tocsin_test_gauge") {
		t.Errorf("metrics: %d", r.Status)
	}
}
