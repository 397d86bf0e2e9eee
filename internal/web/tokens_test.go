package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, nil)
	c := e.Setup()
	anon := e.Client()

	r := e.Get(anon, "/api/v1/monitors")
	if r.Status != http.StatusUnauthorized || webtest.APIError(t, r).Code != "unauthorized" {
		t.Fatalf("anonymous API call: %d %s", r.Status, r.Body)
	}
	if r.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	for _, h := range []string{"Bearer tocsin_nonsense", "Basic YWRtaW46eA==", "Bearer"} {
		r := e.Do(anon, "GET", "/api/v1/monitors", nil, map[string]string{"Authorization": h})
		if r.Status != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", h, r.Status)
		}
	}
	// A session cookie works for the API too.
	if r := e.Get(c, "/api/v1/monitors"); r.Status != 200 {
		t.Fatalf("API with a session: %d %s", r.Status, r.Body)
	}
	tok := e.Token(c, "ci")
	if !strings.HasPrefix(tok, web.TokenPrefix) {
		t.Fatalf("token %q lacks the prefix", tok)
	}
	if r := e.Do(anon, "GET", "/api/v1/monitors", nil, webtest.Bearer(tok)); r.Status != 200 {
		t.Fatalf("API with a bearer token: %d %s", r.Status, r.Body)
	}
	// Listing shows the token's prefix and last use, never the secret.
	r = e.Do(anon, "GET", "/api/v1/tokens", nil, webtest.Bearer(tok))
	var toks api.List[api.Token]
	if err := json.Unmarshal([]byte(r.Body), &toks); err != nil || len(toks.Data) != 1 {
		t.Fatalf("token list: %s", r.Body)
	}
	got := toks.Data[0]
	if got.Token != "" || got.Name != "ci" || !strings.HasPrefix(tok, got.Prefix) || got.LastUsedAt == nil {
		t.Errorf("listed token = %+v", got)
	}
	if strings.Contains(r.Body, tok) {
		t.Error("the token list leaks the secret")
	}
	// Tokens are stored hashed.
	if _, err := e.Store.APITokenByHash(context.Background(), web.HashSecret(tok)); err != nil {
		t.Errorf("token not found by its hash: %v", err)
	}
	r = e.Do(anon, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", got.ID), nil, webtest.Bearer(tok))
	if r.Status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	if r := e.Do(anon, "GET", "/api/v1/monitors", nil, webtest.Bearer(tok)); r.Status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", r.Status)
	}
}
