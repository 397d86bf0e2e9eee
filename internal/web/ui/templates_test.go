package ui

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/web/webcore"
)

func TestRelativeTimes(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &UI{d: Deps{Deps: webcore.Deps{Now: func() time.Time { return base }}}}
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "never"},
		{base, "just now"},
		{base.Add(-12 * time.Second), "12s ago"},
		{base.Add(-3 * time.Minute), "3m ago"},
		{base.Add(-5 * time.Hour), "5h ago"},
		{base.Add(-72 * time.Hour), "3d ago"},
		{base.Add(40 * time.Second), "in 40s"},
	} {
		if got := s.ago(tc.t); got != tc.want {
			t.Errorf("ago(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
	if got := formatPercent(0.99996); got != "99.99%" {
		t.Errorf("formatPercent(0.99996) = %q", got)
	}
}
