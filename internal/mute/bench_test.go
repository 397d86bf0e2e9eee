package mute

import (
	"fmt"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

// BenchmarkCheck asks for one monitor of 10,000 (in 500 services) against
// 10 windows (half recurring) and 10 silences with regular expressions:
// what the engine pays per notified transition, and the overview per row.
func BenchmarkCheck(b *testing.B) {
	cfg := &config.Config{}
	for i := range 500 {
		cfg.Services = append(cfg.Services, config.Service{ID: fmt.Sprintf("svc-%d", i), Tags: []string{fmt.Sprintf("team-%d", i%20)}})
	}
	for i := range 10_000 {
		cfg.Monitors = append(cfg.Monitors, config.Monitor{ID: fmt.Sprintf("mon-%d", i), Service: fmt.Sprintf("svc-%d", i%500)})
	}
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var ws []Window
	var ss []Silence
	for i := range 10 {
		w := Window{ID: fmt.Sprint(i), Match: config.MaintenanceMatch{Services: []string{fmt.Sprintf("svc-%d", i)}}, Start: at.Add(time.Hour), End: at.Add(2 * time.Hour)}
		if i%2 == 0 {
			w = Window{ID: fmt.Sprint(i), Match: config.MaintenanceMatch{Tags: []string{fmt.Sprintf("team-%d", i)}}, Cron: "0 3 * * sun", Duration: 2 * time.Hour, Location: time.UTC}
		}
		ws = append(ws, w)
		m, _ := ParseMatcher(fmt.Sprintf("monitor=~mon-%d.*", i))
		ss = append(ss, Silence{ID: fmt.Sprint(i), Matchers: []Matcher{m}, Reason: "r", StartsAt: at.Add(-time.Hour), EndsAt: at.Add(-time.Minute)})
	}
	s := New(cfg, ws, ss)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.Check(fmt.Sprintf("mon-%d", i%10_000), at)
	}
}
