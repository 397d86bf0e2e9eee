package ui_test

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

// BenchmarkMonitorPage90d renders the page of a monitor checked every 30
// seconds for 90 days, on SQLite, as a running Tocsin leaves it: raw
// results for the last 7 days, hourly rollups before.
func BenchmarkMonitorPage90d(b *testing.B) {
	e := webtest.New(b, nil)
	seedHistory(b, e, "web", 90, 30*time.Second)
	benchPages(b, e, "/monitors/web", "/monitors/web?range=1h", "/monitors/web?range=7d", "/monitors/web?range=30d")
}
