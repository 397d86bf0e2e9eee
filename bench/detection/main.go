// Command detection measures how long Tocsin takes from a target starting
// to fail to the monitor.down webhook leaving, with a failure threshold and
// interval as flags (the goal: within threshold × interval + 1 s).
//
//	go run ./bench/detection -interval 10s -threshold 3 -runs 3
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/tocsin/tocsin/bench/internal/benchkit"
	"github.com/tocsin/tocsin/internal/app"
)

func main() {
	interval := flag.Duration("interval", 10*time.Second, "monitor interval")
	threshold := flag.Int("threshold", 3, "failure_threshold")
	runs := flag.Int("runs", 3, "how many failures to time")
	flag.Parse()

	var failing atomic.Bool
	target := benchkit.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.Load() {
			http.Error(w, "broken", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok")
	}))
	events := make(chan string, 16)
	hook := benchkit.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e struct{ Event string }
		_ = json.NewDecoder(r.Body).Decode(&e)
		events <- e.Event
	}))

	dir, err := os.MkdirTemp("", "tocsin-detect-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfgPath := filepath.Join(dir, "tocsin.yaml")
	cfg := fmt.Sprintf(`server:
  listen: 127.0.0.1:0
storage:
  dsn: %s
channels:
  - id: hook
    type: webhook
    webhook: {url: "%s"}
services:
  - id: svc
    channels: [hook]
monitors:
  - id: target
    service: svc
    type: http
    interval: %s
    failure_threshold: %d
    http: {url: "%s"}
`, filepath.Join(dir, "t.db"), hook, *interval, *threshold, target)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		log.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := app.New(ctx, app.Options{ConfigPath: cfgPath, Listener: ln, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		log.Fatal(err)
	}
	go a.Run(ctx)

	limit := time.Duration(*threshold)*(*interval) + time.Second
	wait := func(want string) {
		for e := range events {
			if e == want {
				return
			}
		}
	}
	// Let the monitor confirm up first (the first run lands somewhere
	// in the first interval).
	time.Sleep(*interval + *interval/2)
	worst := time.Duration(0)
	for i := 0; i < *runs; i++ {
		// Fail at a random-ish point of the interval.
		time.Sleep(time.Duration(i+1) * *interval / time.Duration(*runs+1))
		start := time.Now()
		failing.Store(true)
		wait("monitor.down")
		took := time.Since(start)
		worst = max(worst, took)
		fmt.Printf("run %d: monitor.down after %s (limit %s)\n", i+1, took.Round(time.Millisecond), limit)
		failing.Store(false)
		wait("monitor.up")
	}
	verdict := "within"
	if worst > limit {
		verdict = "OVER"
	}
	fmt.Printf("worst: %s, %s the limit of %d × %s + 1s = %s\n", worst.Round(time.Millisecond), verdict, *threshold, *interval, limit)
}
