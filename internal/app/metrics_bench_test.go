package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
)

// httpResult is a result as an HTTP monitor reports it: a latency, a
// certificate and the three metrics of its probe.
func httpResult(id string, i int, now time.Time) probe.Result {
	return probe.Result{MonitorID: id, Time: now, Duration: time.Duration(20+i%50) * time.Millisecond, Status: probe.OK,
		CertExpiry: now.Add(90 * 24 * time.Hour).Truncate(time.Second),
		Metrics: []probe.Metric{
			{Name: "status_code", Value: 200},
			{Name: "body_bytes", Value: float64(1000 + i%7), Unit: "B", Min: "0"},
			{Name: "time", Value: float64(20+i%50) / 1000, Unit: "s", Min: "0"},
		}}
}

// feedResults hands every monitor of a one HTTP result through the engine
// and returns once they are evaluated and stored.
func feedResults(tb testing.TB, a *App, round int) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	for i, m := range a.config().Monitors {
		a.eng.Submit(ctx, httpResult(m.ID, i+round, now))
	}
	if err := a.eng.Durable(ctx); err != nil {
		tb.Fatal(err)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// countingWriter is a ResponseWriter that keeps only the size of the body.
type countingWriter struct {
	h    http.Header
	n    int
	code int
}

func (w *countingWriter) Header() http.Header { return w.h }
func (w *countingWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *countingWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.n += len(p)
	return len(p), nil
}

// BenchmarkMetricsLarge scrapes /metrics of 100,000 HTTP monitors that
// all have a result, and reports the heap the results and the
// per-monitor series retain per monitor ("results-heap-B/monitor": the
// heap after every monitor has a result, less the heap before), the bytes
// of one scrape, and its CPU time and allocations: with the series of each
// monitor (server.metrics.per_monitor, the default) and without.
func BenchmarkMetricsLarge(b *testing.B) {
	cfg := largeConfig(b, b.TempDir(), scaleMonitors)
	a := newLargeApp(b, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.eng.Run(ctx); close(done) }()
	defer func() { a.eng.Close(); <-done; cancel() }()
	before := heapInUse()
	feedResults(b, a, 0)
	after := heapInUse()
	h := a.Handler()
	for _, perMonitor := range []bool{true, false} {
		next := *cfg
		next.Server.Metrics.PerMonitor = &perMonitor
		if err := a.swap(&next, ""); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("per_monitor=%v", perMonitor), func(b *testing.B) {
			var size int
			b.ReportAllocs()
			cpu := cpuMeter(b)
			for b.Loop() {
				w := &countingWriter{h: http.Header{}}
				h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
				if w.code != http.StatusOK {
					b.Fatalf("GET /metrics: %d", w.code)
				}
				size = w.n
			}
			cpu()
			b.ReportMetric(float64(size), "bytes/scrape")
			b.ReportMetric((float64(after)-float64(before))/scaleMonitors, "results-heap-B/monitor")
		})
	}
}
