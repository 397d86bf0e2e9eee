package web_test

import (
	"net/http"
	"testing"

	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestStoreFailureIsInternal(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	tok := e.Token(c, "ci")
	_ = e.Store.Close()
	r := e.Do(e.Client(), "GET", "/api/v1/monitors", nil, webtest.Bearer(tok))
	if r.Status != http.StatusInternalServerError || webtest.APIError(t, r).Message != "internal error" {
		t.Errorf("closed store: %d %s", r.Status, r.Body)
	}
}
