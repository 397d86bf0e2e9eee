package app

import (
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/oncall"
)

// gapWindow is how far ahead `tocsin validate` looks for on-call gaps: two
// weeks covers the next rota change of a weekly rotation with room to fix it.
const gapWindow = 14 * 24 * time.Hour

// scheduleWarnings returns, in words, every gap (nobody on call) of each
// schedule in the gapWindow after now. They are warnings: a schedule may
// mean to cover office hours only.
func scheduleWarnings(cfg *config.Config, now time.Time) []string {
	now = now.Truncate(time.Minute)
	var out []string
	for _, cs := range cfg.Schedules {
		s, err := oncall.FromConfig(cs)
		if err != nil {
			// Validation accepted it, so this cannot happen; say so rather
			// than hide it.
			out = append(out, fmt.Sprintf("warning: %v", err))
			continue
		}
		for _, g := range oncall.Gaps(s, now, now.Add(gapWindow)) {
			w := fmt.Sprintf("warning: schedule %q: nobody on call %s", cs.ID, g.Describe(s.Loc))
			if g.To.Equal(now.Add(gapWindow)) {
				w += fmt.Sprintf(" (the %d days checked end there)", int(gapWindow.Hours()/24))
			}
			out = append(out, w)
		}
	}
	return out
}
