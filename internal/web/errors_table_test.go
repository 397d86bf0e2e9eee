package web

import (
	"fmt"
	"testing"

	"github.com/tocsin/tocsin/internal/errs"
)

func TestErrorStatusTable(t *testing.T) {
	for code, status := range statusByCode {
		if got, _ := errorStatus(errorf(code)); got != status {
			t.Errorf("%s → %d, want %d", code, got, status)
		}
	}
	if got, code := errorStatus(fmt.Errorf("disk on fire")); got != 500 || code != "internal" {
		t.Errorf("plain error → %d %s", got, code)
	}
}

func errorf(code string) error { return errs.Errorf(code, "test") }
