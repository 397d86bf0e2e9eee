// Command storm measures an alert storm: it runs `tocsin serve` as a child
// process with N HTTP monitors against a target it controls, each monitor
// optionally subscribed to a webhook channel pointing at a receiver it runs.
// After steady state it flips every target to failing, waits for the
// monitor.down webhooks, flips them back and waits for monitor.up. It prints
// checks/s, CPU per check, CPU per delivered notification, the first, median
// and last delivery after the flip against failure_threshold × interval +
// 2s, peak RSS, the SQLite WAL before and after, the log bytes the child
// wrote, and the bytes per stored result. Every webhook is counted by its
// message id: duplicated ids are reported, and so are monitors whose down or
// up did not arrive within the limit plus three minutes; those fail the run.
//
//	go run ./bench/storm -monitors 10000 -interval 10s -duration 60s
//	go run ./bench/storm -driver postgres -monitors 10000 -interval 10s
//	go run ./bench/storm -monitors 100000 -interval 60s -split 4 -webhook=false
//
// A configuration file holds at most 4 MiB; -split K writes the monitors to
// K files that the main file includes.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	_ "net/http/pprof" // served by the child only with -profile
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tocsin/tocsin/bench/internal/benchkit"
	"github.com/tocsin/tocsin/internal/app"
	"github.com/tocsin/tocsin/internal/config"
)

// benchDatabase is the PostgreSQL database the run creates and drops, so
// that it never touches the one given.
const benchDatabase = "tocsin_bench_storm"

func main() {
	if path := os.Getenv("TOCSIN_BENCH_SERVE"); path != "" {
		if addr := os.Getenv("TOCSIN_BENCH_PPROF"); addr != "" {
			serveStormProfile()
			go func() { log.Println(http.ListenAndServe(addr, nil)) }()
		}
		os.Exit(app.Main(context.Background(), []string{"serve", "--config", path, "--log-level", os.Getenv("TOCSIN_BENCH_LOG_LEVEL")},
			app.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	monitors := flag.Int("monitors", 10000, "number of HTTP monitors")
	interval := flag.Duration("interval", 10*time.Second, "monitor interval")
	threshold := flag.Int("failure-threshold", 1, "failure_threshold of every monitor")
	duration := flag.Duration("duration", 30*time.Second, "steady-state measuring time after the first interval")
	driver := flag.String("driver", "sqlite", "storage driver: sqlite or postgres")
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL server to create the bench database on (with -driver postgres)")
	webhook := flag.Bool("webhook", true, "subscribe every monitor to a webhook channel pointing at the local receiver, and flip the targets")
	split := flag.Int("split", 0, "write the monitors to this many included files instead of the main file")
	logLevel := flag.String("log-level", "info", "the child's log level")
	writeOnly := flag.String("write-config", "", "only write the configuration into this directory and exit")
	profiles := flag.String("profile", "", "write the server's start-up CPU profile, its heap after the first interval and a CPU profile of each storm (flip to the last webhook) into this directory")
	flag.Parse()

	var failing atomic.Bool
	target := benchkit.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "storm", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	rcv := newReceiver()
	hook := benchkit.Serve(rcv)

	dir := *writeOnly
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "tocsin-storm-"); err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	dbPath := filepath.Join(dir, "tocsin.db")
	storeDSN := dbPath
	if *driver == "postgres" {
		storeDSN = benchkit.CreateDatabase(*dsn, benchDatabase)
		defer benchkit.DropDatabase(*dsn, benchDatabase)
	}
	port := benchkit.FreePort()
	cfgPath, err := writeConfig(dir, configSpec{
		port: port, driver: *driver, dsn: storeDSN, monitors: *monitors, interval: *interval,
		threshold: *threshold, target: target, hook: hook, webhook: *webhook, split: *split,
	})
	if err != nil {
		log.Fatal(err)
	}
	if *writeOnly != "" {
		fmt.Println("wrote", cfgPath)
		return
	}

	logs := &countingWriter{}
	self, _ := os.Executable()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "TOCSIN_BENCH_SERVE="+cfgPath, "TOCSIN_BENCH_LOG_LEVEL="+*logLevel)
	cmd.Stderr, cmd.Stdout = logs, logs
	var pprofBase string
	if *profiles != "" {
		pp := benchkit.FreePort()
		pprofBase = fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/", pp)
		cmd.Env = append(cmd.Env, fmt.Sprintf("TOCSIN_BENCH_PPROF=127.0.0.1:%d", pp))
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	pid := cmd.Process.Pid
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	startProfile := make(chan struct{})
	if pprofBase != "" {
		go func() {
			defer close(startProfile)
			fetchProfile(pprofBase+"profile?seconds=15", filepath.Join(*profiles, "startup.cpu.pprof"), started)
		}()
	} else {
		close(startProfile)
	}
	benchkit.WaitHealthy(base, 2*time.Minute)
	startup, startupCPU := time.Since(started), benchkit.CPUSeconds(pid)
	limit := time.Duration(*threshold)*(*interval) + 2*time.Second
	fmt.Printf("monitors %d at %s, failure_threshold %d, storage %s, webhook %v, log level %s, config %s\n",
		*monitors, *interval, *threshold, *driver, *webhook, *logLevel, configSize(dir))
	fmt.Printf("start-up         serving /healthz %s after exec, %.1f CPU seconds, load average %s\n", startup.Round(time.Millisecond), startupCPU, benchkit.LoadAverage())

	// The first interval: every monitor has its first run.
	time.Sleep(*interval + time.Second)
	if pprofBase != "" {
		<-startProfile
		fetchProfile(pprofBase+"heap", filepath.Join(*profiles, "steady.heap.pprof"), started)
		fmt.Printf("RSS after the first interval %.0f MiB\n", benchkit.MiB(benchkit.ProcStatus(pid, "VmRSS")))
	}
	m0 := scrape(base)
	fmt.Printf("first interval   %.0f checks in the first %s (%d monitors)\n", m0.Sum("tocsin_checks_total"), *interval+time.Second, *monitors)
	cpu0, t0 := benchkit.CPUSeconds(pid), time.Now()
	var peakWAL int64
	sample := func() {
		peakWAL = max(peakWAL, fileSize(dbPath+"-wal"))
	}
	for time.Since(t0) < *duration {
		time.Sleep(time.Second)
		sample()
	}
	m1 := scrape(base)
	steadyCPU, steadyTime := benchkit.CPUSeconds(pid)-cpu0, time.Since(t0).Seconds()
	checks := m1.Sum("tocsin_checks_total") - m0.Sum("tocsin_checks_total")
	fmt.Printf("checks           %.0f/s (expected %.0f/s), skipped %.0f\n", checks/steadyTime, float64(*monitors)/interval.Seconds(),
		m1.Sum("tocsin_scheduler_skipped_total")-m0.Sum("tocsin_scheduler_skipped_total"))
	fmt.Printf("lateness         p50 ≤ %s, p99 ≤ %s\n", benchkit.QuantileDelta(m0, m1, "tocsin_scheduler_lateness_seconds", 0.5),
		benchkit.QuantileDelta(m0, m1, "tocsin_scheduler_lateness_seconds", 0.99))
	fmt.Printf("CPU steady       %.2f cores, %.3f ms per check\n", steadyCPU/steadyTime, steadyCPU/checks*1000)
	fmt.Printf("RSS steady       %.0f MiB, %.1f KiB per monitor\n", benchkit.MiB(benchkit.ProcStatus(pid, "VmRSS")), float64(benchkit.ProcStatus(pid, "VmRSS"))/1024/float64(*monitors))

	if *webhook {
		walBefore, logsBefore := fileSize(dbPath+"-wal"), logs.n.Load()
		fmt.Printf("WAL before       %.1f MiB\n", benchkit.MiB(walBefore))
		profile := func(event string) func() {
			if pprofBase == "" {
				return func() {}
			}
			return stormProfile(pprofBase, filepath.Join(*profiles, "storm-"+event+".cpu.pprof"))
		}
		down := storm(pid, "down", rcv, *monitors, limit, steadyCPU/steadyTime, sample, profile("down"), func() { failing.Store(true) })
		up := storm(pid, "up", rcv, *monitors, limit, steadyCPU/steadyTime, sample, profile("up"), func() { failing.Store(false) })
		// Idle for two intervals: what the WAL settles to after the storm.
		for range 2 * int(interval.Seconds()) {
			time.Sleep(time.Second)
			sample()
		}
		fmt.Printf("WAL              before %.1f MiB, peak %.1f MiB, after the storm and %s idle %.1f MiB\n",
			benchkit.MiB(walBefore), benchkit.MiB(peakWAL), 2**interval, benchkit.MiB(fileSize(dbPath+"-wal")))
		fmt.Printf("log              %.1f MiB at %s during the storm and its recovery, %.0f bytes per monitor\n",
			benchkit.MiB(logs.n.Load()-logsBefore), *logLevel, float64(logs.n.Load()-logsBefore)/float64(*monitors))
		lost, dup := rcv.tally(*monitors)
		fmt.Printf("webhooks         %d received, %d distinct ids, %d duplicated ids, %d missing at the end of the wait (a monitor's down or up not received: lost, or later than the limit plus 3 minutes)\n",
			rcv.total(), rcv.distinct(), dup, lost)
		if lost > 0 || !down || !up {
			defer os.Exit(1)
		}
	}
	fmt.Printf("RSS peak         %.0f MiB\n", benchkit.MiB(benchkit.ProcStatus(pid, "VmHWM")))
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	if *driver == "postgres" {
		size, rows := postgresResults(storeDSN)
		fmt.Printf("results          %d rows, pg_total_relation_size(results) %.1f MiB = %.0f bytes per result\n", rows, benchkit.MiB(size), float64(size)/float64(max(rows, 1)))
	} else {
		rows := sqliteResults(dbPath)
		size := fileSize(dbPath) + fileSize(dbPath+"-wal")
		fmt.Printf("results          %d rows, database file %.1f MiB = %.0f bytes per result (the whole file)\n", rows, benchkit.MiB(size), float64(size)/float64(max(rows, 1)))
	}
}

// storm flips the targets and waits for one webhook of the event per
// monitor; it reports the delivery latency from the flip against limit and
// the CPU spent, net of steady checking too. It returns false when a
// monitor's webhook did not come within limit plus three minutes.
func storm(pid int, event string, rcv *receiver, n int, limit time.Duration, steadyCores float64, sample func(), stopProfile func(), flip func()) bool {
	cpu0 := benchkit.CPUSeconds(pid)
	flipped := time.Now()
	rcv.expect("monitor."+event, flipped)
	flip()
	deadline := flipped.Add(limit + 3*time.Minute)
	for rcv.count("monitor."+event) < n && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		sample()
	}
	cpu, el := benchkit.CPUSeconds(pid)-cpu0, time.Since(flipped)
	stopProfile()
	lat := rcv.latencies("monitor." + event)
	got := len(lat)
	fmt.Printf("storm %-5s      %d of %d monitor.%s webhooks in %s", event, got, n, event, el.Round(time.Millisecond))
	if got == 0 {
		fmt.Println()
		return false
	}
	p50, last := lat[got/2], lat[got-1]
	verdict := "within"
	if last > limit {
		verdict = "LATE against"
	}
	fmt.Printf("; first %s, p50 %s, last %s, %s the limit %s\n", lat[0].Round(time.Millisecond), p50.Round(time.Millisecond), last.Round(time.Millisecond), verdict, limit)
	fmt.Printf("CPU %-5s        %.1f s, %.2f ms per delivered notification (%.2f ms net of steady checking)\n",
		event, cpu, cpu/float64(got)*1000, max(cpu-steadyCores*el.Seconds(), 0)/float64(got)*1000)
	return got >= n
}

// receiver is the webhook endpoint: it counts every message by id and keeps
// the arrival of each monitor's first message of the awaited event.
type receiver struct {
	mu      sync.Mutex
	ids     map[string]int
	all     int
	event   string
	since   time.Time
	arrived map[string]map[string]time.Duration // event → monitor → after the flip
}

func newReceiver() *receiver {
	return &receiver{ids: map[string]int{}, arrived: map[string]map[string]time.Duration{}}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var msg struct {
		ID        string `json:"id"`
		Event     string `json:"event"`
		MonitorID string `json:"monitor_id"`
	}
	if err := json.NewDecoder(req.Body).Decode(&msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if k := req.Header.Get("Idempotency-Key"); k != "" {
		msg.ID = k
	}
	r.mu.Lock()
	r.ids[msg.ID]++
	r.all++
	if msg.Event == r.event {
		if _, ok := r.arrived[msg.Event][msg.MonitorID]; !ok {
			r.arrived[msg.Event][msg.MonitorID] = time.Since(r.since)
		}
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) expect(event string, since time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.event, r.since = event, since
	r.arrived[event] = map[string]time.Duration{}
}

func (r *receiver) count(event string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.arrived[event])
}

func (r *receiver) latencies(event string) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]time.Duration, 0, len(r.arrived[event]))
	for _, d := range r.arrived[event] {
		out = append(out, d)
	}
	slices.Sort(out)
	return out
}

// tally counts the monitors missing their down or up webhook, and the
// message ids received more than once.
func (r *receiver) tally(n int) (lost, duplicated int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range []string{"monitor.down", "monitor.up"} {
		lost += n - len(r.arrived[e])
	}
	for _, c := range r.ids {
		if c > 1 {
			duplicated++
		}
	}
	return lost, duplicated
}

func (r *receiver) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.all
}

func (r *receiver) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ids)
}

// countingWriter counts the bytes the child writes to its log.
type countingWriter struct{ n atomic.Int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// fetchProfile saves a profile of the server's pprof endpoint, which may
// take a moment to listen after exec.
func fetchProfile(url, path string, started time.Time) {
	for {
		resp, err := http.Get(url)
		if err != nil {
			if time.Since(started) > time.Minute {
				log.Printf("profile %s: %v", url, err)
				return
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		defer resp.Body.Close()
		f, err := os.Create(path)
		if err == nil {
			_, err = io.Copy(f, resp.Body)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			log.Printf("profile %s: %v", url, err)
		}
		return
	}
}

// stormProfilePath is the child's endpoint that starts a CPU profile
// (POST) and stops it, answering with the profile (DELETE): a storm's
// length is not known in advance, which /debug/pprof/profile needs.
const stormProfilePath = "/debug/storm-cpu"

// serveStormProfile registers stormProfilePath on the child's pprof
// listener (the default mux, only with -profile).
func serveStormProfile() {
	var mu sync.Mutex
	var buf *bytes.Buffer
	http.HandleFunc("POST "+stormProfilePath, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		buf = &bytes.Buffer{}
		if err := pprof.StartCPUProfile(buf); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
		}
	})
	http.HandleFunc("DELETE "+stormProfilePath, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		pprof.StopCPUProfile()
		if buf != nil {
			w.Write(buf.Bytes())
		}
	})
}

// stormProfile starts the child's CPU profile and returns the function
// that stops it and writes it to path.
func stormProfile(base, path string) func() {
	u := strings.TrimSuffix(base, "/debug/pprof/") + stormProfilePath
	resp, err := http.Post(u, "", nil)
	if err != nil {
		log.Printf("storm profile: %v", err)
		return func() {}
	}
	resp.Body.Close()
	return func() {
		req, _ := http.NewRequest(http.MethodDelete, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			defer resp.Body.Close()
			var f *os.File
			if f, err = os.Create(path); err == nil {
				_, err = io.Copy(f, resp.Body)
				err = errors.Join(err, f.Close())
			}
		}
		if err != nil {
			log.Printf("storm profile: %v", err)
		}
	}
}

func scrape(base string) benchkit.Metrics {
	m, err := benchkit.Scrape(base + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	return m
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func configSize(dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	var total int64
	for _, f := range files {
		total += fileSize(f)
	}
	return fmt.Sprintf("%.1f MiB in %d file(s)", benchkit.MiB(total), len(files))
}

func postgresResults(dsn string) (size, rows int64) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT pg_total_relation_size('results'), (SELECT count(*) FROM results)").Scan(&size, &rows); err != nil {
		log.Fatal(err)
	}
	return size, rows
}

func sqliteResults(path string) int64 {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM results").Scan(&n); err != nil {
		log.Fatal(err)
	}
	return n
}

// configSpec is what writeConfig puts in the configuration.
type configSpec struct {
	port         int
	driver, dsn  string
	monitors     int
	interval     time.Duration
	threshold    int
	target, hook string
	webhook      bool
	split        int
}

// writeConfig writes the main configuration file into dir and, with split,
// the monitors into that many files it includes; it refuses a file over
// the loader's limit and says how many monitors would fit.
func writeConfig(dir string, s configSpec) (string, error) {
	main := fmt.Appendf(nil, "server:\n  listen: 127.0.0.1:%d\n  concurrency: 256\n  per_host_concurrency: 64\nstorage:\n  driver: %s\n  dsn: %q\n", s.port, s.driver, s.dsn)
	subscribe := ""
	if s.webhook {
		main = fmt.Appendf(main, "channels:\n  - id: hook\n    type: webhook\n    events: [monitor.down, monitor.up]\n    webhook:\n      url: %s/hook\n", s.hook)
		subscribe = ", channels: [hook]"
	}
	// Defaults are left out (failure_threshold 1, the timeout), so that
	// more monitors fit in a file.
	if s.threshold != 1 {
		subscribe = fmt.Sprintf(", failure_threshold: %d", s.threshold) + subscribe
	}
	line := func(b []byte, i int) []byte {
		return fmt.Appendf(b, "  - {id: m%06d, type: http, interval: %s%s, http: {url: \"%s/m%06d\"}}\n",
			i, s.interval, subscribe, s.target, i)
	}
	write := func(name string, data []byte) error {
		if len(data) > config.MaxFileSize {
			per := len(data) / max(s.monitors/max(s.split, 1), 1)
			return fmt.Errorf("%s would be %.1f MiB, over the %d MiB limit: at most about %d monitors fit in one file; use -split",
				name, benchkit.MiB(int64(len(data))), config.MaxFileSize>>20, config.MaxFileSize/max(per, 1))
		}
		return os.WriteFile(filepath.Join(dir, name), data, 0o600)
	}
	if s.split > 0 {
		main = append(main, "include: [\"monitors-*.yaml\"]\n"...)
		per := (s.monitors + s.split - 1) / s.split
		for k := range s.split {
			b := []byte("monitors:\n")
			for i := k * per; i < min((k+1)*per, s.monitors); i++ {
				b = line(b, i)
			}
			if err := write(fmt.Sprintf("monitors-%02d.yaml", k), b); err != nil {
				return "", err
			}
		}
	} else {
		main = append(main, "monitors:\n"...)
		for i := range s.monitors {
			main = line(main, i)
		}
	}
	return filepath.Join(dir, "tocsin.yaml"), write("tocsin.yaml", main)
}
