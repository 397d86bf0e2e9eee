package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestScheduleMetrics checks the schedule series on /metrics: the gaps of
// the next 14 days and who is on call, reused within a minute of the same
// configuration and recomputed after it, and at once for a new one.
func TestScheduleMetrics(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	webtest.Schedules(e)
	c := e.Client()
	has := func(body string, lines ...string) {
		t.Helper()
		for _, l := range lines {
			if !strings.Contains(body, "\n"+l+"\n") {
				t.Errorf("/metrics lacks %q", l)
			}
		}
	}
	// Sunday noon: 14 days hold 10 office days of 8 hours, 256 h uncovered.
	r := e.Get(c, "/metrics")
	has(r.Body,
		`tocsin_schedule_gap_seconds{schedule="support"} 921600`,
		`tocsin_schedule_gap_seconds{schedule="always"} 0`,
		`tocsin_schedule_oncall{person="bob",schedule="always"} 1`)
	if strings.Contains(r.Body, `tocsin_schedule_oncall{person="ann"`) {
		t.Errorf("ann is on call on a Sunday")
	}
	// Monday, ten seconds before ann's office hours end: she is on call.
	// Twenty seconds later the scrape reuses that (recomputing at most once
	// a minute); a minute on, nobody is.
	e.Clock.Set(time.Date(2026, 3, 2, 15, 59, 50, 0, time.UTC))
	has(e.Get(c, "/metrics").Body, `tocsin_schedule_oncall{person="ann",schedule="support"} 1`)
	e.Clock.Add(20 * time.Second)
	has(e.Get(c, "/metrics").Body, `tocsin_schedule_oncall{person="ann",schedule="support"} 1`)
	e.Clock.Add(time.Minute)
	if r := e.Get(c, "/metrics"); strings.Contains(r.Body, `tocsin_schedule_oncall{person="ann",schedule="support"}`) {
		t.Errorf("someone is on call after office hours")
	}
	// A new configuration counts at once.
	e.RT.Mu.Lock()
	e.RT.Cfg = &config.Config{}
	e.RT.Mu.Unlock()
	if r := e.Get(c, "/metrics"); strings.Contains(r.Body, "tocsin_schedule_") {
		t.Errorf("schedules of the old configuration on /metrics")
	}
}
