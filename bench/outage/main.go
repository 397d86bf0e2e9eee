// Command outage measures paging in an outage: 10,000 monitors in 500
// services, 200 services failing at once (every monitor of each). It runs
// the engine (grouping) and the escalator on a real SQLite store, with a
// policy that pages one person per service, and reports how many pages
// and updates were queued (the goal: at most one page per service, plus
// updates), the time from the first failure to the first page and to the
// last, and the CPU spent.
//
//	go run ./bench/outage -services 500 -per 20 -failing 200
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

// oneEach pages the person "oncall-<service>" by webhook.
type oneEach struct{}

func (oneEach) Recipients(target string, _ time.Time) []catalog.Recipient {
	return []catalog.Recipient{{Target: target, Kind: "person", ID: target, Name: target, Contacts: []catalog.Contact{{Channel: "hook"}}}}
}

func (oneEach) PolicyFor(svc string) (config.EscalationPolicy, bool) {
	return config.EscalationPolicy{ID: "p", Steps: []config.EscalationStep{
		{Notify: []string{"person:oncall-" + svc}},
		{After: config.Duration(time.Hour), Notify: []string{"person:lead-" + svc}},
	}}, true
}

func main() {
	services := flag.Int("services", 500, "services")
	per := flag.Int("per", 20, "monitors per service")
	failing := flag.Int("failing", 200, "services that fail at once")
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

	cfg := &config.Config{}
	for s := range *services {
		svc := fmt.Sprintf("svc%03d", s)
		cfg.Services = append(cfg.Services, config.Service{ID: svc, Name: svc})
		for m := range *per {
			cfg.Monitors = append(cfg.Monitors, config.Monitor{ID: fmt.Sprintf("%s-m%02d", svc, m), Service: svc})
		}
	}
	quiet := slog.New(slog.DiscardHandler)
	var dirOf escalate.Directory = oneEach{}
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
	for s := range *failing {
		for m := range *per {
			eng.Submit(ctx, probe.Result{MonitorID: fmt.Sprintf("svc%03d-m%02d", s, m), Time: time.Now(), Status: probe.Critical, Reason: "outage"})
		}
	}
	var first, last time.Duration
	var pages, updates int
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		// Nothing sends here, so every queued notification is pending.
		n, err := st.OutboxDepth(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if n > 0 && first == 0 {
			first = time.Since(start)
		}
		if n >= *failing {
			last = time.Since(start)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Let late joins' updates and anything else come out.
	time.Sleep(2 * time.Second)
	pages, updates = count(ctx, st)
	cpu := benchkit.CPUSeconds(os.Getpid()) - cpu0
	stop()
	eng.Close()
	alerts, _ := st.Alerts(ctx, "active", store.Page{Limit: 1000})
	fmt.Printf("monitors %d in %d services; %d services (%d monitors) failed at once\n", len(cfg.Monitors), *services, *failing, *failing**per)
	fmt.Printf("active alerts %d, pages queued %d (goal <= %d), updates %d\n", len(alerts), pages, *failing, updates)
	fmt.Printf("first failure to first page %s, to the last page %s; CPU %.2fs\n", first.Round(time.Millisecond), last.Round(time.Millisecond), cpu)
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
			case notify.EventAlertOpened, notify.EventAlertEscalated:
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
