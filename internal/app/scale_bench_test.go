package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify/channels"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

// scaleMonitors is the monitor count of the large-install benchmarks.
const scaleMonitors = 100_000

// largeConfig returns a configuration of n HTTP monitors at 60s on a
// SQLite file in dir. One file cannot hold that many, so the monitors are
// copies of one parsed from YAML, which has every default filled in.
func largeConfig(b *testing.B, dir string, n int) *config.Config {
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

func newLargeApp(b *testing.B, cfg *config.Config) *App {
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

// BenchmarkMonitorsLarge measures the list of 100,000 monitors' views that
// the overview and the API's monitor list start every request from.
func BenchmarkMonitorsLarge(b *testing.B) {
	cfg := largeConfig(b, b.TempDir(), scaleMonitors)
	a := newLargeApp(b, cfg)
	rt := (*runtime)(a)
	cpu := cpuMeter(b)
	for b.Loop() {
		if n := len(rt.Monitors()); n != scaleMonitors {
			b.Fatalf("%d monitors, want %d", n, scaleMonitors)
		}
	}
	cpu()
}
