package heartbeat_test

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
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
