// Command hostile runs hostile floods against a real Tocsin server while it
// watches things that stay healthy, and reports what each flood did to the
// monitoring: the server's peak memory, the latency of regular heartbeat
// pings, false downs of the healthy monitors and heartbeats (must be 0), and
// acknowledged pings missing from the database afterwards (must be 0).
//
//	go run ./bench/hostile                          # every flood on SQLite
//	go run ./bench/hostile -quick -db sqlite,postgres
//	go run ./bench/hostile -floods logins,slow -login-for 60s
//
// Each flood gets a fresh `tocsin serve` child process (this program run
// again), with a fresh database — a SQLite file, or a new schema in the
// PostgreSQL database of -dsn, dropped afterwards — so its memory and state
// are its own. Next to it run -monitors HTTP monitors against a target this
// program serves (healthy the whole time), -heartbeats heartbeats pinged in
// turn every -ping-every, and a webhook channel that collects their
// notifications. The floods come from many loopback addresses (127.0.0.2
// and up, -sources of them), as an attacker with many addresses would; the
// regular pings come from 127.0.0.1.
//
//	logins  -login-conc parallel wrong-password logins for the admin account
//	        (created with `tocsin user add`), repeated for -login-for
//	slow    -slow-conns connections that send a ping's headers and then
//	        trickle its body, a byte every -trickle, for -slow-for; a
//	        connection the server closes is opened again
//	create  -creates `?create=1` pings with distinct slugs under the ping key
//	utf8    -utf8-valid valid pings with an invalid one after every
//	        -utf8-every: a User-Agent that is not UTF-8, one cut in the
//	        middle of a character at the 256-byte limit, a body that is not UTF-8
//
// Answers a fixed server gives — 429 for logins and creates over a limit, a
// closed slow connection — are counted and printed, not treated as errors.
// The exit status is 1 when a healthy monitor or heartbeat went down or an
// acknowledged ping was lost.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tocsin/tocsin/internal/app"
)

// options are the flags.
type options struct {
	dbs        []string
	dsn        string
	floods     []string
	monitors   int
	interval   time.Duration
	heartbeats int
	pingEvery  time.Duration
	sources    int
	timeout    time.Duration
	warmup     time.Duration
	settle     time.Duration
	keep       bool

	loginConc int
	loginFor  time.Duration

	slowConns int
	slowFor   time.Duration
	trickle   time.Duration

	creates    int
	createConc int

	utf8Valid int
	utf8Every int
	utf8Conc  int
	// floodHeartbeats are the heartbeats the slow and utf8 floods ping, so
	// the per-heartbeat rate limit does not turn valid pings away.
	floodHeartbeats int
}

// floods in the order they run.
var floodNames = []string{"logins", "slow", "create", "utf8"}

func main() {
	if path := os.Getenv("TOCSIN_BENCH_SERVE"); path != "" {
		// The server: like cmd/tocsin, SIGTERM shuts it down cleanly.
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		os.Exit(app.Main(ctx, []string{"serve", "--config", path, "--log-level", "warn"},
			app.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
	}
	var o options
	dbs := flag.String("db", "sqlite", "databases to run on, comma-separated: sqlite, postgres")
	flag.StringVar(&o.dsn, "dsn", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL database for -db postgres; each flood gets a fresh schema in it")
	floods := flag.String("floods", strings.Join(floodNames, ","), "floods to run, comma-separated: "+strings.Join(floodNames, ", "))
	quick := flag.Bool("quick", false, "smaller, shorter floods (about a minute per database): -login-for 5s -slow-for 6s -creates 1000 -utf8-valid 3000 -request-timeout 10s -warmup 1.5s -settle 2s; flags given explicitly still win")
	flag.IntVar(&o.monitors, "monitors", 20, "healthy HTTP monitors running during each flood")
	flag.DurationVar(&o.interval, "interval", 2*time.Second, "their interval (and timeout)")
	flag.IntVar(&o.heartbeats, "heartbeats", 10, "healthy heartbeats, pinged in turn (period 5s, grace 5s)")
	flag.DurationVar(&o.pingEvery, "ping-every", 50*time.Millisecond, "time between two regular pings (over all heartbeats)")
	flag.IntVar(&o.sources, "sources", 200, "loopback addresses the floods come from (127.0.0.2 and up)")
	flag.DurationVar(&o.timeout, "request-timeout", 30*time.Second, "how long a flood's request waits for its answer")
	flag.DurationVar(&o.warmup, "warmup", 3*time.Second, "quiet time before each flood; its pings give the baseline latency")
	flag.DurationVar(&o.settle, "settle", 3*time.Second, "quiet time after each flood before the server stops")
	flag.BoolVar(&o.keep, "keep", false, "keep the databases, configs and server logs (their place is printed)")
	flag.IntVar(&o.loginConc, "login-conc", 100, "logins: parallel wrong-password logins")
	flag.DurationVar(&o.loginFor, "login-for", 30*time.Second, "logins: how long they go on")
	flag.IntVar(&o.slowConns, "slow-conns", 2000, "slow: connections trickling a body")
	flag.DurationVar(&o.slowFor, "slow-for", 30*time.Second, "slow: how long they are held")
	flag.DurationVar(&o.trickle, "trickle", time.Second, "slow: time between two body bytes")
	flag.IntVar(&o.creates, "creates", 3000, "create: ?create=1 pings, each with a new slug")
	flag.IntVar(&o.createConc, "create-conc", 50, "create: parallel requests")
	flag.IntVar(&o.utf8Valid, "utf8-valid", 10000, "utf8: valid pings")
	flag.IntVar(&o.utf8Every, "utf8-every", 10, "utf8: one invalid ping after every this many valid ones")
	flag.IntVar(&o.utf8Conc, "utf8-conc", 32, "utf8: parallel requests")
	flag.IntVar(&o.floodHeartbeats, "flood-heartbeats", 500, "heartbeats the slow and utf8 floods ping")
	flag.Parse()
	if *quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quickly := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		quickly("warmup", func() { o.warmup = 1500 * time.Millisecond })
		quickly("settle", func() { o.settle = 2 * time.Second })
		quickly("login-for", func() { o.loginFor = 5 * time.Second })
		quickly("slow-for", func() { o.slowFor = 6 * time.Second })
		quickly("utf8-valid", func() { o.utf8Valid = 3000 })
		quickly("creates", func() { o.creates = 1000 })
		quickly("request-timeout", func() { o.timeout = 10 * time.Second })
	}
	o.dbs = splitList(*dbs, []string{"sqlite", "postgres"}, "-db")
	o.floods = splitList(*floods, floodNames, "-floods")
	if o.sources < 1 || o.sources > 250 {
		log.Fatal("-sources must be 1 to 250")
	}
	if o.heartbeats < 1 || o.floodHeartbeats < 1 {
		log.Fatal("-heartbeats and -flood-heartbeats must be at least 1")
	}
	if every := time.Duration(o.heartbeats) * o.pingEvery; every > 2*time.Second {
		// Period 5s and grace 5s: each heartbeat needs a ping well within 10s.
		log.Fatalf("-heartbeats × -ping-every is %s: each heartbeat would be pinged too rarely to stay up; keep it under 2s", every)
	}
	raiseFileLimit()

	var all []*report
	for _, db := range o.dbs {
		for _, f := range o.floods {
			r := runFlood(&o, db, f)
			r.print(os.Stdout)
			all = append(all, r)
		}
	}
	if printSummary(os.Stdout, all) {
		os.Exit(1)
	}
}

// splitList parses a comma-separated flag against its allowed values.
func splitList(s string, allowed []string, flagName string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if !slices.Contains(allowed, v) {
			log.Fatalf("%s: unknown %q; choose from %s", flagName, v, strings.Join(allowed, ", "))
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		log.Fatalf("%s: nothing to run", flagName)
	}
	return out
}

// raiseFileLimit lifts this process's open-file limit to the hard limit:
// the slow flood holds thousands of connections.
func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		log.Printf("open-file limit: %v", err)
		return
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			log.Printf("raising the open-file limit to %d: %v", l.Max, err)
		}
	}
}

// runFlood starts a server on a fresh database, lets it settle, runs one
// flood against it while the regular pings go on, stops it and counts.
func runFlood(o *options, db, flood string) *report {
	fmt.Fprintf(os.Stderr, "== %s: %s\n", db, flood)
	e := newEnv(o, db)
	defer e.close()
	r := &report{db: db, flood: flood}
	r.desc = describe(o, flood)
	if err := e.start(); err != nil {
		r.fatal = err.Error()
		return r
	}
	pctx, stopPings := context.WithCancel(context.Background())
	pings := e.startPinger(pctx)
	time.Sleep(o.warmup)

	m0, _ := e.srv.scrape()
	mem := e.srv.watch()
	pings.phase.Store(phaseFlood)
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	switch flood {
	case "logins":
		loginFlood(ctx, e, r)
	case "slow":
		slowFlood(ctx, e, r)
	case "create":
		createFlood(ctx, e, r)
	case "utf8":
		utf8Flood(ctx, e, r)
	}
	cancel()
	r.took = time.Since(started)
	pings.phase.Store(phaseSettle)
	time.Sleep(o.settle)
	r.mem = mem.stop()
	m1, err := e.srv.scrape()
	if err != nil {
		r.notes = append(r.notes, "metrics after the flood: "+err.Error())
	}
	all0, notOK0 := m0.httpChecks()
	all1, notOK1 := m1.httpChecks()
	r.checks, r.failedChecks = all1-all0, notOK1-notOK0
	stopPings()
	pings.wait()
	r.pings = pings.summary()

	r.stop = e.srv.stop()
	r.logLines, r.logTail = e.srv.logLines()
	if err := e.count(r); err != nil {
		r.fatal = "counting in the database: " + err.Error()
	}
	r.hookDowns = e.hook.downs()
	if o.keep {
		r.notes = append(r.notes, "kept in "+e.dir)
	}
	return r
}

// describe says what a flood does with the flags given.
func describe(o *options, flood string) string {
	switch flood {
	case "logins":
		return fmt.Sprintf("%d parallel wrong-password logins for %s", o.loginConc, o.loginFor)
	case "slow":
		return fmt.Sprintf("%d connections trickling a ping body (a byte every %s) for %s", o.slowConns, o.trickle, o.slowFor)
	case "create":
		return fmt.Sprintf("%d ?create=1 pings with distinct slugs, %d in parallel", o.creates, o.createConc)
	case "utf8":
		return fmt.Sprintf("%d valid pings with an invalid-UTF-8 one after every %d, %d in parallel", o.utf8Valid, o.utf8Every, o.utf8Conc)
	}
	return flood
}
