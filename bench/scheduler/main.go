// Command scheduler measures the scheduler alone: it runs many cheap jobs
// at a fixed interval for a while of wall time and prints the run rate,
// the lateness percentiles, the CPU spent per thousand runs and the memory
// used.
//
//	go run ./bench/scheduler -jobs 10000 -interval 10s -duration 30s
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tocsin/tocsin/internal/scheduler"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scheduler bench:", err)
		os.Exit(1)
	}
}

func run() error {
	jobs := flag.Int("jobs", 10000, "number of jobs")
	interval := flag.Duration("interval", 10*time.Second, "interval of every job")
	duration := flag.Duration("duration", 30*time.Second, "wall time to run for")
	concurrency := flag.Int("concurrency", 256, "global concurrency limit")
	perHost := flag.Int("per-host", 16, "per-host concurrency limit")
	hosts := flag.Int("hosts", 1000, "number of distinct hosts the jobs are spread over")
	work := flag.Duration("work", 0, "how long each run sleeps, to stand in for a probe")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *jobs < 1 || *interval <= 0 || *duration <= 0 || *hosts < 1 {
		return fmt.Errorf("jobs, interval, duration and hosts must be positive")
	}

	// Room for every run with a margin; a run that finds no room is
	// still counted, just not in the percentiles.
	capacity := int(float64(*jobs)*duration.Seconds()/interval.Seconds()*1.2) + *jobs
	lateness := make([]time.Duration, capacity)
	var n atomic.Int64

	s := scheduler.New(scheduler.Options{Concurrency: *concurrency, PerHost: *perHost})
	list := make([]scheduler.Job, *jobs)
	for i := range list {
		list[i] = scheduler.Job{
			ID:       "monitor-" + strconv.Itoa(i),
			Key:      "v1",
			Interval: *interval,
			Host:     "host-" + strconv.Itoa(i%*hosts),
			Run: func(ctx context.Context, scheduled time.Time) {
				late := time.Since(scheduled)
				if k := n.Add(1) - 1; k < int64(len(lateness)) {
					lateness[k] = late
				}
				if *work > 0 {
					t := time.NewTimer(*work)
					select {
					case <-t.C:
					case <-ctx.Done():
						t.Stop()
					}
				}
			},
		}
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("creating the CPU profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("starting the CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}

	before, err := rusage()
	if err != nil {
		return err
	}
	began := time.Now()
	s.Update(list)
	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	lag := make(chan time.Duration, 1)
	go func() {
		// Sample Lag just before the end, as /readyz would.
		select {
		case <-time.After(*duration - time.Second):
			lag <- s.Lag()
		case <-ctx.Done():
			lag <- s.Lag()
		}
	}()
	if err := s.Run(ctx); err != nil {
		return err
	}
	elapsed := time.Since(began)
	after, err := rusage()
	if err != nil {
		return err
	}

	runs := n.Load()
	recorded := lateness[:min(runs, int64(len(lateness)))]
	slices.Sort(recorded)
	cpu := after.cpu - before.cpu
	fmt.Printf("jobs %d at %s for %s (GOMAXPROCS %d, concurrency %d, per-host %d, %d hosts, work %s)\n",
		*jobs, *interval, elapsed.Round(time.Millisecond), runtime.GOMAXPROCS(0), *concurrency, *perHost, *hosts, *work)
	fmt.Printf("runs          %d (%.0f/s)\n", runs, float64(runs)/elapsed.Seconds())
	fmt.Printf("lateness      p50 %s  p99 %s  max %s\n", pct(recorded, 0.50), pct(recorded, 0.99), pct(recorded, 1))
	fmt.Printf("Lag()         %s\n", <-lag)
	fmt.Printf("CPU           %.3fs total, %.1fms per 1000 runs\n", cpu.Seconds(), float64(cpu.Milliseconds())*1000/float64(max(runs, 1)))
	fmt.Printf("memory        max RSS %.1f MiB, RSS now %s\n", float64(after.maxRSSKiB)/1024, currentRSS())
	return nil
}

func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)].Round(time.Microsecond)
}

type usage struct {
	cpu       time.Duration
	maxRSSKiB int64
}

func rusage() (usage, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}, fmt.Errorf("reading resource usage: %w", err)
	}
	tv := func(t syscall.Timeval) time.Duration {
		return time.Duration(t.Sec)*time.Second + time.Duration(t.Usec)*time.Microsecond
	}
	return usage{cpu: tv(ru.Utime) + tv(ru.Stime), maxRSSKiB: int64(ru.Maxrss)}, nil
}

// currentRSS reads VmRSS from /proc, where there is one.
func currentRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
