package cron

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	ref := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		expr  string
		never bool
		bad   string
	}{
		{expr: "8 10 * * *"},
		{expr: "*/5 * * * * *"},
		{expr: "@daily"},
		{expr: "@weekly"},
		{expr: "0 0 29 2 *"},
		{expr: "0 0 30 2 *", never: true},
		{expr: "0 0 31 4 *", never: true},
		{expr: "0 0 1 1 * 2020", never: true},
		{expr: "", bad: "empty"},
		{expr: "0 0 * * 8", bad: "invalid cron expression"},
		{expr: "hello", bad: "invalid cron expression"},
		{expr: "60 * * * *", bad: "invalid cron expression"},
		{expr: strings.Repeat("1,", 200) + "1 * * * *", bad: "longer than 256"},
	}
	for _, tc := range tests {
		err := Check(tc.expr, time.UTC, ref)
		switch {
		case tc.never:
			if !errors.Is(err, ErrNeverFires) {
				t.Errorf("Check(%q) = %v, want ErrNeverFires", tc.expr, err)
			}
		case tc.bad != "":
			if err == nil || !strings.Contains(err.Error(), tc.bad) {
				t.Errorf("Check(%q) = %v, want an error containing %q", tc.expr, err, tc.bad)
			}
		case err != nil:
			t.Errorf("Check(%q) = %v, want nil", tc.expr, err)
		}
	}
}

func TestLoadLocation(t *testing.T) {
	for _, ok := range []string{"", "UTC", "Europe/Oslo", "America/Argentina/Buenos_Aires"} {
		if _, err := LoadLocation(ok); err != nil {
			t.Errorf("LoadLocation(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"Local", "Mars/Olympus", "../../etc/passwd", "/etc/localtime", "europe/oslo "} {
		if _, err := LoadLocation(bad); err == nil {
			t.Errorf("LoadLocation(%q) accepted", bad)
		}
	}
}
