// Command outage measures paging in an outage: 10,000 monitors in 500
// services, 200 services failing at once (every monitor of each). It runs
// the engine (grouping) and the escalator on a real SQLite store, whom to
// page answered by the catalog built from the configuration: each service
// has its policy, paging its on-call person by webhook at once and its
// lead after an hour. It reports how many pages (alert.opened) and updates
// (alert.updated) were queued (the goal: at most one page per service,
// plus updates), the time from the first failure to the first page and to
// the last, the CPU the process spent from the failures until the queue
// settled, and its resident memory.
//
//	go run ./bench/outage -services 500 -per 20 -failing 200 -late 1
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/tocsin/tocsin/bench/internal/benchkit"
	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/escalate"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

func main() {
	services := flag.Int("services", 500, "services")
	per := flag.Int("per", 20, "monitors per service")
	failing := flag.Int("failing", 200, "services that fail at once")
	late := flag.Int("late", 1, "monitors of each failing service that fail only after every failing service was paged (they join as updates)")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the outage to this file")
	flag.Parse()

	dir, err := os.MkdirTemp("", "tocsin-outage-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, sqlstore.Options{DSN: filepath.Join(dir, "tocsin.db")})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	cfg := &config.Config{Channels: []config.Channel{{ID: "hook", Type: "webhook", Webhook: &config.WebhookConfig{URL: "http://127.0.0.1:9/"}}}}
	for s := range *services {
		svc := fmt.Sprintf("svc%03d", s)
		oncall, lead := "oncall-"+svc, "lead-"+svc
		for _, id := range []string{oncall, lead} {
			cfg.People = append(cfg.People, config.Person{ID: id, Name: id, Contacts: []config.ContactRule{{Channel: "hook"}}})
		}
		cfg.EscalationPolicies = append(cfg.EscalationPolicies, config.EscalationPolicy{ID: "p-" + svc, Steps: []config.EscalationStep{
			{Notify: []string{"person:" + oncall}},
			{After: config.Duration(time.Hour), Notify: []string{"person:" + lead}},
		}})
		cfg.Services = append(cfg.Services, config.Service{ID: svc, Name: svc, Owners: []string{oncall}, EscalationPolicy: "p-" + svc})
		for m := range *per {
			cfg.Monitors = append(cfg.Monitors, config.Monitor{ID: fmt.Sprintf("%s-m%02d", svc, m), Service: svc})
		}
	}
	quiet := slog.New(slog.DiscardHandler)
	cat := catalog.New(cfg)
	if _, ok := cat.PolicyFor("svc000"); !ok {
		log.Fatal("the catalog finds no policy for svc000")
	}
	var dirOf escalate.Directory = cat
	esc := escalate.New(escalate.Options{Store: st, Directory: func() escalate.Directory { return dirOf }, Config: func() *config.Config { return cfg },
		Owner: "bench", Logger: quiet, PollInterval: time.Second})
	eng := engine.New(engine.Options{Store: st, Logger: quiet, FlushInterval: 200 * time.Millisecond, Wake: esc.Wake, Policies: dirOf.PolicyFor}, nil)
	if err := eng.Apply(cfg, nil); err != nil {
		log.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	go eng.Run(runCtx)
	go func() { _ = esc.Run(runCtx) }()

	// Every monitor up first, so the outage is a change from up.
	now := time.Now()
	for _, m := range cfg.Monitors {
		eng.Submit(ctx, probe.Result{MonitorID: m.ID, Time: now, Status: probe.OK})
	}
	for eng.Backlog().Total() > 0 || len(eng.Views()) == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)

	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	cpu0 := benchkit.CPUSeconds(os.Getpid())
	start := time.Now()
	*late = min(max(*late, 0), *per-1)
	for s := range *failing {
		for m := range *per - *late {
			eng.Submit(ctx, probe.Result{MonitorID: fmt.Sprintf("svc%03d-m%02d", s, m), Time: time.Now(), Status: probe.Critical, Reason: "outage"})
		}
	}
	var first, last time.Duration
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		// Nothing sends here, so every queued page stays in the outbox.
		pages, _ := count(ctx, st)
		if pages > 0 && first == 0 {
			first = time.Since(start)
		}
		if pages >= *failing {
			last = time.Since(start)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if last == 0 {
		fmt.Println("not every failing service was paged within two minutes")
	}
	for s := range *failing {
		for m := *per - *late; m < *per; m++ {
			eng.Submit(ctx, probe.Result{MonitorID: fmt.Sprintf("svc%03d-m%02d", s, m), Time: time.Now(), Status: probe.Critical, Reason: "outage"})
		}
	}
	// Let late joins' updates and anything else come out: wait for the
	// outbox to stay the same for two seconds.
	settled := time.Now()
	prev, _ := st.OutboxDepth(ctx)
	for time.Since(settled) < 2*time.Second && time.Now().Before(deadline.Add(time.Minute)) {
		time.Sleep(200 * time.Millisecond)
		if n, _ := st.OutboxDepth(ctx); n != prev {
			prev, settled = n, time.Now()
		}
	}
	pages, updates := count(ctx, st)
	cpu := benchkit.CPUSeconds(os.Getpid()) - cpu0
	rss, peak := benchkit.ProcStatus(os.Getpid(), "VmRSS"), benchkit.ProcStatus(os.Getpid(), "VmHWM")
	stop()
	eng.Close()
	alerts, _ := st.Alerts(ctx, "active", store.Page{Limit: 1000})
	fmt.Printf("monitors %d in %d services; %d services (%d monitors) failed at once, %d monitors more after the pages\n", len(cfg.Monitors), *services, *failing, *failing*(*per-*late), *failing**late)
	fmt.Printf("active alerts %d, pages (alert.opened) %d (goal <= %d), updates (alert.updated) %d\n", len(alerts), pages, *failing, updates)
	fmt.Printf("first failure to first page %s, to the last page %s\n", first.Round(time.Millisecond), last.Round(time.Millisecond))
	fmt.Printf("CPU %.2fs from the failures until the outbox settled; RSS %d MB (peak %d MB)\n", cpu, rss>>20, peak>>20)
}

func count(ctx context.Context, st *sqlstore.DB) (pages, updates int) {
	var before int64
	for {
		ms, err := st.OutboxMessages(ctx, "", store.Page{Limit: 1000, Before: before})
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range ms {
			switch m.Event.Event {
			case notify.EventAlertOpened:
				pages++
			case notify.EventAlertUpdated:
				updates++
			}
		}
		if len(ms) < 1000 {
			return pages, updates
		}
		before = ms[len(ms)-1].Seq
	}
}
