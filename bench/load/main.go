// Command load measures a Tocsin server under a large monitor count: it
// starts a local HTTP target, writes a config with N HTTP monitors against
// it, runs `tocsin serve` as a child process, and reports start-up time,
// checks per second, scheduler lateness, CPU per 1,000 checks and memory.
//
//	go run ./bench/load -monitors 10000 -interval 10s -duration 60s
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/tocsin/tocsin/bench/internal/benchkit"
	"github.com/tocsin/tocsin/internal/app"
)

func main() {
	if path := os.Getenv("TOCSIN_BENCH_SERVE"); path != "" {
		os.Exit(app.Main(context.Background(), []string{"serve", "--config", path, "--log-level", "warn"},
			app.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	monitors := flag.Int("monitors", 10000, "number of HTTP monitors")
	interval := flag.Duration("interval", 10*time.Second, "monitor interval")
	duration := flag.Duration("duration", 60*time.Second, "measuring time after the warm-up interval")
	driver := flag.String("driver", "sqlite", "storage driver: sqlite or postgres")
	dsn := flag.String("dsn", "", "PostgreSQL DSN (with -driver postgres)")
	flag.Parse()

	// The target: answers "ok" to every request, in this process so its
	// CPU is not counted as Tocsin's.
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(tln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	target := "http://" + tln.Addr().String()

	dir, err := os.MkdirTemp("", "tocsin-load-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	port := benchkit.FreePort()
	storage := fmt.Sprintf("storage:\n  driver: sqlite\n  dsn: %s\n", filepath.Join(dir, "tocsin.db"))
	if *driver == "postgres" {
		storage = fmt.Sprintf("storage:\n  driver: postgres\n  dsn: %q\n", *dsn)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "server:\n  listen: 127.0.0.1:%d\n  concurrency: 256\n  per_host_concurrency: 64\n%s\nmonitors:\n", port, storage)
	for i := 0; i < *monitors; i++ {
		fmt.Fprintf(&b, "  - id: m%05d\n    type: http\n    interval: %s\n    timeout: 5s\n    http:\n      url: %s/m%05d\n      expect:\n        body_contains: ok\n", i, *interval, target, i)
	}
	cfgPath := filepath.Join(dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		log.Fatal(err)
	}

	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "TOCSIN_BENCH_SERVE="+cfgPath)
	cmd.Stderr = os.Stderr
	started := time.Now()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Since(started) > 60*time.Second {
			log.Fatal("server did not start within 60s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	startup := time.Since(started)
	fmt.Printf("monitors: %d at %s, storage %s\n", *monitors, *interval, *driver)
	fmt.Printf("start-up: serving /healthz %s after exec\n", startup.Round(time.Millisecond))

	// Warm up for one interval: every monitor has its first run.
	time.Sleep(*interval + time.Second)
	m0 := scrape(base)
	cpu0 := benchkit.CPUSeconds(cmd.Process.Pid)
	t0 := time.Now()
	var maxRSS int64
	for time.Since(t0) < *duration {
		time.Sleep(time.Second)
		if r := benchkit.ProcStatus(cmd.Process.Pid, "VmRSS"); r > maxRSS {
			maxRSS = r
		}
	}
	m1 := scrape(base)
	cpu1 := benchkit.CPUSeconds(cmd.Process.Pid)
	elapsed := time.Since(t0).Seconds()

	checks := m1.Sum("tocsin_checks_total") - m0.Sum("tocsin_checks_total")
	failed := checks - (m1.SumWhere("tocsin_checks_total", `status="OK"`) - m0.SumWhere("tocsin_checks_total", `status="OK"`))
	skipped := m1.Sum("tocsin_scheduler_skipped_total") - m0.Sum("tocsin_scheduler_skipped_total")
	cpu := cpu1 - cpu0
	fmt.Printf("checks: %.0f in %.1fs = %.0f/s (expected %.0f/s); not OK: %.0f; skipped: %.0f\n",
		checks, elapsed, checks/elapsed, float64(*monitors)/interval.Seconds(), failed, skipped)
	for _, q := range []float64{0.5, 0.99} {
		fmt.Printf("lateness p%.0f: ≤ %s\n", q*100, benchkit.QuantileDelta(m0, m1, "tocsin_scheduler_lateness_seconds", q))
	}
	fmt.Printf("CPU: %.2f s over %.1f s = %.2f cores; %.3f CPU s per 1,000 checks\n", cpu, elapsed, cpu/elapsed, cpu/checks*1000)
	fmt.Printf("RSS: max %.1f MiB = %.1f KiB per monitor\n", float64(maxRSS)/(1<<20), float64(maxRSS)/1024/float64(*monitors))
}

func scrape(base string) benchkit.Metrics {
	m, err := benchkit.Scrape(base + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	return m
}
