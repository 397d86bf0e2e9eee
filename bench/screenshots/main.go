// Command screenshots regenerates the pictures of the web UI in docs/img:
// the overview, a monitor page, a heartbeat page and a schedule's calendar. It starts a Tocsin
// server in this process on a fresh temporary database, with a small
// config (monitors against local targets, one of them failing, a silent
// heartbeat, services with owners), seeds a day of history through the
// store, signs in with headless chromium and saves PNGs at a fixed
// viewport.
//
//	go run ./bench/screenshots            # writes docs/img/*.png
//	go run ./bench/screenshots -out /tmp  # elsewhere
//
// It needs chromium in PATH (Debian: apt-get install -y chromium).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tocsin/tocsin/bench/internal/benchkit"
	"github.com/tocsin/tocsin/internal/app"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/testkit"
)

func main() {
	out := flag.String("out", filepath.Join("docs", "img"), "directory for the PNGs")
	width := flag.Int("width", 1200, "viewport width")
	height := flag.Int("height", 800, "viewport height")
	flag.Parse()
	if err := run(*out, *width, *height); err != nil {
		log.Fatal(err)
	}
}

func run(out string, width, height int) error {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		return fmt.Errorf("chromium not found in PATH (apt-get install -y chromium): %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "tocsin-screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	ok := benchkit.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(20+rand.IntN(40)) * time.Millisecond)
		io.WriteString(w, "ok")
	}))
	broken := benchkit.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream unavailable", http.StatusServiceUnavailable)
	}))
	cfgPath := filepath.Join(dir, "tocsin.yaml")
	dbPath := filepath.Join(dir, "tocsin.db")
	if err := os.WriteFile(cfgPath, []byte(config(dbPath, ok, broken)), 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now().UTC()
	if err := seed(ctx, dbPath, now, ok, broken); err != nil {
		return fmt.Errorf("seeding the history: %w", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	a, err := app.New(ctx, app.Options{ConfigPath: cfgPath, Listener: ln, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	base := "http://" + ln.Addr().String()

	opts := append(testkit.ChromiumOptions(chromium, filepath.Join(dir, "chromium")),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.WindowSize(width, height))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 60*time.Second)
	defer cancelTimeout()

	// First run: create the admin account, which signs in.
	err = chromedp.Do(bctx,
		chromedp.EmulateViewport(int64(width), int64(height)),
		chromedp.Navigate(base+"/?tz=UTC"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password2"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="name"]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), "correct horse battery"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password2"]`), "correct horse battery"),
		chromedp.Submit(chromedp.CSS(`input[name="password2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.monitors`)),
	)
	if err != nil {
		return fmt.Errorf("signing in: %w", err)
	}
	// The monitor page is shown from its history down: the timeline bars
	// and the latency chart; its heading is the overview's row in words.
	shots := []struct{ path, file, ready, scrollTo string }{
		{"/?tz=UTC", "overview.png", `table.monitors`, ""},
		{"/monitors/checkout?tz=UTC", "monitor.png", `#history`, "#history"},
		{"/heartbeats/nightly-backup?tz=UTC", "heartbeat.png", `section.card`, ""},
		{"/schedules/support?tz=Europe/Oslo", "schedule.png", `.calendar`, ".cal-nav"},
		{"/services/shop?tz=Europe/Paris", "service.png", `#escalation`, ""},
	}
	for _, s := range shots {
		err := chromedp.Do(bctx,
			chromedp.Navigate(base+s.path),
			chromedp.WaitVisible(chromedp.CSS(s.ready)),
		)
		if err == nil && s.scrollTo != "" {
			_, err = chromedp.Run(bctx, chromedp.Evaluate[bool](fmt.Sprintf(`(function () {
				window.scrollTo(0, document.querySelector(%q).getBoundingClientRect().top + window.scrollY - 16);
				return true;
			})()`, s.scrollTo)))
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s.path, err)
		}
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			return fmt.Errorf("%s: %w", s.path, err)
		}
		if err := os.WriteFile(filepath.Join(out, s.file), png, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %s (%d bytes)\n", s.path, filepath.Join(out, s.file), len(png))
	}
	cancel()
	return <-done
}

// config is the server's configuration: a web shop (one failing monitor),
// an internal service with a heartbeat, owned by a person and a team, and
// an office-hours on-call schedule with an override the day after tomorrow.
func config(dsn, ok, broken string) string {
	return fmt.Sprintf(`server:
  listen: 127.0.0.1:0
  base_url: https://status.example.com
  secure_cookies: false
storage:
  dsn: %s
people:
  - id: alice
    name: Alice Martin
    email: alice@example.com
    timezone: Europe/Paris
    phone: "+33 1 23 45 67 89"
    contacts: [{channel: inbox}]
  - id: bob
    name: Bob Chen
    email: bob@example.com
    timezone: America/New_York
    phone: "+1 212 555 0100"
    contacts: [{channel: inbox}]
  - id: carol
    name: Carol Diaz
    email: carol@example.com
schedules:
  - id: support
    name: Support
    timezone: Europe/Oslo
    layers:
      - name: weekdays
        rotation: weekly
        handoff: "08:00"
        start: 2026-01-05
        members: [alice, bob]
        restrict: {days: [weekdays], from: "08:00", to: "20:00"}
      - name: saturday
        rotation: weekly
        handoff: "10:00"
        start: 2026-01-03
        members: [carol]
        restrict: {days: [sat], from: "10:00", to: "18:00"}
    overrides:
      - {person: carol, from: "%[5]s 12:00", to: "%[5]s 16:00"}
  - id: platform
    name: Platform on call
    timezone: Europe/Paris
    layers: [{rotation: weekly, handoff: "09:00", start: 2026-01-05, members: [alice, bob]}]
teams:
  - id: platform
    name: Platform team
    members: [alice, bob]
    channels: [inbox]
    escalation_policy: shop
channels:
  - id: inbox
    type: inbox
escalation_policies:
  - id: shop
    name: Shop escalation
    steps:
      - {after: 0s, notify: [schedule:platform]}
      - {after: 15m, notify: [team:platform]}
hosts:
  - {id: web1, name: web1.example.com, address: 192.0.2.10, monitors: [home]}
services:
  - id: shop
    name: Web shop
    description: The public shop and its checkout.
    owners: [platform]
    channels: [inbox]
    runbook: https://wiki.example.com/runbooks/shop
    tier: 1
    contacts: ["Payment provider: +33 1 98 76 54 32", "Tickets: shop@support.example.com"]
    depends_on: [backoffice, host:web1]
    tags: [public]
  - id: backoffice
    name: Back office
    description: Nightly jobs and internal tools.
    owners: [bob]
    channels: [inbox]
monitors:
  - id: home
    name: Shop home page
    service: shop
    type: http
    interval: 10s
    http: {url: "%[2]s/"}
  - id: checkout
    name: Checkout API
    service: shop
    type: http
    interval: 10s
    failure_threshold: 2
    http: {url: "%[3]s/health"}
  - id: search
    name: Product search
    service: shop
    type: http
    interval: 10s
    http: {url: "%[2]s/search?q=tea"}
  - id: intranet
    name: Intranet
    service: backoffice
    type: tcp
    interval: 10s
    tcp: {address: "%[4]s"}
heartbeats:
  - id: nightly-backup
    name: Nightly backup
    uuid: 5b0e7c2a-3f41-4d8e-9a6b-1c2d3e4f5a6b
    service: backoffice
    period: 1h
    grace: 10m
`, dsn, ok, broken, ok[len("http://"):], time.Now().AddDate(0, 0, 2).Format(time.DateOnly))
}

// seed writes a day of results, the confirmed states and the hourly pings
// of the heartbeat, which stopped three hours ago.
func seed(ctx context.Context, dsn string, now time.Time, ok, broken string) error {
	db, err := sqlstore.Open(ctx, sqlstore.Options{DSN: dsn})
	if err != nil {
		return err
	}
	defer db.Close()
	var b store.Batch
	b.States = map[string]monitor.State{}
	downSince := now.Add(-37 * time.Minute).Truncate(time.Minute)
	outage := [2]time.Time{now.Add(-9 * time.Hour), now.Add(-8*time.Hour - 35*time.Minute)}
	rnd := rand.New(rand.NewPCG(11, 11))
	for _, m := range []struct {
		id, url string
		base    time.Duration
	}{{"home", ok + "/", 45 * time.Millisecond}, {"checkout", broken + "/health", 120 * time.Millisecond}, {"search", ok + "/search?q=tea", 80 * time.Millisecond}, {"intranet", "", 3 * time.Millisecond}} {
		for t := now.Add(-24 * time.Hour); t.Before(now); t = t.Add(2 * time.Minute) {
			d := m.base + time.Duration(rnd.IntN(int(m.base/2)))
			// The afternoon peak makes the chart move.
			if h := t.Hour(); h >= 12 && h < 15 {
				d += m.base / 2
			}
			r := probe.Result{MonitorID: m.id, Time: t, Duration: d, Status: probe.OK, Reason: fmt.Sprintf("200 OK in %dms", d.Milliseconds())}
			if m.id == "intranet" {
				r.Reason = fmt.Sprintf("connected in %dms", d.Milliseconds())
			}
			if m.id == "checkout" && (!t.Before(downSince) || (t.After(outage[0]) && t.Before(outage[1]))) {
				r.Status, r.Reason = probe.Critical, "GET "+m.url+": 503, expected 200"
			}
			b.Results = append(b.Results, r)
		}
	}
	for id, reason := range map[string]string{"home": "200 OK in 41ms", "search": "200 OK in 87ms", "intranet": "connected in 3ms"} {
		b.States[id] = monitor.State{Status: monitor.StatusUp, Since: now.Add(-3 * 24 * time.Hour), LastResultAt: now.Add(-time.Minute), LastStatus: probe.OK, LastReason: reason, ConsecutiveSuccesses: 5, StatusStreak: 5}
	}
	reason := "GET " + broken + "/health: 503, expected 200"
	b.States["checkout"] = monitor.State{Status: monitor.StatusDown, Since: downSince, LastResultAt: now.Add(-time.Minute), LastStatus: probe.Critical, LastReason: reason, ConsecutiveFailures: 18, StatusStreak: 18}
	b.Transitions = []monitor.Transition{
		{MonitorID: "checkout", From: monitor.StatusUp, To: monitor.StatusDown, Time: outage[0], Reason: reason},
		{MonitorID: "checkout", From: monitor.StatusDown, To: monitor.StatusUp, Time: outage[1], Reason: "200 OK in 131ms"},
		{MonitorID: "checkout", From: monitor.StatusUp, To: monitor.StatusDown, Time: downSince, Reason: reason},
	}
	if err := db.SaveBatch(ctx, b); err != nil {
		return err
	}
	if err := db.Rollup(ctx, now.Truncate(time.Hour)); err != nil {
		return err
	}
	var pings store.PingBatch
	last := now.Add(-3 * time.Hour).Truncate(time.Hour).Add(2 * time.Minute)
	for t := last.Add(-24 * time.Hour); !t.After(last); t = t.Add(time.Hour) {
		pings.Pings = append(pings.Pings, store.Ping{HeartbeatID: "nightly-backup", Time: t, Kind: "success",
			Transport: "http", Method: "POST", Source: "10.0.4.17", UserAgent: "curl/8.5.0", Body: []byte("backup done: 41 GiB in 7m12s")})
	}
	return db.SavePings(ctx, pings)
}
