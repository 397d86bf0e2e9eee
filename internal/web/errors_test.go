package web

import (
	"fmt"
	"net/http"
	"testing"
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

func TestStoreFailureIsInternal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	tok := e.token(c, "ci")
	_ = e.store.Close()
	r := e.do(e.client(), "GET", "/api/v1/monitors", nil, bearer(tok))
	if r.status != http.StatusInternalServerError || apiError(t, r).Message != "internal error" {
		t.Errorf("closed store: %d %s", r.status, r.body)
	}
}
