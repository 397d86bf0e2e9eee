package app

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
)

const schedulesConfig = `people:
  - {id: ann}
  - {id: bob}
schedules:
  - id: support
    timezone: Europe/Oslo
    layers:
      - rotation: daily
        handoff: "09:00"
        start: 2026-01-05
        members: [ann, bob]
        restrict: {days: [weekdays], from: "09:00", to: "17:00"}
    overrides:
      - {person: bob, from: "2026-12-12 09:00", to: "2026-12-12 12:00"}
  - id: always
    timezone: America/New_York
    layers:
      - {rotation: weekly, handoff: "09:00", start: 2026-01-05, members: [ann, bob]}
`

// TestScheduleWarnings pins the words of each gap over the 14 days after a
// fixed instant: weekday evenings and weekends, an override cutting a
// weekend gap in two, the last gap clipped at the window; a schedule with
// someone always on call gives none.
func TestScheduleWarnings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, schedulesConfig)
	cfg, err := config.Load(path, probekinds.Config())
	if err != nil {
		t.Fatal(err)
	}
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 10, 0, 30, 0, oslo) // a Monday, mid-morning
	got := scheduleWarnings(cfg, now)
	var want []string
	for _, g := range []string{
		"Mon 2026-12-07 17:00 – Tue 09:00 Europe/Oslo (16:00 – 08:00 UTC)",
		"Tue 2026-12-08 17:00 – Wed 09:00 Europe/Oslo (16:00 – 08:00 UTC)",
		"Wed 2026-12-09 17:00 – Thu 09:00 Europe/Oslo (16:00 – 08:00 UTC)",
		"Thu 2026-12-10 17:00 – Fri 09:00 Europe/Oslo (16:00 – 08:00 UTC)",
		"Fri 2026-12-11 17:00 – Sat 09:00 Europe/Oslo (16:00 – 08:00 UTC)",
		"Sat 2026-12-12 12:00 – Mon 09:00 Europe/Oslo (11:00 – 08:00 UTC)",
		"Mon 2026-12-14 17:00 – Tue 09:00 Europe/Oslo (16:00 – 08:00 UTC)",
		"Tue 2026-12-15 17:00 – Wed 09:00 Europe/Oslo (16:00 – 08:00 UTC)",
		"Wed 2026-12-16 17:00 – Thu 09:00 Europe/Oslo (16:00 – 08:00 UTC)",
		"Thu 2026-12-17 17:00 – Fri 09:00 Europe/Oslo (16:00 – 08:00 UTC)",
		"Fri 2026-12-18 17:00 – Mon 09:00 Europe/Oslo (16:00 – 08:00 UTC)",
	} {
		want = append(want, `warning: schedule "support": nobody on call `+g)
	}
	// The window ends Mon 21 10:00, inside office hours: no gap there.
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}

	// Covering Tuesdays only, the last gap reaches the window's end and
	// says so.
	cfg.Schedules[0].Overrides = nil
	cfg.Schedules[0].Layers[0].Restrict.Days = []string{"tue"}
	got = scheduleWarnings(cfg, now)
	if n := len(got); n == 0 || !strings.HasSuffix(got[n-1], "(the 14 days checked end there)") {
		t.Errorf("last warning does not say the window ends: %q", got)
	}
}

// TestCLIValidateWarnsOfGaps runs `tocsin validate` on a schedule that
// covers weekday office hours only: gaps are warnings on stderr, the
// summary is printed and the exit status stays 0.
func TestCLIValidateWarnsOfGaps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, schedulesConfig)
	code, stdout, stderr := runCLI(t, "", "validate", "--config", path)
	if code != 0 || !strings.Contains(stdout, ": OK (") {
		t.Fatalf("validate: exit %d, want 0\n%s%s", code, stdout, stderr)
	}
	// Every 14 days hold at least one weekend.
	for _, want := range []string{`warning: schedule "support": nobody on call `, " Europe/Oslo (", " UTC)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("validate output lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr, `"always"`) {
		t.Errorf("a schedule with someone always on call has warnings:\n%s", stderr)
	}
}
