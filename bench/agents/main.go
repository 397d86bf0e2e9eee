// Command agents measures a Tocsin server fed by many agents: it starts a
// server in this process (SQLite in a temp dir) with a config declaring N
// agents, each assigned P TCP monitors against a listener on loopback,
// runs the N agents, and reports the results ingested per second, the
// server's CPU per 1,000 results, the lag from a result's time to the
// moment it is in the store, and, with -processes, the agents' memory.
//
//	go run ./bench/agents -agents 50 -probes 200 -interval 30s -duration 90s
//	go run ./bench/agents -processes        # agents as `tocsin agent` processes
//	go run ./bench/agents -processes -slim  # agents as the slim tocsin-agent build
//
// By default the agents run in this process (the agent loop of
// internal/agent, each with its own buffer, client and probers); with
// -processes the tocsin binary is built once into the temp dir and run N
// times as `tocsin agent`.
//
// The CPU figure is this process's user+system time: in-process it covers
// the server, the agents, the TCP target and the lag sampler; with
// -processes it covers the server, the target and the sampler, and the
// agents' own CPU is reported apart.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/tocsin/tocsin/bench/internal/benchkit"
	"github.com/tocsin/tocsin/internal/agent"
	"github.com/tocsin/tocsin/internal/app"
	"github.com/tocsin/tocsin/internal/probe/httpx"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
)

func main() {
	agents := flag.Int("agents", 50, "number of agents")
	probes := flag.Int("probes", 200, "TCP monitors per agent")
	interval := flag.Duration("interval", 30*time.Second, "monitor interval")
	duration := flag.Duration("duration", 90*time.Second, "measuring time after every monitor has a stored result")
	processes := flag.Bool("processes", false, "run the agents as `tocsin agent` processes instead of in this process")
	sample := flag.Int("sample", 50, "monitors whose results are timed from probe to store")
	slim := flag.Bool("slim", false, "with -processes, run the slim tocsin-agent build instead of `tocsin agent`")
	flag.Parse()
	if *agents < 1 || *probes < 1 || *interval < time.Second || *duration <= 0 || *sample < 1 {
		log.Fatal("-agents and -probes must be 1 or more, -interval at least 1s, -duration and -sample positive")
	}

	dir, err := os.MkdirTemp("", "tocsin-agents-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The target: accepts and closes, in this process.
	tln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for {
			c, err := tln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	tokens := make([]string, *agents)
	var b strings.Builder
	fmt.Fprintf(&b, "server:\n  listen: 127.0.0.1:0\nstorage:\n  driver: sqlite\n  dsn: %s\nagents:\n", filepath.Join(dir, "tocsin.db"))
	for i := range tokens {
		tokens[i] = agent.NewToken()
		tf := filepath.Join(dir, fmt.Sprintf("a%03d.token", i))
		if err := os.WriteFile(tf, []byte(tokens[i]), 0o600); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(&b, "  - id: a%03d\n    token_file: %s\n", i, tf)
	}
	b.WriteString("monitors:\n")
	var ids []string
	for i := range *agents {
		for j := range *probes {
			id := fmt.Sprintf("a%03d-m%04d", i, j)
			ids = append(ids, id)
			fmt.Fprintf(&b, "  - id: %s\n    type: tcp\n    agent: a%03d\n    interval: %s\n    timeout: 5s\n    tcp: {address: %q}\n", id, i, *interval, tln.Addr().String())
		}
	}
	cfgPath := filepath.Join(dir, "tocsin.yaml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	a, err := app.New(ctx, app.Options{ConfigPath: cfgPath, Listener: ln, Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan struct{})
	go func() { defer close(served); _ = a.Run(ctx) }()
	st := a.Store()
	base := "http://" + ln.Addr().String()

	var children []*exec.Cmd
	var agentsDone sync.WaitGroup
	agentCtx, stopAgents := context.WithCancel(ctx)
	if *processes {
		name, pkg, sub := "tocsin", "github.com/tocsin/tocsin/cmd/tocsin", []string{"agent"}
		if *slim {
			name, pkg, sub = "tocsin-agent", "github.com/tocsin/tocsin/cmd/tocsin-agent", nil
		}
		bin := filepath.Join(dir, name)
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			log.Fatalf("building %s: %v", name, err)
		}
		for i, tok := range tokens {
			cmd := exec.Command(bin, append(sub, "--server", base, "--buffer", filepath.Join(dir, fmt.Sprintf("buf%03d", i)))...)
			cmd.Env = append(os.Environ(), "TOCSIN_AGENT_TOKEN="+tok)
			out, err := os.Create(filepath.Join(dir, fmt.Sprintf("a%03d.log", i)))
			if err != nil {
				log.Fatal(err)
			}
			cmd.Stdout, cmd.Stderr = out, out
			if err := cmd.Start(); err != nil {
				log.Fatal(err)
			}
			children = append(children, cmd)
		}
	} else {
		for i, tok := range tokens {
			buf, err := agent.OpenBuffer(filepath.Join(dir, fmt.Sprintf("buf%03d", i)), agent.DefaultBufferMax, logger)
			if err != nil {
				log.Fatal(err)
			}
			agentsDone.Go(func() {
				defer buf.Close()
				err := agent.Run(agentCtx, agent.Options{
					Server: base, Token: tok, Buffer: buf, Logger: logger,
					Kinds:  probekinds.All(probekinds.Deps{Transports: httpx.NewTransports()}),
					Client: &http.Client{Timeout: 30 * time.Second},
				})
				if err != nil {
					log.Printf("agent a%03d: %v", i, err)
				}
			})
		}
	}
	stop := func() {
		stopAgents()
		for _, c := range children {
			_ = c.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range children {
			_ = c.Wait()
		}
		agentsDone.Wait()
		cancel()
		<-served
	}

	// Warm-up: every monitor has a result in the store.
	started := time.Now()
	for {
		states, err := st.MonitorStates(ctx)
		if err != nil {
			log.Fatal(err)
		}
		n := 0
		for _, id := range ids {
			if !states[id].LastResultAt.IsZero() {
				n++
			}
		}
		if n == len(ids) {
			break
		}
		if time.Since(started) > *interval+time.Minute {
			stop()
			log.Fatalf("after %s only %d of %d monitors have a stored result", time.Since(started).Round(time.Second), n, len(ids))
		}
		time.Sleep(time.Second)
	}
	warm := time.Since(started)

	epoch := started.Add(-time.Minute)
	count := func() int64 {
		all, err := st.UptimeAll(ctx, epoch)
		if err != nil {
			log.Fatal(err)
		}
		var n int64
		for _, id := range ids {
			n += int64(all[id].Total)
		}
		return n
	}
	pid := os.Getpid()
	agentCPU := func() float64 {
		var s float64
		for _, c := range children {
			s += benchkit.CPUSeconds(c.Process.Pid)
		}
		return s
	}
	lagCtx, stopLag := context.WithCancel(ctx)
	lags := make(chan time.Duration, 1<<16)
	var samplers sync.WaitGroup
	step := max(1, len(ids) / *sample)
	for i := 0; i < len(ids); i += step {
		samplers.Go(func() { timeLag(lagCtx, st, ids[i], *interval, lags) })
	}

	n0, cpu0, acpu0, t0 := count(), benchkit.CPUSeconds(pid), agentCPU(), time.Now()
	time.Sleep(*duration)
	n1, cpu1, acpu1, t1 := count(), benchkit.CPUSeconds(pid), agentCPU(), time.Now()
	stopLag()
	samplers.Wait()
	close(lags)

	var rss, hwm, anon []int64
	for _, c := range children {
		rss = append(rss, benchkit.ProcStatus(c.Process.Pid, "VmRSS"))
		hwm = append(hwm, benchkit.ProcStatus(c.Process.Pid, "VmHWM"))
		anon = append(anon, benchkit.ProcStatus(c.Process.Pid, "RssAnon"))
	}
	stop()

	var all []time.Duration
	for l := range lags {
		all = append(all, l)
	}
	slices.Sort(all)
	el := t1.Sub(t0).Seconds()
	results := n1 - n0
	mode := "in-process agents"
	if *processes {
		mode = "agent processes"
		if *slim {
			mode = "slim agent processes (tocsin-agent)"
		}
	}
	fmt.Printf("%d %s × %d TCP monitors every %s (expected %.0f results/s), SQLite, GOMAXPROCS %s\n",
		*agents, mode, *probes, *interval, float64(len(ids))/interval.Seconds(), orDefault(os.Getenv("GOMAXPROCS"), "all"))
	fmt.Printf("warm-up           %s until every monitor had a stored result\n", warm.Round(time.Millisecond))
	fmt.Printf("ingested          %d results in %.1fs, %.1f results/s\n", results, el, float64(results)/el)
	what := "server + agents + target + sampler"
	if *processes {
		what = "server + target + sampler"
	}
	fmt.Printf("CPU (%s)  %.3f s per 1,000 results, %.2f cores\n", what, (cpu1-cpu0)/float64(max(results, 1))*1000, (cpu1-cpu0)/el)
	if *processes {
		fmt.Printf("CPU (agent processes, all)  %.3f s per 1,000 results, %.2f cores\n", (acpu1-acpu0)/float64(max(results, 1))*1000, (acpu1-acpu0)/el)
	}
	if len(all) > 0 {
		fmt.Printf("lag result→store  p50 %s  p99 %s  max %s  (%d results of %d monitors)\n",
			pct(all, .50), pct(all, .99), pct(all, 1), len(all), (len(ids)+step-1)/step)
	} else {
		fmt.Println("lag result→store  no sample (the duration is shorter than an interval?)")
	}
	if len(rss) > 0 {
		fmt.Printf("agent VmRSS       max %s  median %s\n", mib(slices.Max(rss)), mib(benchkit.Median(rss)))
		fmt.Printf("agent VmHWM       max %s  median %s  (target under 30 MiB for 200 probes)\n", mib(slices.Max(hwm)), mib(benchkit.Median(hwm)))
		fmt.Printf("agent RssAnon     max %s  median %s  (VmRSS less the mapped binary and files)\n", mib(slices.Max(anon)), mib(benchkit.Median(anon)))
	}
	if results == 0 {
		os.Exit(1)
	}
}

// timeLag times each new result of one monitor from its probe time to the
// moment it can be read from the store. It sleeps until the next result is
// due (one interval after the last) and then polls every 20ms, so the
// polling costs little and adds at most 20ms.
func timeLag(ctx context.Context, st store.Store, id string, interval time.Duration, out chan<- time.Duration) {
	newest := func() time.Time {
		rs, err := st.Results(ctx, id, store.Page{Limit: 1})
		if err != nil || len(rs) == 0 {
			return time.Time{}
		}
		return rs[0].Time
	}
	last := newest()
	for {
		wait := time.Until(last.Add(interval))
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(wait, 0)):
		}
		for {
			t := newest()
			if t.After(last) {
				if !last.IsZero() {
					out <- time.Since(t)
				}
				last = t
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

func pct(s []time.Duration, p float64) string {
	d := s[min(len(s)-1, int(float64(len(s))*p))]
	return d.Round(time.Millisecond).String()
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
