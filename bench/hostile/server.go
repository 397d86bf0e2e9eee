package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tocsin/tocsin/bench/internal/benchkit"
	"github.com/tocsin/tocsin/internal/app"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// pingKey is the server's ping key, for the create flood's slug URLs.
const pingKey = "hostile-bench-ping-key-0001"

// env is one server run: its database, config, process, and the healthy
// things it watches, served from this process.
type env struct {
	o      *options
	db     string
	dsn    string // the database the server uses
	schema string // PostgreSQL: the fresh schema, dropped at close
	dir    string
	srv    *server
	target *http.Server
	hook   *webhook

	regular []heartbeatRef // pinged by the pinger; watched for false downs
	flood   []heartbeatRef // pinged by the slow and utf8 floods
	// acked counts pings answered as stored, by heartbeat id; pings to
	// created heartbeats (by slug) count under createdKey.
	acked sync.Map // string → *atomic.Int64
	// clients send from 127.0.0.2 and up, one per source address.
	clients []*http.Client
	dialers []*net.Dialer
}

type heartbeatRef struct{ id, uuid string }

// createdKey collects the acknowledged pings to heartbeats a ping created.
const createdKey = "(created by ?create=1)"

func newEnv(o *options, db string) *env {
	dir, err := os.MkdirTemp("", "tocsin-hostile-")
	if err != nil {
		fatalf("%v", err)
	}
	e := &env{o: o, db: db, dir: dir, hook: newWebhook()}
	for i := range o.heartbeats {
		e.regular = append(e.regular, heartbeatRef{fmt.Sprintf("job-%02d", i), fmt.Sprintf("00000000-0000-4000-8000-%012d", i)})
	}
	for i := range o.floodHeartbeats {
		e.flood = append(e.flood, heartbeatRef{fmt.Sprintf("flood-%03d", i), fmt.Sprintf("00000000-0000-4000-9000-%012d", i)})
	}
	for i := range o.sources {
		d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i))}}
		e.dialers = append(e.dialers, d)
		e.clients = append(e.clients, &http.Client{
			Timeout:   o.timeout,
			Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64, DisableCompression: true},
			// A login that works redirects; the flood wants the answer itself.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		})
	}
	return e
}

// client returns the client of source i (modulo the number of sources).
func (e *env) client(i int) *http.Client { return e.clients[i%len(e.clients)] }

// ack counts one acknowledged ping of a heartbeat.
func (e *env) ack(key string) {
	c, _ := e.acked.LoadOrStore(key, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
}

// start prepares the database and config, creates the admin account and
// runs the server.
func (e *env) start() error {
	switch e.db {
	case "sqlite":
		e.dsn = filepath.Join(e.dir, "tocsin.db")
	case "postgres":
		schema, dsn, err := freshSchema(e.o.dsn)
		if err != nil {
			return fmt.Errorf("PostgreSQL at %s: %w", e.o.dsn, err)
		}
		e.schema, e.dsn = schema, dsn
	}
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.target = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })}
	go func() { _ = e.target.Serve(tln) }()
	cfgPath := filepath.Join(e.dir, "tocsin.yaml")
	port := benchkit.FreePort()
	if err := os.WriteFile(cfgPath, []byte(e.config(port, "http://"+tln.Addr().String())), 0o600); err != nil {
		return err
	}
	var out strings.Builder
	if code := app.Main(context.Background(), []string{"user", "add", "--config", cfgPath, "admin"},
		app.Env{Stdin: strings.NewReader("the right password\n"), Stdout: &out, Stderr: &out, Getenv: os.Getenv}); code != 0 {
		return fmt.Errorf("tocsin user add: %s", out.String())
	}
	e.srv, err = startServer(cfgPath, filepath.Join(e.dir, "server.log"), port)
	return err
}

// config writes the server's configuration.
func (e *env) config(port int, target string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "server:\n  listen: 127.0.0.1:%d\n  pings:\n    key: %s\n    auto_create: true\n", port, pingKey)
	fmt.Fprintf(&b, "storage:\n  driver: %s\n  dsn: %q\n", e.db, e.dsn)
	fmt.Fprintf(&b, "channels:\n  - id: hook\n    type: webhook\n    webhook:\n      url: %s\n", e.hook.url)
	b.WriteString("services:\n  - id: watched\n    channels: [hook]\n")
	b.WriteString("monitors:\n")
	for i := range e.o.monitors {
		fmt.Fprintf(&b, "  - id: web-%02d\n    service: watched\n    type: http\n    interval: %s\n    timeout: %s\n    http:\n      url: %s/web-%02d\n",
			i, e.o.interval, e.o.interval, target, i)
	}
	b.WriteString("heartbeats:\n")
	for _, h := range e.regular {
		fmt.Fprintf(&b, "  - id: %s\n    uuid: %s\n    service: watched\n    period: 5s\n    grace: 5s\n", h.id, h.uuid)
	}
	for _, h := range e.flood {
		fmt.Fprintf(&b, "  - id: %s\n    uuid: %s\n    period: 1h\n", h.id, h.uuid)
	}
	return b.String()
}

// watched are the ids that must not go down.
func (e *env) watched() []string {
	var ids []string
	for i := range e.o.monitors {
		ids = append(ids, fmt.Sprintf("web-%02d", i))
	}
	for _, h := range e.regular {
		ids = append(ids, h.id)
	}
	return ids
}

// count opens the database after the server stopped: acknowledged pings
// against stored ones, heartbeats created, down transitions of the watched.
func (e *env) count(r *report) error {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, sqlstore.Options{Driver: e.db, DSN: e.dsn, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer st.Close()
	total, err := st.CountPings(ctx, "")
	if err != nil {
		return err
	}
	r.stored = total
	var configured int64
	var errCount error
	e.acked.Range(func(k, v any) bool {
		acked := v.(*atomic.Int64).Load()
		r.acked += acked
		if k == createdKey {
			return true
		}
		n, err := st.CountPings(ctx, k.(string))
		if err != nil {
			errCount = err
			return false
		}
		configured += n
		r.lost += max(0, acked-n)
		return true
	})
	if errCount != nil {
		return errCount
	}
	if c, ok := e.acked.Load(createdKey); ok {
		r.lost += max(0, c.(*atomic.Int64).Load()-(total-configured))
	}
	hbs, err := st.StoredHeartbeats(ctx)
	if err != nil {
		return err
	}
	r.created = len(hbs)
	for _, id := range e.watched() {
		ts, err := st.Transitions(ctx, id, store.Page{Limit: 1000})
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.To == monitor.StatusDown {
				r.storedDowns++
				r.notes = append(r.notes, fmt.Sprintf("false down: %s at %s (from %s): %s", id, t.Time.Format(time.RFC3339Nano), t.From, t.Reason))
			}
		}
	}
	return nil
}

func (e *env) close() {
	if e.srv != nil {
		e.srv.kill()
	}
	if e.target != nil {
		_ = e.target.Close()
	}
	e.hook.close()
	for _, c := range e.clients {
		c.CloseIdleConnections()
	}
	if e.o.keep {
		return
	}
	if e.schema != "" {
		if err := dropSchema(e.o.dsn, e.schema); err != nil {
			fmt.Fprintf(os.Stderr, "dropping schema %s: %v\n", e.schema, err)
		}
	}
	_ = os.RemoveAll(e.dir)
}

// freshSchema creates a schema for one server and returns it with a DSN
// whose search_path is that schema.
func freshSchema(dsn string) (schema, withPath string, err error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", "", fmt.Errorf("-dsn must be a postgres:// URL")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema = "hostile_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		return "", "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return schema, u.String(), nil
}

func dropSchema(dsn, schema string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec("DROP SCHEMA " + schema + " CASCADE")
	return err
}

// server is the `tocsin serve` child process.
type server struct {
	cmd     *exec.Cmd
	base    string
	logPath string
	exited  chan struct{}
	waitErr error
}

func startServer(cfgPath, logPath string, port int) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), "TOCSIN_BENCH_SERVE="+cfgPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: logPath, exited: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			n, tail := s.logLines()
			return nil, fmt.Errorf("the server exited at start (%v); %d log lines, the last:\n%s", s.waitErr, n, tail)
		default:
		}
		if res, err := http.Get(s.base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.kill()
	return nil, errors.New("the server did not answer /healthz within 60s")
}

// stop sends SIGTERM as an operator would and waits; after a minute it
// kills. It says how the server ended.
func (s *server) stop() string {
	t0 := time.Now()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(time.Minute):
		s.kill()
		return "did not stop within 1m of SIGTERM: killed"
	}
	d := time.Since(t0).Round(10 * time.Millisecond)
	if s.waitErr != nil {
		return fmt.Sprintf("exited after SIGTERM in %s: %v", d, s.waitErr)
	}
	return fmt.Sprintf("stopped cleanly in %s", d)
}

func (s *server) kill() {
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// logLines counts the server's log lines and returns the last few.
func (s *server) logLines() (int, string) {
	f, err := os.Open(s.logPath)
	if err != nil {
		return 0, ""
	}
	defer f.Close()
	var n int
	var last []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		n++
		last = append(last, sc.Text())
		if len(last) > 3 {
			last = last[1:]
		}
	}
	return n, strings.Join(last, "\n")
}

// memWatch samples the server's memory and open files during a flood.
type memWatch struct {
	stop func() memStats
}

type memStats struct {
	start, peak int64 // bytes resident
	fds         int   // most open files seen
	cpu         float64
	span        time.Duration
}

// watch resets the kernel's peak-RSS mark of the server (clear_refs 5) and
// samples until stopped; the peak is the larger of the kernel's mark
// (VmHWM) and the samples.
func (s *server) watch() *memWatch {
	pid := s.cmd.Process.Pid
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
	st := memStats{start: benchkit.ProcStatus(pid, "VmRSS")}
	cpu0, t0 := benchkit.CPUSeconds(pid), time.Now()
	done := make(chan struct{})
	var mu sync.Mutex
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			rss, fds := benchkit.ProcStatus(pid, "VmRSS"), benchkit.OpenFiles(pid)
			mu.Lock()
			st.peak, st.fds = max(st.peak, rss), max(st.fds, fds)
			mu.Unlock()
		}
	}()
	return &memWatch{stop: func() memStats {
		close(done)
		mu.Lock()
		defer mu.Unlock()
		st.peak = max(st.peak, benchkit.ProcStatus(pid, "VmHWM"))
		st.cpu, st.span = benchkit.CPUSeconds(pid)-cpu0, time.Since(t0)
		return st
	}}
}

// metrics is a scraped Prometheus text page: series → value.
type metrics map[string]float64

func (s *server) scrape() (metrics, error) {
	m, err := benchkit.Scrape(s.base + "/metrics")
	return metrics(m), err
}

// httpChecks counts the HTTP monitors' checks, and those not OK.
func (m metrics) httpChecks() (all, notOK float64) {
	for k, v := range m {
		if strings.HasPrefix(k, "tocsin_checks_total{") && strings.Contains(k, `type="http"`) {
			all += v
			if !strings.Contains(k, `status="OK"`) {
				notOK += v
			}
		}
	}
	return all, notOK
}

// webhook collects the server's notifications.
type webhook struct {
	srv  *http.Server
	url  string
	mu   sync.Mutex
	down map[string]int // monitor id → monitor.down notifications
}

func newWebhook() *webhook {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatalf("%v", err)
	}
	h := &webhook{url: "http://" + ln.Addr().String() + "/hook", down: map[string]int{}}
	h.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			Event     string `json:"event"`
			MonitorID string `json:"monitor_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err == nil && ev.Event == "monitor.down" {
			h.mu.Lock()
			h.down[ev.MonitorID]++
			h.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = h.srv.Serve(ln) }()
	return h
}

func (h *webhook) downs() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var n int
	for _, c := range h.down {
		n += c
	}
	return n
}

func (h *webhook) close() { _ = h.srv.Close() }

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hostile: "+format+"\n", args...)
	os.Exit(2)
}
