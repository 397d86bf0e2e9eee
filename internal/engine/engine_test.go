package engine

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
)

// TestLastResultSurvivesRestart: after a restart, until a monitor runs
// again, its last result comes from the saved state, so the overview shows
// what was last seen rather than "no result yet".
func TestLastResultSurvivesRestart(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	const reason = "GET https://x/: 503, expected 200-399"
	saved := map[string]monitor.State{
		"web": {Status: monitor.StatusDown, Since: at, LastResultAt: at, LastStatus: probe.Critical, LastReason: reason},
		"new": {Status: monitor.StatusPending, Since: at},
	}
	e := New(Options{Now: func() time.Time { return at.Add(time.Minute) }}, saved)
	cfg := &config.Config{Monitors: []config.Monitor{{ID: "web", Type: "http"}, {ID: "new", Type: "http"}}}
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	en, _ := e.View("web")
	if en.Last == nil || en.Last.Status != probe.Critical || !en.Last.Time.Equal(at) || en.Last.Reason != reason {
		t.Errorf("last result after a restart = %+v, want the saved one", en.Last)
	}
	if en, _ := e.View("new"); en.Last != nil {
		t.Errorf("a monitor that never ran has last result %+v", en.Last)
	}
}
