package app

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/notify/channels"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/web"
)

// TestMonitorPageLeavesHeartbeatsOut: the pages of monitors the overview
// and the API read hold no heartbeat (they have a page of their own), nor
// do their counts and kinds; the counts follow a pause at once.
func TestMonitorPageLeavesHeartbeatsOut(t *testing.T) {
	dir := t.TempDir()
	yaml := fmt.Sprintf(`storage: {driver: sqlite, dsn: %s}
services:
  - {id: shop, name: Shop}
monitors:
  - {id: site, type: http, service: shop, http: {url: "http://127.0.0.1:9/"}}
  - {id: db, type: tcp, tcp: {address: "127.0.0.1:9"}}
heartbeats:
  - {id: nightly, uuid: 3f2a9c1e-8b4d-4f6a-9e2c-5d7b1a3c8e40, period: 1h, grace: 5m, service: shop}
`, filepath.Join(dir, "tocsin.db"))
	cfg, err := config.Parse([]byte(yaml), filepath.Join(dir, "tocsin.yaml"), channels.Config(probekinds.Config()))
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(t.Context(), Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.store.Close() })
	rt := (*runtime)(a)
	page := func(q web.MonitorQuery) web.MonitorPage {
		t.Helper()
		p, err := rt.MonitorPage(q)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := page(web.MonitorQuery{FailingFirst: true, Limit: 10})
	var ids []string
	for _, m := range p.Monitors {
		ids = append(ids, m.Config.ID)
	}
	if !slices.Equal(ids, []string{"site", "db"}) || p.Total != 2 || p.More {
		t.Errorf("page: %v, total %d, more %v; want [site db], 2, false", ids, p.Total, p.More)
	}
	if want := (web.StatusCounts{Total: 2, Pending: 2}); p.Counts != want || !slices.Equal(p.Kinds, []string{"http", "tcp"}) {
		t.Errorf("counts %+v, kinds %v; want %+v, [http tcp]", p.Counts, p.Kinds, want)
	}
	if p := page(web.MonitorQuery{Kind: config.HeartbeatType, Limit: 10}); len(p.Monitors) != 0 || p.Total != 0 {
		t.Errorf("heartbeats listed as monitors: %d", p.Total)
	}
	if err := rt.SetPaused(t.Context(), "db", true); err != nil {
		t.Fatal(err)
	}
	p = page(web.MonitorQuery{Status: "paused", Limit: 1})
	if len(p.Monitors) != 1 || p.Monitors[0].Config.ID != "db" || p.Counts.Paused != 1 || p.Counts.Pending != 1 {
		t.Errorf("after a pause: %d paused listed, counts %+v", len(p.Monitors), p.Counts)
	}
}
