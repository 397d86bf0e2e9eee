package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// TestMetricsOutlastWriteTimeout serves a large /metrics from a server
// whose write timeout has passed before any handler writes: other answers
// are cut off, /metrics is whole, as it has a deadline of its own.
func TestMetricsOutlastWriteTimeout(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tocsin_test_gauge", Help: "A gauge for the test."}, []string{"n"})
	reg.MustRegister(g)
	const series = 20_000
	for i := range series {
		g.WithLabelValues(strconv.Itoa(i)).Set(float64(i))
	}
	e := webtest.New(t, func(o *web.Options) { o.Gatherer = reg })
	hs := httptest.NewUnstartedServer(e.Server.Handler())
	hs.Config.WriteTimeout = time.Nanosecond
	hs.Start()
	defer hs.Close()
	get := func(path string) (string, error) {
		resp, err := hs.Client().Get(hs.URL + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if body, err := get("/healthz"); err == nil {
		t.Fatalf("/healthz answered %q past the write timeout: the test shows nothing", body)
	}
	body, err := get("/metrics")
	if err != nil {
		t.Fatalf("/metrics cut off: %v", err)
	}
	if n := strings.Count(body, "tocsin_test_gauge{"); n != series {
		t.Errorf("/metrics has %d series, want %d", n, series)
	}
}
