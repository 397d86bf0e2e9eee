package hostcheck

import (
	"testing"
	"time"
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
