package hostcheck

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
)

func TestWords(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Age(3*time.Hour + 12*time.Minute + 20*time.Second), "3h12m"},
		{Age(26 * time.Hour), "26h"},
		{Age(45*time.Minute + 31*time.Second), "46m"},
		{Age(40 * time.Second), "40s"},
		{Age(-5 * time.Second), "0s"},
		{Bytes(3_328_599_654), "3.1 GiB"},
		{Bytes(812), "812 B"},
		{Rate(1.2 * (1 << 30) / 3600), "+1.2 GiB/h"},
		{Rate(-300 * (1 << 20) / 3600), "-300 MiB/h"},
		{Percent(96), "96%"},
		{Percent(95.44), "95.4%"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestMetric(t *testing.T) {
	for _, tc := range []struct {
		m    probe.Metric
		want string
		ok   bool
	}{
		{probe.Metric{Name: "/ free", Value: 3_328_599_654, Unit: "B"}, "3.1 GiB", true},
		{probe.Metric{Name: "growth", Value: 1.2 * (1 << 30), Unit: "B/h"}, "+1.2 GiB/h", true},
		{probe.Metric{Name: "/ full in", Value: 7800, Unit: "s"}, "2h10m", true},
		{probe.Metric{Name: "/ used", Value: 42, Unit: "%"}, "", false},
	} {
		if got, ok := Metric(tc.m); got != tc.want || ok != tc.ok {
			t.Errorf("%+v: %q %v, want %q %v", tc.m, got, ok, tc.want, tc.ok)
		}
	}
}
