// Command statuspage measures a public status page under load: it seeds a
// SQLite store with 90 days of hourly rollups for the monitors of 50
// components, serves the page with the real web server, and reports the
// first (uncached) answer, requests per second and the latency
// percentiles of GET /status/{slug} from concurrent clients.
//
//	go run ./bench/statuspage -components 50 -clients 8 -duration 10s
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/tocsin/tocsin/bench/internal/benchkit"
	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/web"
)

// runtime is the live state the server reads: a fixed config and monitors.
type runtime struct {
	cfg   *config.Config
	cat   *catalog.Catalog
	views map[string]web.MonitorView
}

func (r *runtime) Config() *config.Config         { return r.cfg }
func (r *runtime) Catalog() *catalog.Catalog      { return r.cat }
func (r *runtime) ConfigStatus() web.ConfigStatus { return web.ConfigStatus{} }
func (r *runtime) Health() web.Health             { return web.Health{MaxLag: 30 * time.Second} }

// MonitorPage is refused: the harness measures status pages only.
func (r *runtime) MonitorPage(web.MonitorQuery) (web.MonitorPage, error) {
	return web.MonitorPage{}, errs.Errorf(errs.ENOTFOUND, "this harness serves status pages only")
}

func (r *runtime) Monitor(id string) (web.MonitorView, bool)     { v, ok := r.views[id]; return v, ok }
func (r *runtime) SetPaused(context.Context, string, bool) error { return nil }

func main() {
	components := flag.Int("components", 50, "components on the page (one service each)")
	perService := flag.Int("monitors", 2, "monitors per service")
	days := flag.Int("days", 90, "days of hourly rollups")
	clients := flag.Int("clients", 8, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "measuring time")
	flag.Parse()

	dir, err := os.MkdirTemp("", "tocsin-statuspage-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	now := time.Now().UTC()
	st, err := sqlstore.Open(ctx, sqlstore.Options{Driver: "sqlite", DSN: filepath.Join(dir, "t.db")})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()

	cfg := &config.Config{Server: config.Server{BaseURL: "http://127.0.0.1"}}
	rt := &runtime{views: map[string]web.MonitorView{}}
	page := config.StatusPage{ID: "public", Slug: "public", Title: "Bench status"}
	for i := range *components {
		sid := fmt.Sprintf("svc%02d", i)
		cfg.Services = append(cfg.Services, config.Service{ID: sid, Name: fmt.Sprintf("Service %d", i)})
		page.Components = append(page.Components, config.StatusComponent{Service: sid})
		for j := range *perService {
			m := config.Monitor{ID: fmt.Sprintf("%s-m%d", sid, j), Service: sid, Type: "http"}
			cfg.Monitors = append(cfg.Monitors, m)
			status := monitor.StatusUp
			if i%10 == 3 && j == 0 {
				status = monitor.StatusDown
			}
			rt.views[m.ID] = web.MonitorView{Config: m, State: monitor.State{Status: status}}
		}
	}
	cfg.StatusPages = []config.StatusPage{page}
	rt.cfg, rt.cat = cfg, catalog.New(cfg)

	// One result per monitor per hour, every 50th failed, rolled up.
	seedStart := time.Now()
	start := now.Truncate(time.Hour).Add(-time.Duration(*days) * 24 * time.Hour)
	var b store.Batch
	n := 0
	for _, m := range cfg.Monitors {
		for h := range *days * 24 {
			s := probe.OK
			if (h+len(m.ID))%50 == 0 {
				s = probe.Critical
			}
			b.Results = append(b.Results, probe.Result{MonitorID: m.ID, Time: start.Add(time.Duration(h) * time.Hour), Duration: time.Millisecond, Status: s})
			n++
		}
		if len(b.Results) > 20000 {
			if err := st.SaveBatch(ctx, b); err != nil {
				log.Fatal(err)
			}
			b = store.Batch{}
		}
	}
	if err := st.SaveBatch(ctx, b); err != nil {
		log.Fatal(err)
	}
	if err := st.Rollup(ctx, now.Truncate(time.Hour)); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("seeded %d results of %d monitors (%d components, %d days) in %s\n", n, len(cfg.Monitors), *components, *days, time.Since(seedStart).Round(time.Millisecond))

	srv, err := web.New(web.Options{Store: st, Runtime: rt})
	if err != nil {
		log.Fatal(err)
	}
	base := benchkit.Serve(srv.Handler())
	url := base + "/status/public"
	// The client asks for gzip as browsers do, and does not decompress:
	// that is the browser's work, not the server's.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients, DisableCompression: true}}
	get := func() (time.Duration, int) {
		t0 := time.Now()
		req, _ := http.NewRequest("GET", url, nil) // a valid URL: no error
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := client.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			log.Fatalf("GET %s: %d", url, res.StatusCode)
		}
		return time.Since(t0), int(n)
	}
	first, size := get()
	fmt.Printf("first answer (computed, uncached): %s, %d bytes (gzip)\n", first.Round(time.Microsecond), size)

	var mu sync.Mutex
	var lat []time.Duration
	end := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for range *clients {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(end) {
				d, _ := get()
				mine = append(mine, d)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[int(float64(len(lat)-1)*p)].Round(time.Microsecond) }
	fmt.Printf("%d requests from %d clients in %s: %.0f requests/s; p50 %s, p90 %s, p99 %s, max %s\n",
		len(lat), *clients, *duration, float64(len(lat))/duration.Seconds(), q(0.5), q(0.9), q(0.99), lat[len(lat)-1].Round(time.Microsecond))
}
