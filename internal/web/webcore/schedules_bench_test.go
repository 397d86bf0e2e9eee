package webcore_test

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/oncall"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// BenchmarkSummarize is the work behind one schedule's line on the list
// page, the API and /metrics when the minute's summary is recomputed: who
// is on call, the next handoff and 14 days of gaps of a schedule with a
// weekly rotation, office-hours and weekend layers and two overrides.
func BenchmarkSummarize(b *testing.B) {
	cs := config.Schedule{ID: "support", Timezone: "Europe/Oslo",
		Layers: []config.ScheduleLayer{
			{Rotation: "weekly", Handoff: "09:00", Start: "2026-01-05", Members: []string{"a", "b", "c", "d"}},
			{Rotation: "daily", Handoff: "08:00", Start: "2026-01-05", Members: []string{"e", "f"},
				Restrict: &config.ScheduleRestrict{Days: []string{"weekdays"}, From: "08:00", To: "17:00"}},
			{Rotation: "12h", Handoff: "08:00", Start: "2026-01-05", Members: []string{"g", "h"},
				Restrict: &config.ScheduleRestrict{Days: []string{"weekend"}, From: "10:00", To: "18:00"}},
		},
		Overrides: []config.ScheduleOverride{{Person: "a", From: "2026-03-04 10:00", To: "2026-03-04 12:00"}, {Person: "b", From: "2026-03-10 00:00", To: "2026-03-11 00:00"}},
	}
	s, err := oncall.FromConfig(cs)
	if err != nil {
		b.Fatal(err)
	}
	info := webcore.ScheduleInfo{Config: cs, Schedule: s}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		webcore.Summarize(info, now)
	}
}
