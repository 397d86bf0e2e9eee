package app

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
	e := newEvaluator(evaluatorOptions{now: func() time.Time { return at.Add(time.Minute) }}, saved)
	cfg := &config.Config{Monitors: []config.Monitor{{ID: "web", Type: "http"}, {ID: "new", Type: "http"}}}
	if err := e.apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	en, _ := e.view("web")
	if en.last == nil || en.last.Status != probe.Critical || !en.last.Time.Equal(at) || en.last.Reason != reason {
		t.Errorf("last result after a restart = %+v, want the saved one", en.last)
	}
	if en, _ := e.view("new"); en.last != nil {
		t.Errorf("a monitor that never ran has last result %+v", en.last)
	}
}
