package oncall

import (
	"slices"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

func TestFromConfig(t *testing.T) {
	s, err := FromConfig(config.Schedule{
		ID: "support", Timezone: "Europe/Oslo",
		Layers: []config.ScheduleLayer{
			{Rotation: "weekly", Handoff: "09:00", Start: "2026-01-05", Members: []string{"ann", "bob"}},
			{Rotation: "12h", Handoff: "08:00", Start: "2026-01-05", Members: []string{"cat"},
				Restrict: &config.ScheduleRestrict{Days: []string{"weekdays"}, From: "08:00", To: "24:00"}},
		},
		Overrides: []config.ScheduleOverride{{Person: "eve", From: "2026-01-06 12:00", To: "2026-01-06 13:00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	oslo := mustLoad(t, "Europe/Oslo")
	for _, tc := range []struct {
		t    time.Time
		want PersonID
	}{
		{time.Date(2026, 1, 5, 9, 0, 0, 0, oslo), "cat"},
		{time.Date(2026, 1, 5, 23, 59, 0, 0, oslo), "cat"},
		{time.Date(2026, 1, 6, 0, 0, 0, 0, oslo), "ann"},
		{time.Date(2026, 1, 6, 12, 30, 0, 0, oslo), "eve"},
		{time.Date(2026, 1, 10, 12, 0, 0, 0, oslo), "ann"},
		{time.Date(2026, 1, 12, 8, 59, 0, 0, oslo), "cat"},
		{time.Date(2026, 1, 13, 7, 0, 0, 0, oslo), "bob"},
	} {
		if got := OnCall(s, tc.t); !slices.Equal(got, []PersonID{tc.want}) {
			t.Errorf("OnCall(%s) = %v, want %s", tc.t, got, tc.want)
		}
	}
	if _, err := FromConfig(config.Schedule{ID: "x", Timezone: "Nowhere/Else"}); err == nil {
		t.Error("FromConfig accepted an unknown timezone")
	}
}
