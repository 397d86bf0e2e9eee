package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify/channels"
	"github.com/tocsin/tocsin/internal/probe"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
)

// scaleMonitors is the monitor count of the large-install benchmarks.
const scaleMonitors = 100_000

// largeConfig returns a configuration of n HTTP monitors at 60s on a
// SQLite file in dir. One file cannot hold that many, so the monitors are
// copies of one parsed from YAML, which has every default filled in.
func largeConfig(b testing.TB, dir string, n int) *config.Config {
	b.Helper()
	yaml := fmt.Sprintf(`storage:
  driver: sqlite
  dsn: %s
monitors:
  - {id: m000000, type: http, interval: 60s, timeout: 5s, http: {url: "http://127.0.0.1:9/m"}}
`, filepath.Join(dir, "tocsin.db"))
	cfg, err := config.Parse([]byte(yaml), filepath.Join(dir, "tocsin.yaml"), channels.Config(probekinds.Config()))
	if err != nil {
		b.Fatal(err)
	}
	one := cfg.Monitors[0]
	cfg.Monitors = make([]config.Monitor, n)
	for i := range cfg.Monitors {
		cfg.Monitors[i] = one
		cfg.Monitors[i].ID = fmt.Sprintf("m%06d", i)
	}
	return cfg
}

func newLargeApp(b testing.TB, cfg *config.Config) *App {
	b.Helper()
	a, err := New(context.Background(), Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.store.Close() })
	return a
}

// BenchmarkStartLarge measures building the server for 100,000 monitors
// and scheduling them: what start-up does before serving.
func BenchmarkStartLarge(b *testing.B) {
	dir := b.TempDir()
	cfg := largeConfig(b, dir, scaleMonitors)
	cpu := cpuMeter(b)
	var a *App
	for b.Loop() {
		a = newLargeApp(b, cfg)
		a.sched.Update(a.jobs(cfg, a.fps))
	}
	cpu()
	// The heap the last server holds, its configuration included: what
	// the monitors cost before their first run.
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/float64(scaleMonitors), "heap-B/monitor")
	goruntime.KeepAlive(a)
}

// cpuMeter reports the process's CPU time (every goroutine, the
// collector's included) per operation as "cpu-s/op" when the returned
// function is called: on a busy machine the wall time says little.
func cpuMeter(b *testing.B) func() {
	b.Helper()
	used := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := used()
	return func() { b.ReportMetric((used()-start).Seconds()/float64(b.N), "cpu-s/op") }
}

// BenchmarkReloadOneOfLarge measures a reload of 100,000 monitors that
// changes one of them.
func BenchmarkReloadOneOfLarge(b *testing.B) {
	dir := b.TempDir()
	cfg := largeConfig(b, dir, scaleMonitors)
	a := newLargeApp(b, cfg)
	a.sched.Update(a.jobs(cfg, a.fps))
	i := 0
	cpu := cpuMeter(b)
	for b.Loop() {
		next := *cfg
		next.Monitors = slices.Clone(cfg.Monitors)
		next.Monitors[i%len(next.Monitors)].Timeout = config.Duration(time.Duration(6+i%2) * time.Second)
		i++
		if err := a.swap(&next, ""); err != nil {
			b.Fatal(err)
		}
	}
	cpu()
	if n := a.sched.Len(); n != scaleMonitors {
		b.Fatalf("%d jobs scheduled, want %d", n, scaleMonitors)
	}
}

// largeStates stores, for the monitors of cfg, the states of a large
// install on a bad day and two results each in the last day, so that the
// next server to start shows them: 1% down, 0.5% warning, 0.5% paused,
// some flapping.
func largeStates(b *testing.B, cfg *config.Config) {
	b.Helper()
	ctx := context.Background()
	a, err := New(ctx, Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	defer a.store.Close()
	now := time.Now().UTC()
	batch := store.Batch{States: map[string]monitor.State{}}
	for i, m := range cfg.Monitors {
		st := monitor.State{Status: monitor.StatusUp, Since: now.Add(-time.Duration(i%1440) * time.Minute), LastResultAt: now.Add(-time.Minute), LastStatus: probe.OK}
		switch {
		case i%100 == 7:
			st.Status, st.LastStatus, st.LastReason = monitor.StatusDown, probe.Critical, "GET http://127.0.0.1:9/m: connection refused"
		case i%200 == 11:
			st.Status, st.LastStatus = monitor.StatusWarning, probe.Warning
		case i%200 == 13:
			st.Status, st.PausedFrom = monitor.StatusPaused, monitor.StatusUp
		}
		st.Flapping = i%500 == 3
		batch.States[m.ID] = st
		for j := range 2 {
			batch.Results = append(batch.Results, probe.Result{MonitorID: m.ID, Time: now.Add(-time.Duration(j*6+1) * time.Hour),
				Duration: time.Duration(20+j) * time.Millisecond, Status: probe.OK})
		}
		if len(batch.States) == 10_000 {
			if err := a.store.SaveBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = store.Batch{States: map[string]monitor.State{}}
		}
	}
	if err := a.store.SaveBatch(ctx, batch); err != nil {
		b.Fatal(err)
	}
}

// largeServer returns a server of 100,000 monitors in 100 services, with
// the states and results of largeStates, and a session and a token.
func largeServer(b *testing.B) (a *App, token, cookie string) {
	b.Helper()
	cfg := largeConfig(b, b.TempDir(), scaleMonitors)
	for i := range 100 {
		cfg.Services = append(cfg.Services, config.Service{ID: fmt.Sprintf("svc%02d", i), Name: fmt.Sprintf("Service %d", i)})
	}
	for i := range cfg.Monitors {
		cfg.Monitors[i].Service = fmt.Sprintf("svc%02d", i%100)
	}
	largeStates(b, cfg)
	a = newLargeApp(b, cfg)
	token, cookie = signIn(b, a.store)
	return a, token, cookie
}

// BenchmarkMonitorsLarge measures the first page of 100,000 monitors in
// the overview's order, what the overview and the API's monitor list start
// every request from: the runtime answers it from the engine's index.
func BenchmarkMonitorsLarge(b *testing.B) {
	cfg := largeConfig(b, b.TempDir(), scaleMonitors)
	a := newLargeApp(b, cfg)
	rt := (*runtime)(a)
	cpu := cpuMeter(b)
	b.ReportAllocs()
	for b.Loop() {
		p, err := rt.MonitorPage(web.MonitorQuery{FailingFirst: true, Limit: 100})
		if err != nil || p.Counts.Total != scaleMonitors || len(p.Monitors) != 100 {
			b.Fatalf("%d of %d monitors, %v; want 100 of %d", len(p.Monitors), p.Counts.Total, err, scaleMonitors)
		}
	}
	cpu()
}

// BenchmarkOverviewLarge renders pages of the overview of 100,000 monitors
// through the server's handler, on SQLite, with a session: the first
// page, one deep in the list, one state, and searches: one monitor's id,
// a service's name (1,000 monitors), a word every monitor's target holds
// and one no monitor has.
func BenchmarkOverviewLarge(b *testing.B) {
	a, _, cookie := largeServer(b)
	benchGets(b, a.Handler(), func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "tocsin_session", Value: cookie}) },
		"/", "/?page=500", "/?state=down", "/?service=svc42", "/?q=m09999", "/?q=Service+42", "/?q=127.0.0", "/?q=nowhere")
}

// BenchmarkAPIMonitorsLarge reads pages of GET /api/v1/monitors of 100,000
// monitors through the server's handler, on SQLite, with a token: the
// first page, one after a cursor deep in the list, the failing ones, a
// page of 1,000, and searches as the overview's benchmark makes.
func BenchmarkAPIMonitorsLarge(b *testing.B) {
	a, token, _ := largeServer(b)
	benchGets(b, a.Handler(), func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) },
		"/api/v1/monitors", "/api/v1/monitors?before=m070000", "/api/v1/monitors?status=down", "/api/v1/monitors?limit=1000",
		"/api/v1/monitors?q=m09999", "/api/v1/monitors?q=Service+42", "/api/v1/monitors?q=127.0.0", "/api/v1/monitors?q=nowhere")
}

// benchGets runs a sub-benchmark per path, each request authenticated by
// auth, reporting CPU time and allocations per request.
func benchGets(b *testing.B, h http.Handler, auth func(*http.Request), paths ...string) {
	for _, path := range paths {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			cpu := cpuMeter(b)
			for b.Loop() {
				req := httptest.NewRequest("GET", path, nil)
				auth(req)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("GET %s: %d %s", path, w.Code, w.Body.String())
				}
			}
			cpu()
		})
	}
}
