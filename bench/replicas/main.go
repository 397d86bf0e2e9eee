// Command replicas measures several `tocsin serve` replicas sharing one
// PostgreSQL database. It creates a bench database on the server given,
// writes N HTTP monitors against a local target it runs, and starts the
// replicas as child processes, each with its own replica_id and port.
//
// It first runs one replica alone with the same monitors (-single), then K
// replicas together, and prints for each: the checks/s in total and per
// replica, the CPU per check, each replica's resident memory, PostgreSQL's
// own CPU (the /proc CPU time of the database's backend processes, and of
// every process of the server) and the WAL the server wrote
// (pg_current_wal_flush_lsn) per check. With K replicas it prints each one's
// share of the monitors, from the registry, and the spread against an even
// share. Then (-kill) it kills one replica with SIGKILL and prints how long
// until every bucket it held is held by the others, how long until each of
// its monitors has run again (the target counts every request), and how
// overdue they were: a monitor due while no replica held its bucket waits
// for the takeover, and its new owner runs it at once, spread over up to
// 5 s with the others so taken: overdue at most lease_ttl plus those 5 s
// (the failure table of docs/high-availability.md); a monitor overdue
// longer fails the run.
//
//	go run ./bench/replicas -monitors 20000 -interval 30s
//	go run ./bench/replicas -monitors 100000 -interval 60s -split 4
//	go run ./bench/replicas -monitors 20000 -interval 30s -kill=false -profile /tmp/prof
//	go run ./bench/replicas -monitors 20000 -interval 30s -kill=false -rounds 3
//
// -profile writes each replica's CPU profile of each measured window
// (1-r0.cpu.pprof alone, 2-r0 and 2-r1 together), to compare with
// `go tool pprof -top -diff_base`.
//
// One 60 s window of a 2-core machine varies by a tenth or more from one
// run to the next (the other services of the machine, PostgreSQL's
// checkpoints): -rounds N measures one replica and then all of them N
// times in turn and prints the median of the ratios.
//
// pg_stat_statements would say the time of the statements, not the CPU,
// and needs the server started with it: the /proc figures need nothing.
// The WAL position is the server's: other databases on the same server
// write to it too, and the run prints the CPU of the server's other
// processes to show how busy it was.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tocsin/tocsin/bench/internal/benchkit"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/replica"
)

// benchDatabase is the PostgreSQL database the run creates and drops, so
// that it never touches the one given; -database names another, for two
// runs at once.
var benchDatabase = "tocsin_bench_replicas"

// monitorsPerFile is how many monitors -split 0 puts in one included
// file, well under the loader's limit.
const monitorsPerFile = 40_000

type options struct {
	replicas  int
	monitors  int
	interval  time.Duration
	duration  time.Duration
	ttl       time.Duration
	logLevel  string
	dir       string
	storeDSN  string
	startWait time.Duration
	// profile is the directory each replica's CPU profile of each
	// measured window is written to; empty for none.
	profile string
	// round is the round being measured with -rounds, 0 with one.
	round int
}

func main() {
	benchkit.RunChild()
	os.Exit(run())
}

// run measures and returns the exit code: 1 when a target of the takeover
// was missed. The replicas are stopped and the database dropped however
// it returns; a replica also ends when this process does (Pdeathsig).
func run() int {
	var o options
	flag.IntVar(&o.replicas, "replicas", 2, "number of replicas")
	flag.IntVar(&o.monitors, "monitors", 20000, "number of HTTP monitors")
	flag.DurationVar(&o.interval, "interval", 30*time.Second, "monitor interval")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "steady-state measuring time of each phase")
	flag.DurationVar(&o.ttl, "lease-ttl", 15*time.Second, "server.lease_ttl")
	flag.StringVar(&o.logLevel, "log-level", "warn", "the replicas' log level")
	flag.DurationVar(&o.startWait, "start-timeout", 5*time.Minute, "how long a replica may take to serve /healthz")
	dsn := flag.String("dsn", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL server to create the bench database on")
	split := flag.Int("split", 0, fmt.Sprintf("write the monitors to this many included files (0: one per %d monitors)", monitorsPerFile))
	single := flag.Bool("single", true, "first measure one replica alone running the same monitors")
	kill := flag.Bool("kill", true, "at the end, kill one replica with SIGKILL and measure the takeover")
	rounds := flag.Int("rounds", 1, "measure one replica and then all of them this many times, and print the median of the ratios of CPU per check (one 60 s window on a 2-core machine varies by a tenth or more)")
	flag.StringVar(&benchDatabase, "database", benchDatabase, "the database to create, use and drop on the server of -dsn")
	keep := flag.Bool("keep", false, "keep the configuration and the replicas' logs, and say where")
	flag.StringVar(&o.profile, "profile", "", "write each replica's CPU profile of each measured window into this directory (1-r0.cpu.pprof, 2-r0.cpu.pprof, ...)")
	flag.Parse()
	if o.replicas < 2 {
		log.Fatal("-replicas must be at least 2")
	}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	if *split <= 0 {
		*split = (o.monitors + monitorsPerFile - 1) / monitorsPerFile
	}

	hits := newHits(o.monitors)
	target := benchkit.Serve(hits)
	var err error
	if o.dir, err = os.MkdirTemp("", "tocsin-replicas-"); err != nil {
		log.Fatal(err)
	}
	if *keep {
		defer fmt.Println("configuration and logs kept in", o.dir)
	} else {
		defer os.RemoveAll(o.dir)
	}
	o.storeDSN = benchkit.CreateDatabase(*dsn, benchDatabase)
	defer benchkit.DropDatabase(*dsn, benchDatabase)
	if err := writeMonitors(o.dir, o.monitors, o.interval, target, *split); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, *dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer admin.Close(ctx)
	pg := &pgMeter{conn: admin, db: benchDatabase, dsn: o.storeDSN}

	fmt.Printf("monitors %d at %s in %d file(s), lease_ttl %s, PostgreSQL database %s, %d CPUs, load average %s\n",
		o.monitors, o.interval, *split, o.ttl, benchDatabase, numCPU(), benchkit.LoadAverage())

	var ratios []float64
	var rs []*rep
	for round := 1; round <= *rounds; round++ {
		if *rounds > 1 {
			fmt.Printf("== round %d of %d\n", round, *rounds)
			o.round = round
		}
		var alone *figures
		if *single {
			rs := startReplicas(o, 1)
			waitBalanced(ctx, o, rs)
			settle(o, hits)
			alone = measure(o, rs, pg, hits)
			alone.print("1 replica")
			stopReplicas(rs)
		}

		rs = startReplicas(o, o.replicas)
		settled := waitBalanced(ctx, o, rs)
		fmt.Printf("balanced         every replica held its share of the 1024 buckets %s after the last one served /healthz\n", settled.Round(100*time.Millisecond))
		settle(o, hits)
		many := measure(o, rs, pg, hits)
		many.print(fmt.Sprintf("%d replicas", o.replicas))
		printShares(o, rs, many)
		if alone != nil {
			ratio := many.cpuPerCheck() / alone.cpuPerCheck()
			ratios = append(ratios, ratio)
			fmt.Printf("CPU per check    %d replicas %.3f ms against 1 replica %.3f ms: %.2fx, %s one replica (target: no worse)\n",
				o.replicas, many.cpuPerCheck()*1000, alone.cpuPerCheck()*1000, ratio, verdict(ratio))
		}
		if round < *rounds {
			stopReplicas(rs)
		}
	}
	defer stopReplicas(rs)
	if len(ratios) > 1 {
		med := benchkit.Median(ratios)
		fmt.Printf("CPU per check    %d rounds: %d replicas against 1 replica from %.2fx to %.2fx, median %.2fx, %s one replica (target: no worse)\n",
			len(ratios), o.replicas, slices.Min(ratios), slices.Max(ratios), med, verdict(med))
	}
	if *kill && !takeover(ctx, o, rs, hits) {
		return 1
	}
	return 0
}

// verdict says how a ratio of CPU per check compares with the target;
// a twentieth is within what one 60 s window measures on an idle machine.
func verdict(ratio float64) string {
	if ratio > 1.05 {
		return "WORSE than"
	}
	return "no worse than"
}

func numCPU() int {
	data, _ := os.ReadFile("/proc/cpuinfo")
	return max(strings.Count(string(data), "processor\t:"), 1)
}

// rep is one replica: a child process serving its own main file.
type rep struct {
	id   string
	base string
	// pprof is the address of its CPU profile, with -profile.
	pprof string
	cmd   *exec.Cmd
	pid   int
	done  chan struct{}
}

// startReplicas starts n replicas, r0 to r(n-1), and waits until each
// serves /healthz.
func startReplicas(o options, n int) []*rep {
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	started := time.Now()
	var rs []*rep
	for i := range n {
		r := &rep{id: fmt.Sprintf("r%d", i), done: make(chan struct{})}
		port := benchkit.FreePort()
		r.base = fmt.Sprintf("http://127.0.0.1:%d", port)
		path := filepath.Join(o.dir, r.id+".yaml")
		main := fmt.Sprintf("server:\n  listen: 127.0.0.1:%d\n  replica_id: %s\n  lease_ttl: %s\n  concurrency: 256\n  per_host_concurrency: 64\nstorage:\n  driver: postgres\n  dsn: %q\ninclude: [\"monitors-*.yaml\"]\n",
			port, r.id, o.ttl, o.storeDSN)
		if err := os.WriteFile(path, []byte(main), 0o600); err != nil {
			log.Fatal(err)
		}
		logf, err := os.OpenFile(filepath.Join(o.dir, r.id+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			log.Fatal(err)
		}
		r.cmd = exec.Command(self)
		r.cmd.Env = append(os.Environ(), benchkit.ServeEnv+"="+path, benchkit.LogLevelEnv+"="+o.logLevel)
		if o.profile != "" {
			r.pprof = fmt.Sprintf("127.0.0.1:%d", benchkit.FreePort())
			r.cmd.Env = append(r.cmd.Env, benchkit.PprofEnv+"="+r.pprof)
		}
		r.cmd.Stdout, r.cmd.Stderr = logf, logf
		r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := r.cmd.Start(); err != nil {
			log.Fatal(err)
		}
		r.pid = r.cmd.Process.Pid
		go func() { _ = r.cmd.Wait(); logf.Close(); close(r.done) }()
		rs = append(rs, r)
	}
	for _, r := range rs {
		benchkit.WaitHealthy(r.base, o.startWait)
	}
	fmt.Printf("start-up         %d replica(s) serving /healthz %s after exec, load average %s\n", n, time.Since(started).Round(100*time.Millisecond), benchkit.LoadAverage())
	return rs
}

// stopReplicas stops the replicas still running with SIGTERM, a clean
// stop that hands their buckets over, and waits for them.
func stopReplicas(rs []*rep) {
	for _, r := range rs {
		select {
		case <-r.done:
		default:
			_ = r.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, r := range rs {
		select {
		case <-r.done:
		case <-time.After(time.Minute):
			_ = r.cmd.Process.Kill()
			<-r.done
		}
	}
}

// leases counts the buckets whose lease has not ended, by owner.
func leases(ctx context.Context, db *pgx.Conn) map[string]int {
	rows, err := db.Query(ctx, "SELECT owner, count(*) FROM bucket_leases WHERE owner <> '' AND lease_until > $1 GROUP BY owner", time.Now().UnixMilli())
	if err != nil {
		log.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var owner string
		var n int
		if err := rows.Scan(&owner, &n); err != nil {
			log.Fatal(err)
		}
		out[owner] = n
	}
	if err := rows.Err(); err != nil {
		log.Fatal(err)
	}
	return out
}

// waitBalanced waits until each replica holds its fair share of the
// buckets and they hold all of them, and returns how long that took.
func waitBalanced(ctx context.Context, o options, rs []*rep) time.Duration {
	db, err := pgx.Connect(ctx, o.storeDSN)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close(ctx)
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.id
	}
	start := time.Now()
	for {
		held := leases(ctx, db)
		ok := true
		for _, id := range ids {
			if held[id] != replica.Target(id, ids, replica.DefaultBuckets) {
				ok = false
			}
		}
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > 4*o.ttl {
			log.Fatalf("the replicas did not settle on even shares within %s: %v", 4*o.ttl, held)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// settle waits for every monitor's first run under the replicas, then
// until the target is asked the expected checks/s (within 5% over 10 s):
// a replica that started late on a busy machine catches up first, and the
// window would count its backlog.
func settle(o options, hits *hits) {
	time.Sleep(o.interval + 2*time.Second)
	want := float64(o.monitors) / o.interval.Seconds()
	start := time.Now()
	for time.Since(start) < 2*o.interval {
		c0, t0 := hits.count(), time.Now()
		time.Sleep(10 * time.Second)
		rate := float64(hits.count()-c0) / time.Since(t0).Seconds()
		if abs(rate-want) <= 0.05*want {
			return
		}
		fmt.Printf("settling         %.0f checks/s against %.0f/s expected; waiting\n", rate, want)
	}
}

// figures are what one measuring window saw.
type figures struct {
	replicas  []*rep
	elapsed   float64
	checks    []float64 // by replica
	cpu       []float64 // by replica, seconds
	rss       []int64   // by replica, at the end
	shares    map[string]float64
	pgCPU     float64 // the bench database's backends
	serverCPU float64 // every process of the PostgreSQL server
	wal       int64   // the server's
	walOurs   int64   // the bench database's
	walErr    error
	load      string
	requests  int64    // the target's
	late      []string // by replica, p99 lateness
	skipped   float64
}

// totalChecks is the requests the target answered: the checks run.
func (f *figures) totalChecks() float64 { return float64(f.requests) }
func (f *figures) cpuPerCheck() float64 { return sum(f.cpu) / max(f.totalChecks(), 1) }

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

// measure reads the replicas' checks and CPU, PostgreSQL's CPU and the WAL
// position over one window of o.duration.
func measure(o options, rs []*rep, pg *pgMeter, hits *hits) *figures {
	f := &figures{replicas: rs, checks: make([]float64, len(rs)), cpu: make([]float64, len(rs)), rss: make([]int64, len(rs)), late: make([]string, len(rs))}
	m0 := make([]benchkit.Metrics, len(rs))
	for i, r := range rs {
		m0[i] = scrape(r.base)
		f.cpu[i] = -benchkit.CPUSeconds(r.pid)
	}
	var profiles sync.WaitGroup
	if o.profile != "" {
		for _, r := range rs {
			name := fmt.Sprintf("%d-%s.cpu.pprof", len(rs), r.id)
			if o.round > 0 {
				name = fmt.Sprintf("round%d-%s", o.round, name)
			}
			path := filepath.Join(o.profile, name)
			profiles.Go(func() { benchkit.FetchCPUProfile(r.pprof, o.duration, path) })
		}
	}
	defer profiles.Wait()
	pg.start()
	wal0, lsn0 := pg.walPosition()
	req0 := hits.count()
	t0 := time.Now()
	// The bench database's WAL is read every 10 s: a checkpoint may
	// remove a segment before the end of a longer window.
	walUpTo := func() {
		_, lsn := pg.walPosition()
		n, err := pg.walOf(lsn0, lsn)
		f.walOurs += n
		f.walErr = cmp.Or(f.walErr, err)
		lsn0 = lsn
	}
	for i := 1; time.Since(t0) < o.duration; i++ {
		time.Sleep(2 * time.Second)
		pg.poll()
		if i%5 == 0 {
			walUpTo()
		}
	}
	f.pgCPU, f.serverCPU = pg.poll()
	walUpTo()
	wal1, _ := pg.walPosition()
	f.wal = wal1 - wal0
	f.elapsed = time.Since(t0).Seconds()
	f.requests = hits.count() - req0
	for i, r := range rs {
		f.cpu[i] += benchkit.CPUSeconds(r.pid)
		m1 := scrape(r.base)
		f.checks[i] = m1.Sum("tocsin_checks_total") - m0[i].Sum("tocsin_checks_total")
		f.skipped += m1.Sum("tocsin_scheduler_skipped_total") - m0[i].Sum("tocsin_scheduler_skipped_total")
		f.late[i] = benchkit.QuantileDelta(m0[i], m1, "tocsin_scheduler_lateness_seconds", 0.99)
		f.rss[i] = benchkit.ProcStatus(r.pid, "VmRSS")
		if i == 0 {
			f.shares = map[string]float64{}
			for _, s := range rs {
				f.shares[s.id] = m1[`tocsin_replica_monitors{replica="`+s.id+`"}`]
			}
		}
	}
	f.load = benchkit.LoadAverage()
	return f
}

func (f *figures) print(title string) {
	checks := f.totalChecks()
	fmt.Printf("-- %s, %.0f s measured, load average %s at the end\n", title, f.elapsed, f.load)
	fmt.Printf("checks           %.0f/s in total (tocsin_checks_total)", sum(f.checks)/f.elapsed)
	if len(f.replicas) > 1 {
		for i, r := range f.replicas {
			fmt.Printf(", %s %.0f/s", r.id, f.checks[i]/f.elapsed)
		}
	}
	fmt.Printf("; the target answered %.0f requests/s; %.0f runs skipped; lateness p99 ≤ %s\n", float64(f.requests)/f.elapsed, f.skipped, strings.Join(f.late, ", "))
	fmt.Printf("CPU              %.2f cores in total, %.3f ms per check", sum(f.cpu)/f.elapsed, f.cpuPerCheck()*1000)
	if len(f.replicas) > 1 {
		for i, r := range f.replicas {
			fmt.Printf("; %s %.2f cores", r.id, f.cpu[i]/f.elapsed)
		}
	}
	fmt.Println()
	fmt.Print("RSS             ")
	for i, r := range f.replicas {
		fmt.Printf(" %s %.0f MiB", r.id, benchkit.MiB(f.rss[i]))
	}
	fmt.Println()
	fmt.Printf("PostgreSQL CPU   backends of %s %.2f cores, %.3f ms per check; the whole server %.2f cores (other databases' work included)\n",
		benchDatabase, f.pgCPU/f.elapsed, f.pgCPU/max(checks, 1)*1000, f.serverCPU/f.elapsed)
	if f.walErr == nil {
		fmt.Printf("WAL              %s: %.2f MiB/s, %.0f bytes per check (pg_walinspect: its records and their transactions' commits); the server's %.2f MiB/s\n",
			benchDatabase, benchkit.MiB(f.walOurs)/f.elapsed, float64(f.walOurs)/max(checks, 1), benchkit.MiB(f.wal)/f.elapsed)
	} else {
		fmt.Printf("WAL              the server's %.2f MiB/s, %.0f bytes per check (pg_current_wal_flush_lsn; other databases' included: %v)\n",
			benchkit.MiB(f.wal)/f.elapsed, float64(f.wal)/max(checks, 1), f.walErr)
	}
}

// printShares prints each replica's share of the monitors, as the
// registry holds it and by the checks it ran, against an even share.
func printShares(o options, rs []*rep, f *figures) {
	even := float64(o.monitors) / float64(len(rs))
	var worst, worstChecks float64
	fmt.Print("shares          ")
	for i, r := range rs {
		share := f.shares[r.id]
		checkShare := f.checks[i] / max(sum(f.checks), 1) * float64(o.monitors)
		worst = max(worst, abs(share-even)/even)
		worstChecks = max(worstChecks, abs(checkShare-even)/even)
		fmt.Printf(" %s %.0f monitors (%.0f by its checks)", r.id, share, checkShare)
	}
	verdict := "within"
	if worst > 0.10 {
		verdict = "OUTSIDE"
	}
	fmt.Printf("\nspread           %.1f%% from an even %.0f at most (%.1f%% by checks), %s the target ±10%%\n", worst*100, even, worstChecks*100, verdict)
}

func abs(x float64) float64 { return max(x, -x) }

// takeover kills the last replica with SIGKILL and reports how long until
// its buckets are held by the others and its monitors run again, and how
// overdue they were. It returns false when a monitor was overdue longer
// than lease_ttl plus the 5 s its new owner spreads the overdue over, or
// the buckets did not move.
func takeover(ctx context.Context, o options, rs []*rep, hits *hits) bool {
	db, err := pgx.Connect(ctx, o.storeDSN)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close(ctx)
	victim := rs[len(rs)-1]
	var buckets []int32
	if err := db.QueryRow(ctx, "SELECT coalesce(array_agg(bucket), '{}') FROM bucket_leases WHERE owner = $1", victim.id).Scan(&buckets); err != nil {
		log.Fatal(err)
	}
	held := map[int]bool{}
	for _, b := range buckets {
		held[int(b)] = true
	}
	var theirs []int
	for i := range o.monitors {
		if held[replica.BucketOf(monitorID(i), replica.DefaultBuckets)] {
			theirs = append(theirs, i)
		}
	}
	cpu0 := make([]float64, len(rs))
	for i, r := range rs {
		cpu0[i] = benchkit.CPUSeconds(r.pid)
	}
	killed := time.Now()
	hits.watchFrom(killed)
	_ = victim.cmd.Process.Kill()
	<-victim.done
	var seen int64
	if err := db.QueryRow(ctx, "SELECT seen_at FROM replicas WHERE id = $1", victim.id).Scan(&seen); err != nil {
		log.Fatal(err)
	}
	lastBeat := killed.Sub(time.UnixMilli(seen))
	fmt.Printf("-- kill -9 %s, which held %d buckets and %d monitors; its last heartbeat %s before, load average %s\n",
		victim.id, len(buckets), len(theirs), lastBeat.Round(time.Millisecond), benchkit.LoadAverage())

	moved := time.Duration(-1)
	limit := o.ttl + 2*o.interval + 10*time.Second
	for time.Since(killed) < limit {
		time.Sleep(100 * time.Millisecond)
		if moved < 0 {
			others := 0
			for id, n := range leases(ctx, db) {
				if id != victim.id {
					others += n
				}
			}
			if others == replica.DefaultBuckets {
				moved = time.Since(killed)
			}
		}
		if moved >= 0 && hits.ranAgain(theirs) == len(theirs) && time.Since(killed) > o.ttl+2*o.interval {
			break
		}
	}
	ok := true
	if moved < 0 {
		fmt.Printf("leases           NOT all held by the others %s after the kill\n", limit)
		ok = false
	} else {
		verdict := "within"
		if moved > o.ttl {
			verdict = "LATER than"
		}
		fmt.Printf("leases           all 1024 held by the others %s after the kill (%s after its last renewal), %s lease_ttl %s (checked every 100 ms)\n",
			moved.Round(100*time.Millisecond), (moved + lastBeat).Round(100*time.Millisecond), verdict, o.ttl)
	}
	again := hits.firstRuns(theirs)
	if len(again) < len(theirs) {
		fmt.Printf("its monitors     %d of %d NOT run again within %s of the kill\n", len(theirs)-len(again), len(theirs), limit)
		ok = false
	} else if len(again) > 0 {
		fmt.Printf("its monitors     run again by the others: the first %s after the kill, half by %s, all by %s\n",
			again[0].Round(100*time.Millisecond), again[len(again)/2].Round(100*time.Millisecond), again[len(again)-1].Round(100*time.Millisecond))
	}
	// A monitor is overdue from one interval after its last run; it may
	// be so for its share's takeover (lease_ttl), and then its new owner
	// runs it within the 5 s it spreads the overdue monitors over.
	allowed := o.ttl + takeoverSpread
	skipped, late, worst := hits.gaps(o.interval+o.interval/2, o.interval+allowed)
	verdict := "within"
	if late > 0 {
		verdict = fmt.Sprintf("%d monitors LATER than", late)
		ok = false
	}
	fmt.Printf("overdue          %d monitors ran more than half an interval late; the longest overdue %s (%s between two runs), %s lease_ttl + 5 s = %s\n",
		skipped, (worst - o.interval).Round(100*time.Millisecond), worst.Round(100*time.Millisecond), verdict, allowed)
	el := time.Since(killed).Seconds()
	fmt.Print("survivors' CPU  ")
	for i, r := range rs[:len(rs)-1] {
		fmt.Printf(" %s %.2f cores", r.id, (benchkit.CPUSeconds(r.pid)-cpu0[i])/el)
	}
	fmt.Printf(" over the %.0f s after the kill, load average %s\n", el, benchkit.LoadAverage())
	return ok
}

// takeoverSpread is how long a replica taking over spreads the runs of
// the overdue monitors over, at most (internal/app).
const takeoverSpread = 5 * time.Second

func monitorID(i int) string { return fmt.Sprintf("m%06d", i) }

// hits is the target: it answers every monitor's request and keeps, by
// monitor, when it was last asked, and from a moment on (watchFrom) when
// each monitor was first asked again and the longest time between two
// requests.
type hits struct {
	n       atomic.Int64
	mu      sync.Mutex
	last    []time.Time
	from    time.Time
	first   []time.Time
	longest []time.Duration
}

func newHits(n int) *hits {
	return &hits{last: make([]time.Time, n), first: make([]time.Time, n), longest: make([]time.Duration, n)}
}

func (h *hits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	h.n.Add(1)
	if i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/m")); err == nil && i >= 0 && i < len(h.last) {
		h.mu.Lock()
		if !h.from.IsZero() {
			if h.first[i].IsZero() {
				h.first[i] = now
			}
			if !h.last[i].IsZero() {
				h.longest[i] = max(h.longest[i], now.Sub(h.last[i]))
			}
		}
		h.last[i] = now
		h.mu.Unlock()
	}
	io.WriteString(w, "ok")
}

// count is how many requests the target answered.
func (h *hits) count() int64 { return h.n.Load() }

func (h *hits) watchFrom(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.from = t
}

// ranAgain counts the monitors of ids asked again since watchFrom.
func (h *hits) ranAgain(ids []int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, i := range ids {
		if !h.first[i].IsZero() {
			n++
		}
	}
	return n
}

// firstRuns returns, sorted, how long after watchFrom each monitor of ids
// was asked again; those not asked are left out.
func (h *hits) firstRuns(ids []int) []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []time.Duration
	for _, i := range ids {
		if !h.first[i].IsZero() {
			out = append(out, h.first[i].Sub(h.from))
		}
	}
	slices.Sort(out)
	return out
}

// gaps counts the monitors whose longest time between two requests since
// watchFrom, or since their last request until now, is over missed and
// over allowed, and returns the longest of all.
func (h *hits) gaps(missed, allowed time.Duration) (skipped, over int, longest time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	for i := range h.last {
		g := max(h.longest[i], now.Sub(h.last[i]))
		longest = max(longest, g)
		if g > missed {
			skipped++
		}
		if g > allowed {
			over++
		}
	}
	return skipped, over, longest
}

// pgMeter reads the CPU time of PostgreSQL's processes from /proc: the
// backends of one database (pg_stat_activity, its autovacuum workers
// included) and every process of the server. A process that appears
// during the window counts from zero; one that ends counts up to the last
// poll that saw it.
type pgMeter struct {
	conn             *pgx.Conn
	db, dsn          string
	inspect          *pgx.Conn // the bench database's, for walOf
	base, last       map[int]float64
	srvBase, srvLast map[int]float64
}

func (p *pgMeter) start() {
	p.base, p.last, p.srvBase, p.srvLast = map[int]float64{}, map[int]float64{}, map[int]float64{}, map[int]float64{}
	p.read(true)
}

// poll reads the processes again and returns the CPU seconds since start
// of the database's backends and of the whole server.
func (p *pgMeter) poll() (backends, server float64) {
	p.read(false)
	for pid, c := range p.last {
		backends += c - p.base[pid]
	}
	for pid, c := range p.srvLast {
		server += c - p.srvBase[pid]
	}
	return backends, server
}

func (p *pgMeter) read(first bool) {
	var pids []int
	// The backend reading the WAL (walOf) is the bench's, not the
	// replicas'.
	rows, err := p.conn.Query(context.Background(), "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> $2", p.db, p.inspectPID())
	if err != nil {
		log.Fatal(err)
	}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err == nil {
			pids = append(pids, pid)
		}
	}
	rows.Close()
	track(pids, first, p.base, p.last)
	track(postgresProcesses(), first, p.srvBase, p.srvLast)
}

func track(pids []int, first bool, base, last map[int]float64) {
	for _, pid := range pids {
		c := benchkit.CPUSeconds(pid)
		if c == 0 {
			continue
		}
		if _, ok := base[pid]; !ok {
			if first {
				base[pid] = c
			} else {
				base[pid] = 0
			}
		}
		last[pid] = c
	}
}

// postgresProcesses lists the processes named postgres.
func postgresProcesses() []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			out = append(out, pid)
		}
	}
	return out
}

// walPosition returns the server's WAL position, in bytes and as text.
// It is the position flushed to disk, which pg_walinspect reads up to:
// the position written may be ahead of it, and a range starting there
// is refused as in the future.
func (p *pgMeter) walPosition() (int64, string) {
	var n int64
	var lsn string
	if err := p.conn.QueryRow(context.Background(), "SELECT pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0')::bigint, pg_current_wal_flush_lsn()::text").Scan(&n, &lsn); err != nil {
		log.Fatal(err)
	}
	return n, lsn
}

// walOf adds up the WAL the bench database wrote between two positions:
// the records of its relations and the commit records of their
// transactions, read with pg_walinspect (which it creates in the bench
// database). The server's position moves with every database's writes.
func (p *pgMeter) inspectPID() uint32 {
	if p.inspect == nil {
		return 0
	}
	return p.inspect.PgConn().PID()
}

func (p *pgMeter) walOf(from, to string) (int64, error) {
	if from == to {
		return 0, nil
	}
	ctx := context.Background()
	if p.inspect == nil {
		conn, err := pgx.Connect(ctx, p.dsn)
		if err != nil {
			return 0, err
		}
		if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_walinspect"); err != nil {
			conn.Close(ctx)
			return 0, err
		}
		p.inspect = conn
	}
	var n int64
	err := p.inspect.QueryRow(ctx, `WITH db AS (SELECT '%/' || oid || '/%' AS rel FROM pg_database WHERE datname = current_database()),
		r AS (SELECT xid, resource_manager, record_length, block_ref FROM pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)),
		ours AS (SELECT DISTINCT xid FROM r, db WHERE block_ref LIKE db.rel AND xid <> '0')
		SELECT coalesce(sum(record_length), 0)::bigint FROM r, db
		WHERE block_ref LIKE db.rel OR (resource_manager = 'Transaction' AND xid IN (SELECT xid FROM ours))`, from, to).Scan(&n)
	return n, err
}

func scrape(base string) benchkit.Metrics {
	m, err := benchkit.Scrape(base + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	return m
}

// writeMonitors writes the monitors to files monitors-NN.yaml, which each
// replica's main file includes.
func writeMonitors(dir string, n int, interval time.Duration, target string, files int) error {
	per := (n + files - 1) / files
	for k := range files {
		b := []byte("monitors:\n")
		for i := k * per; i < min((k+1)*per, n); i++ {
			b = fmt.Appendf(b, "  - {id: %s, type: http, interval: %s, http: {url: \"%s/m%06d\"}}\n", monitorID(i), interval, target, i)
		}
		if len(b) > config.MaxFileSize {
			return fmt.Errorf("monitors-%02d.yaml would be %.1f MiB, over the %d MiB limit: use a larger -split", k, benchkit.MiB(int64(len(b))), config.MaxFileSize>>20)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("monitors-%02d.yaml", k)), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
