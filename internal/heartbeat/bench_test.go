package heartbeat_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/store"
)

// BenchmarkReceive measures the ingest (group commit into a SQLite file)
// with many concurrent senders, without HTTP.
func BenchmarkReceive(b *testing.B) {
	db := openStore(&testing.T{}, filepath.Join(b.TempDir(), "bench.db"))
	defer db.Close()
	defs := make([]heartbeat.Definition, 1000)
	for i := range defs {
		defs[i] = heartbeat.Definition{ID: fmt.Sprintf("hb-%d", i), UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Schedule: schedule.Schedule{Period: time.Hour, Grace: time.Hour}}
	}
	h := heartbeat.New(heartbeat.Options{Store: db})
	h.SetDefinitions(defs)
	h.SetLimits(heartbeat.Limits{BodyLimit: 100_000})
	go h.Run()
	defer func() { h.Close(); <-h.Done() }()
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1)) % len(defs)
			if err := h.Receive(b.Context(), heartbeat.Ping{UUID: defs[i].UUID, Kind: heartbeat.KindSuccess, Transport: "http", Method: "GET", Source: "127.0.0.1"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIdle100k loads 100,000 heartbeats that all pinged recently and
// reports what they cost while nothing happens: the deadline loop sleeps
// until the earliest deadline, so idle CPU stays near zero whatever the
// count. Run with -benchtime 1x.
func BenchmarkIdle100k(b *testing.B) {
	const n = 100_000
	db := openStore(&testing.T{}, filepath.Join(b.TempDir(), "idle.db"))
	defer db.Close()
	now := time.Now()
	states := make(map[string]json.RawMessage, n)
	defs := make([]heartbeat.Definition, n)
	for i := range defs {
		id := fmt.Sprintf("hb-%06d", i)
		defs[i] = heartbeat.Definition{ID: id, UUID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Schedule: schedule.Schedule{Period: time.Hour + time.Duration(i)*time.Millisecond, Grace: time.Hour}}
		js, _ := json.Marshal(heartbeat.State{LastPing: now})
		states[id] = js
	}
	if err := db.SavePings(b.Context(), store.PingBatch{States: states}); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		h := heartbeat.New(heartbeat.Options{Store: db})
		start := time.Now()
		if err := h.Load(b.Context()); err != nil {
			b.Fatal(err)
		}
		h.SetDefinitions(defs)
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms-to-load")
		go h.Run()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/n, "heap-B/heartbeat")
		var r0, r1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		time.Sleep(2 * time.Second)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano()) / 2
		b.ReportMetric(float64(cpu.Microseconds()), "idle-cpu-µs/s")
		if v, ok := h.View("hb-000000"); !ok || v.Status != heartbeat.StatusUp {
			b.Fatalf("hb-000000: %+v", v)
		}
		h.Close()
		<-h.Done()
	}
}
