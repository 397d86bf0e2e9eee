// Command pings measures the heartbeat ping API: it writes a config with
// H heartbeats, runs `tocsin serve` as a child process, sends pings from C
// keep-alive connections for a while, and reports pings per second,
// latency percentiles, the server's CPU, and whether every ping answered
// 200 is in the database (counted there afterwards).
//
//	go run ./bench/pings -duration 30s -conns 64
//	go run ./bench/pings -wrk -conns 64 -duration 30s        # load from wrk (apt-get install wrk)
//	go run ./bench/pings -wrk -kill                          # SIGKILL the server mid-load, then count
//	go run ./bench/pings -driver postgres -dsn postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//
// -rate paces the load (pings per second over all connections) to measure
// latency at a given throughput; 0 sends as fast as the server answers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tocsin/tocsin/bench/internal/benchkit"
	"github.com/tocsin/tocsin/internal/app"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

func main() {
	if path := os.Getenv("TOCSIN_BENCH_SERVE"); path != "" {
		// Like cmd/tocsin: SIGTERM shuts down cleanly.
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		if prof := os.Getenv("TOCSIN_BENCH_CPUPROFILE"); prof != "" {
			f, err := os.Create(prof)
			if err != nil {
				log.Fatal(err)
			}
			_ = pprof.StartCPUProfile(f)
			code := app.Main(ctx, []string{"serve", "--config", path, "--log-level", "warn"},
				app.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
			pprof.StopCPUProfile()
			f.Close()
			os.Exit(code)
		}
		os.Exit(app.Main(ctx, []string{"serve", "--config", path, "--log-level", "warn"},
			app.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	heartbeats := flag.Int("heartbeats", 1000, "number of heartbeats pinged in turn")
	conns := flag.Int("conns", 64, "concurrent keep-alive connections")
	duration := flag.Duration("duration", 30*time.Second, "measuring time")
	warmup := flag.Duration("warmup", 3*time.Second, "load before measuring")
	rate := flag.Int("rate", 0, "pings per second over all connections; 0 is as fast as answered")
	body := flag.Int("body", 0, "bytes of POST body per ping; 0 sends GET")
	driver := flag.String("driver", "sqlite", "storage driver: sqlite or postgres")
	useWrk := flag.Bool("wrk", false, "generate the load with wrk (Debian package wrk) instead of Go clients")
	kill := flag.Bool("kill", false, "stop the server with SIGKILL while the load still runs, instead of SIGTERM after it (with -wrk)")
	cpuprofile := flag.String("cpuprofile", "", "write the server's CPU profile to this file")
	dsn := flag.String("dsn", "", "PostgreSQL DSN (with -driver postgres); pings already there are not counted")
	flag.Parse()

	dir, err := os.MkdirTemp("", "tocsin-pings-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	port := benchkit.FreePort()
	storeDSN := filepath.Join(dir, "tocsin.db")
	storage := fmt.Sprintf("storage:\n  driver: sqlite\n  dsn: %s\n", storeDSN)
	if *driver == "postgres" {
		storeDSN = *dsn
		storage = fmt.Sprintf("storage:\n  driver: postgres\n  dsn: %q\n", *dsn)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "server:\n  listen: 127.0.0.1:%d\n  pings:\n    heartbeat_rate: 0\n    client_rate: 0\n%s\nheartbeats:\n", port, storage)
	uuids := make([]string, *heartbeats)
	for i := range uuids {
		uuids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		fmt.Fprintf(&b, "  - id: hb%06d\n    uuid: %s\n    period: 1h\n", i, uuids[i])
	}
	cfgPath := filepath.Join(dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		log.Fatal(err)
	}

	before := countPings(*driver, storeDSN)
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "TOCSIN_BENCH_SERVE="+cfgPath)
	if *cpuprofile != "" {
		cmd.Env = append(cmd.Env, "TOCSIN_BENCH_CPUPROFILE="+*cpuprofile)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d/ping/", port)
	waitUp(base + uuids[0] + "/log")

	if *useWrk {
		runWrk(cmd, port, uuids, *conns, *body, *warmup, *duration, *driver, storeDSN, before, *kill)
		return
	}
	tr := &http.Transport{MaxIdleConns: *conns, MaxIdleConnsPerHost: *conns, MaxConnsPerHost: *conns, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var (
		acked, failed, sent atomic.Int64
		measuring           atomic.Bool
		lats                = make([][]time.Duration, *conns)
		stop                = make(chan struct{})
		wg                  sync.WaitGroup
		payload             = strings.Repeat("x", *body)
		next                atomic.Int64
	)
	var tick <-chan time.Time
	if *rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(*rate))
		defer t.Stop()
		tick = t.C
	}
	for w := range *conns {
		wg.Go(func() {
			for {
				if tick != nil {
					select {
					case <-tick:
					case <-stop:
						return
					}
				}
				select {
				case <-stop:
					return
				default:
				}
				u := base + uuids[int(next.Add(1))%len(uuids)]
				t0 := time.Now()
				var res *http.Response
				var err error
				sent.Add(1)
				if *body > 0 {
					res, err = client.Post(u, "text/plain", strings.NewReader(payload))
				} else {
					res, err = client.Get(u)
				}
				if err != nil {
					failed.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					failed.Add(1)
					continue
				}
				acked.Add(1)
				if measuring.Load() {
					lats[w] = append(lats[w], time.Since(t0))
				}
			}
		})
	}
	time.Sleep(*warmup)
	cpu0, n0, t0 := benchkit.CPUSeconds(cmd.Process.Pid), acked.Load(), time.Now()
	measuring.Store(true)
	time.Sleep(*duration)
	measuring.Store(false)
	cpu1, n1, t1 := benchkit.CPUSeconds(cmd.Process.Pid), acked.Load(), time.Now()
	close(stop)
	wg.Wait()

	commits := scrape(fmt.Sprintf("http://127.0.0.1:%d/metrics", port))
	// Stop the server the way an operator does (SIGTERM) and count
	// what it stored against what it acknowledged.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	stored := countPings(*driver, storeDSN) - before

	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	slices.Sort(all)
	pct := func(p float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[min(len(all)-1, int(float64(len(all))*p))]
	}
	el := t1.Sub(t0).Seconds()
	perSec := float64(n1-n0) / el
	fmt.Printf("driver %s, %d heartbeats, %d connections, rate %s, body %d B, GOMAXPROCS %s\n", *driver, *heartbeats, *conns, rateText(*rate), *body, orDefault(os.Getenv("GOMAXPROCS"), "all"))
	fmt.Printf("pings/s          %.0f (over %.1fs)\n", perSec, el)
	fmt.Printf("latency          p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", ms(pct(.50)), ms(pct(.90)), ms(pct(.99)), ms(pct(.999)), ms(pct(1)))
	fmt.Printf("server CPU       %.2f cores, %.1f µs per ping\n", (cpu1-cpu0)/el, (cpu1-cpu0)/float64(n1-n0)*1e6)
	if c := commits["tocsin_ping_commit_seconds_count"]; c > 0 {
		fmt.Printf("group commits    %.0f, %.1f pings and %.2fms each on average\n", c, commits["tocsin_ping_commit_pings_sum"]/c, commits["tocsin_ping_commit_seconds_sum"]/c*1000)
	}
	fmt.Printf("sent %d, acknowledged %d, errors %d, stored %d\n", sent.Load(), acked.Load(), failed.Load(), stored)
	if stored < acked.Load() {
		fmt.Printf("LOST: %d acknowledged pings are not in the database\n", acked.Load()-stored)
		os.Exit(1)
	}
	fmt.Println("every acknowledged ping is in the database")
}

// runWrk loads the server with wrk and reports like the Go clients do.
func runWrk(cmd *exec.Cmd, port int, uuids []string, conns, body int, warmup, duration time.Duration, driver, storeDSN string, before int64, kill bool) {
	dir, err := os.MkdirTemp("", "tocsin-wrk-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "pings.lua")
	method, payload := "GET", "nil"
	if body > 0 {
		method, payload = "POST", fmt.Sprintf("string.rep(\"x\", %d)", body)
	}
	// wrk's own count takes a 3xx for success; the script counts the
	// answers by class itself, so only a 2xx is taken as acknowledged.
	lua := fmt.Sprintf(`local n = %d
local i = 0
local body = %s
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function() ok = 0; other = 0 end
request = function()
  i = (i + 1) %% n
  return wrk.format("%s", string.format("/ping/00000000-0000-4000-8000-%%012d", i), nil, body)
end
response = function(status)
  if status >= 200 and status < 300 then ok = ok + 1 else other = other + 1 end
end
done = function()
  local o, x = 0, 0
  for _, t in ipairs(threads) do o = o + t:get("ok"); x = x + t:get("other") end
  io.write(string.format("%s %%d\n%s %%d\n", o, x))
end
`, len(uuids), payload, method, wrk2xx, wrkOther)
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		log.Fatal(err)
	}
	target := fmt.Sprintf("http://127.0.0.1:%d", port)
	run := func(d time.Duration) string {
		out, err := exec.Command("wrk", "-t2", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", int(d.Seconds())), "--latency", "-s", script, target).CombinedOutput()
		if err != nil {
			log.Fatalf("wrk: %v\n%s", err, out)
		}
		return string(out)
	}
	warm := run(warmup)
	cpu0, t0 := benchkit.CPUSeconds(cmd.Process.Pid), time.Now()
	killed := make(chan map[string]float64, 1)
	if kill {
		// Kill the server in the middle of the load: what it answered
		// 200 must be stored all the same.
		go func() {
			time.Sleep(duration * 2 / 3)
			m := scrape(target + "/metrics")
			_ = cmd.Process.Signal(syscall.SIGKILL)
			killed <- m
		}()
	}
	out := run(duration)
	cpu1, t1 := benchkit.CPUSeconds(cmd.Process.Pid), time.Now()
	var commits map[string]float64
	if kill {
		commits = <-killed
	} else {
		commits = scrape(target + "/metrics")
		_ = cmd.Process.Signal(syscall.SIGTERM)
	}
	_ = cmd.Wait()
	stored := countPings(driver, storeDSN) - before
	acked := wrkAcked(warm) + wrkAcked(out)
	n := wrkAcked(out)
	fmt.Printf("driver %s, %d heartbeats, %d connections, wrk -t2, body %d B, GOMAXPROCS %s\n", driver, len(uuids), conns, body, orDefault(os.Getenv("GOMAXPROCS"), "all"))
	// wrk's latency takes in every answer; it is shown only when every
	// answer was a 2xx, so that fast error answers do not flatter it.
	others := wrkCount(out, wrkOther)
	for _, line := range strings.Split(out, "\n") {
		l := strings.TrimSpace(line)
		latency := strings.HasPrefix(l, "50%") || strings.HasPrefix(l, "90%") || strings.HasPrefix(l, "99%") || strings.HasPrefix(l, "Latency ")
		if latency && others == 0 || strings.HasPrefix(l, "Socket errors") {
			fmt.Println("wrk:", l)
		}
	}
	fmt.Printf("2xx answers      %d (%.0f/s), other answers %d\n", n, float64(n)/duration.Seconds(), others)
	if others > 0 {
		fmt.Println("latency          not shown: wrk's figures would mix in the answers that were not 2xx")
	}
	el := t1.Sub(t0).Seconds()
	fmt.Printf("server CPU       %.2f cores, %.1f µs per ping\n", (cpu1-cpu0)/el, (cpu1-cpu0)/float64(max(n, 1))*1e6)
	if c := commits["tocsin_ping_commit_seconds_count"]; c > 0 {
		fmt.Printf("group commits    %.0f, %.1f pings and %.2fms each on average\n", c, commits["tocsin_ping_commit_pings_sum"]/c, commits["tocsin_ping_commit_seconds_sum"]/c*1000)
	}
	fmt.Printf("acknowledged %d (warm-up and measured), stored %d\n", acked, stored)
	if stored < acked {
		fmt.Printf("LOST: %d acknowledged pings are not in the database\n", acked-stored)
		os.Exit(1)
	}
	fmt.Println("every acknowledged ping is in the database")
}

// The lines the wrk script writes at the end: the answers by class.
const (
	wrk2xx   = "tocsin-2xx:"
	wrkOther = "tocsin-other:"
)

// wrkAcked is the number of 2xx answers in a wrk report.
func wrkAcked(out string) int64 { return wrkCount(out, wrk2xx) }

// wrkCount reads one of the script's counts from a wrk report.
func wrkCount(out, prefix string) int64 {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

// scrape reads the plain (label-free) samples of a Prometheus text page.
func scrape(url string) map[string]float64 {
	out := map[string]float64{}
	res, err := http.Get(url)
	if err != nil {
		return out
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(data), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok || strings.HasPrefix(line, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = v
		}
	}
	return out
}

func rateText(r int) string {
	if r == 0 {
		return "unpaced"
	}
	return strconv.Itoa(r) + "/s"
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

func countPings(driver, dsn string) int64 {
	if driver == "sqlite" {
		if _, err := os.Stat(dsn); errors.Is(err, os.ErrNotExist) {
			return 0
		}
	}
	db, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: driver, DSN: dsn, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	n, err := db.CountPings(context.Background(), "")
	if err != nil {
		log.Fatal(err)
	}
	return n
}

func waitUp(url string) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatal("the server did not start within 60s")
}
