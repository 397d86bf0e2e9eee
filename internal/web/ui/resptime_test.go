package ui

import (
	"testing"
	"time"
)

func TestRespTime(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "0s",
		1400 * time.Millisecond:         "1s",
		time.Minute:                     "1m",
		4*time.Minute + 30*time.Second:  "4m30s",
		59*time.Minute + 59*time.Second: "59m59s",
		time.Hour:                       "1h",
		2*time.Hour + 15*time.Minute + 20*time.Second: "2h15m",
		23*time.Hour + 59*time.Minute:                 "23h59m",
		24 * time.Hour:                                "1d",
		3*24*time.Hour + 2*time.Hour + 20*time.Minute: "3d 2h",
	} {
		if got := respTime(d); got != want {
			t.Errorf("respTime(%v) = %q, want %q", d, got, want)
		}
	}
}
