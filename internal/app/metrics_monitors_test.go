package app

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify/channels"
	"github.com/tocsin/tocsin/internal/probe"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

// gaugeMetrics is how the per-monitor series were kept before they were
// read from the engine at scrape time: a GaugeVec child per series, set by
// the engine's Observer. The exposition of monitorCollector is compared
// with it.
type gaugeMetrics struct {
	up, state, latency, certExpiry, value *prometheus.GaugeVec
	mu                                    sync.Mutex
	last                                  map[string][][2]string
}

func newGaugeMetrics(reg prometheus.Registerer) *gaugeMetrics {
	g := &gaugeMetrics{
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tocsin_monitor_up",
			Help: "1 when the monitor's last result was OK or WARNING, 0 otherwise."}, []string{"monitor", "service", "type"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tocsin_monitor_status",
			Help: "Confirmed monitor state: 0 pending, 1 up, 2 warning, 3 down, 4 paused."}, []string{"monitor"}),
		latency: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tocsin_monitor_latency_seconds",
			Help: "Duration of the monitor's last probe."}, []string{"monitor"}),
		certExpiry: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tocsin_monitor_cert_expiry_timestamp_seconds",
			Help: "NotAfter of the certificate the monitor last saw, as a Unix time."}, []string{"monitor"}),
		value: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tocsin_monitor_metric",
			Help: "A value the monitor's last probe measured (performance data), by metric name and unit."}, []string{"monitor", "metric", "unit"}),
		last: map[string][][2]string{},
	}
	reg.MustRegister(g.up, g.state, g.latency, g.certExpiry, g.value)
	return g
}

func (g *gaugeMetrics) Observe(mon config.Monitor, r probe.Result, st monitor.State) {
	up := 1.0
	if r.Failed() {
		up = 0
	}
	g.up.WithLabelValues(mon.ID, mon.Service, mon.Type).Set(up)
	g.state.WithLabelValues(mon.ID).Set(statusValue[st.Status])
	g.latency.WithLabelValues(mon.ID).Set(r.Duration.Seconds())
	if !r.CertExpiry.IsZero() {
		g.certExpiry.WithLabelValues(mon.ID).Set(float64(r.CertExpiry.Unix()))
	}
	keys := make([][2]string, 0, len(r.Metrics))
	for _, m := range r.Metrics {
		k := [2]string{strings.ToValidUTF8(m.Name, "?"), strings.ToValidUTF8(m.Unit, "?")}
		g.value.WithLabelValues(mon.ID, k[0], k[1]).Set(m.Value)
		keys = append(keys, k)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, old := range g.last[mon.ID] {
		if !slices.Contains(keys, old) {
			g.value.DeleteLabelValues(mon.ID, old[0], old[1])
		}
	}
	g.last[mon.ID] = keys
}

func (g *gaugeMetrics) Forget(id string) {
	g.up.DeletePartialMatch(prometheus.Labels{"monitor": id})
	g.state.DeleteLabelValues(id)
	g.latency.DeleteLabelValues(id)
	g.certExpiry.DeleteLabelValues(id)
	g.value.DeletePartialMatch(prometheus.Labels{"monitor": id})
	g.mu.Lock()
	delete(g.last, id)
	g.mu.Unlock()
}

// exposition is what /metrics shows of g's series of each monitor
// (tocsin_monitor_*) in the text format.
func exposition(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "tocsin_monitor_") {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}

// runEngine runs a's engine until the test ends.
func runEngine(t *testing.T, a *App) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.eng.Run(ctx); close(done) }()
	t.Cleanup(func() { a.eng.Close(); <-done; cancel() })
}

// TestMonitorSeriesAsBefore feeds the same results to an engine observed
// by the GaugeVecs the series were kept in before and compares their
// exposition with the collector's, which reads the same engine: names,
// help, labels and values are the same, series for series.
func TestMonitorSeriesAsBefore(t *testing.T) {
	cfg := largeConfig(t, t.TempDir(), 6)
	cfg.Monitors[1].Service = "shop"
	cfg.Monitors[2].Type = "tcp"
	cfg.Monitors[4].Service = "shop"
	a := newLargeApp(t, cfg)
	old := prometheus.NewPedanticRegistry()
	eng := engine.New(engine.Options{Store: a.store, Observer: newGaugeMetrics(old)}, nil)
	if err := eng.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	cur := prometheus.NewPedanticRegistry()
	cur.MustRegister(newMonitorCollector(eng, func() bool { return true }))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { eng.Run(ctx); close(done) }()
	defer func() { eng.Close(); <-done; cancel() }()

	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	m := func(n string) string { return "m" + n }
	ok := httpResult(m("000000"), 3, now)
	failed := probe.Result{MonitorID: m("000001"), Time: now, Duration: 5 * time.Second, Status: probe.Critical, Reason: "timeout"}
	warn := httpResult(m("000002"), 7, now)
	warn.Status, warn.CertExpiry = probe.Warning, time.Time{}
	// A certificate seen once stays, a later result without one keeps it.
	certThenNone := httpResult(m("000003"), 1, now)
	none := probe.Result{MonitorID: m("000003"), Time: now.Add(time.Minute), Duration: time.Millisecond, Status: probe.Critical,
		Metrics: []probe.Metric{{Name: "time", Value: 0.001, Unit: "s"}}}
	// Metrics renamed between results leave no stale series; a name
	// reported twice keeps its later value; bad UTF-8 is replaced.
	first := probe.Result{MonitorID: m("000004"), Time: now, Duration: time.Second, Status: probe.OK,
		Metrics: []probe.Metric{{Name: "/", Value: 40, Unit: "%"}, {Name: "/var", Value: 98, Unit: "%"}}}
	second := probe.Result{MonitorID: m("000004"), Time: now.Add(time.Minute), Duration: time.Second, Status: probe.OK,
		Metrics: []probe.Metric{{Name: "/", Value: 41, Unit: "%"}, {Name: "bad\xff", Value: 1}, {Name: "/", Value: 42, Unit: "%"}}}
	// m000005 has no result: no series.
	for _, r := range []probe.Result{ok, failed, warn, certThenNone, first} {
		eng.Submit(ctx, r)
	}
	for range 3 { // past the failure threshold
		eng.Submit(ctx, failed)
	}
	eng.Submit(ctx, none)
	eng.Submit(ctx, second)
	if err := eng.Durable(ctx); err != nil {
		t.Fatal(err)
	}
	want, got := exposition(t, old), exposition(t, cur)
	if got != want {
		t.Errorf("exposition differs\ngot:\n%s\nwant:\n%s", got, want)
	}
	for _, s := range []string{
		`tocsin_monitor_status{monitor="m000001"} 3`,
		`tocsin_monitor_up{monitor="m000001",service="shop",type="http"} 0`,
		`tocsin_monitor_cert_expiry_timestamp_seconds{monitor="m000003"}`,
		`tocsin_monitor_metric{metric="/",monitor="m000004",unit="%"} 42`,
		`tocsin_monitor_metric{metric="bad?",monitor="m000004",unit=""} 1`,
	} {
		if !strings.Contains(got, s) {
			t.Errorf("exposition lacks %s:\n%s", s, got)
		}
	}
	if strings.Contains(got, `"/var"`) || strings.Contains(got, `"m000005"`) {
		t.Errorf("stale or result-less series:\n%s", got)
	}

	// A paused monitor shows as paused (4).
	if err := eng.SetPaused(m("000000"), true); err != nil {
		t.Fatal(err)
	}
	if got := exposition(t, cur); !strings.Contains(got, `tocsin_monitor_status{monitor="m000000"} 4`) {
		t.Errorf("paused monitor:\n%s", got)
	}
}

// scrape reads /metrics from h.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

// TestMonitorSeriesLeaveWithTheMonitor removes a monitor by a reload: its
// series leave /metrics, the others' stay; added back, it has none until
// its next result.
func TestMonitorSeriesLeaveWithTheMonitor(t *testing.T) {
	cfg := largeConfig(t, t.TempDir(), 3)
	a := newLargeApp(t, cfg)
	runEngine(t, a)
	feedResults(t, a, 0)
	body := scrape(t, a.Handler())
	for _, id := range []string{"m000000", "m000001", "m000002"} {
		if !strings.Contains(body, fmt.Sprintf(`tocsin_monitor_latency_seconds{monitor=%q}`, id)) {
			t.Fatalf("/metrics lacks %s:\n%s", id, body)
		}
	}
	next := *cfg
	next.Monitors = slices.Delete(slices.Clone(cfg.Monitors), 1, 2)
	if err := a.swap(&next, ""); err != nil {
		t.Fatal(err)
	}
	body = scrape(t, a.Handler())
	if strings.Contains(body, `"m000001"`) {
		t.Errorf("a removed monitor's series stay:\n%s", body)
	}
	if !strings.Contains(body, `tocsin_monitor_metric{metric="status_code",monitor="m000002",unit=""} 200`) {
		t.Errorf("the other monitors' series left:\n%s", body)
	}
	if err := a.swap(cfg, ""); err != nil {
		t.Fatal(err)
	}
	if body = scrape(t, a.Handler()); strings.Contains(body, `"m000001"`) {
		t.Errorf("a monitor added back has series before its next result:\n%s", body)
	}
	feedResults(t, a, 1)
	if body = scrape(t, a.Handler()); !strings.Contains(body, `tocsin_monitor_up{monitor="m000001",service="",type="http"} 1`) {
		t.Errorf("a monitor added back has no series after its result:\n%s", body)
	}
}

// TestScrapesWhileResultsArrive scrapes /metrics from two goroutines while
// results of every monitor arrive and reloads drop and add monitors: each
// scrape is whole (no duplicate series, which would fail it) and -race
// finds no unguarded read.
func TestScrapesWhileResultsArrive(t *testing.T) {
	cfg := largeConfig(t, t.TempDir(), 3*sampleChunk)
	a := newLargeApp(t, cfg)
	runEngine(t, a)
	feedResults(t, a, 0)
	h := a.Handler()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for round := 0; ; round++ {
			select {
			case <-stop:
				return
			default:
			}
			feedResults(t, a, round)
		}
	})
	wg.Go(func() {
		next := *cfg
		next.Monitors = cfg.Monitors[:len(cfg.Monitors)/2]
		for i := range 4 {
			c := cfg
			if i%2 == 0 {
				c = &next
			}
			if err := a.swap(c, ""); err != nil {
				t.Error(err)
			}
		}
	})
	var scrapes sync.WaitGroup
	for range 2 {
		scrapes.Go(func() {
			for range 4 {
				body := scrape(t, h)
				if !strings.Contains(body, "tocsin_monitor_up{") {
					t.Error("a scrape without per-monitor series")
				}
			}
		})
	}
	scrapes.Wait()
	close(stop)
	wg.Wait()
}

// TestPerMonitorSeriesSwitch turns server.metrics.per_monitor off and on
// by reloads: off, /metrics has no series of any monitor but still the
// counts of monitors by service, type and state; on, the series of each
// monitor are back at the next scrape.
func TestPerMonitorSeriesSwitch(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(`storage: {driver: sqlite, dsn: `+filepath.Join(dir, "tocsin.db")+`}
services: [{id: shop}]
monitors:
  - {id: m000000, type: http, interval: 60s, http: {url: "http://127.0.0.1:9/a"}}
  - {id: m000001, type: http, interval: 60s, service: shop, http: {url: "http://127.0.0.1:9/b"}}
  - {id: m000002, type: http, interval: 60s, service: shop, http: {url: "http://127.0.0.1:9/c"}}
  - {id: m000003, type: tcp, interval: 60s, tcp: {address: "127.0.0.1:9"}}
`), filepath.Join(dir, "tocsin.yaml"), channels.Config(probekinds.Config()))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Server.Metrics.PerMonitorSeries() {
		t.Fatal("per_monitor is off by default")
	}
	a := newLargeApp(t, cfg)
	runEngine(t, a)
	feedResults(t, a, 0)
	fail := probe.Result{MonitorID: "m000002", Time: time.Now().UTC(), Status: probe.Critical, Reason: "refused"}
	for range cfg.Monitors[2].FailureThreshold {
		a.eng.Submit(t.Context(), fail)
	}
	if err := a.eng.Durable(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := a.eng.SetPaused("m000001", true); err != nil {
		t.Fatal(err)
	}
	counts := []string{
		`tocsin_monitors{service="",status="up",type="http"} 1`,
		`tocsin_monitors{service="",status="down",type="http"} 0`,
		`tocsin_monitors{service="",status="up",type="tcp"} 1`,
		`tocsin_monitors{service="shop",status="down",type="http"} 1`,
		`tocsin_monitors{service="shop",status="paused",type="http"} 1`,
		`tocsin_monitors{service="shop",status="pending",type="http"} 0`,
		`tocsin_monitors_flapping{service="shop",type="http"} 0`,
	}
	perMonitor := []string{"tocsin_monitor_up{", "tocsin_monitor_status{", "tocsin_monitor_latency_seconds{",
		"tocsin_monitor_cert_expiry_timestamp_seconds{", "tocsin_monitor_metric{"}
	check := func(when string, series bool) {
		t.Helper()
		body := scrape(t, a.Handler())
		for _, s := range counts {
			if !strings.Contains(body, s) {
				t.Errorf("%s: /metrics lacks %s", when, s)
			}
		}
		if n := strings.Count(body, "tocsin_monitors{"); n != 15 {
			t.Errorf("%s: %d tocsin_monitors series, want 15 (3 pairs of service and type, 5 states each)", when, n)
		}
		for _, s := range perMonitor {
			if strings.Contains(body, s) != series {
				t.Errorf("%s: /metrics has %s: %v, want %v", when, s, !series, series)
			}
		}
		if !strings.Contains(body, "tocsin_checks_total{") {
			t.Errorf("%s: /metrics lacks tocsin_checks_total", when)
		}
	}
	check("default", true)
	for _, on := range []bool{false, true} {
		next := *cfg
		next.Server.Metrics.PerMonitor = &on
		if err := a.swap(&next, ""); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("per_monitor: %v", on), on)
	}
}
