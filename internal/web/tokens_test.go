package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tocsin/tocsin/internal/web/api"
)

func TestAPIAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	c := e.setup()
	anon := e.client()

	r := e.get(anon, "/api/v1/monitors")
	if r.status != http.StatusUnauthorized || apiError(t, r).Code != "unauthorized" {
		t.Fatalf("anonymous API call: %d %s", r.status, r.body)
	}
	if r.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	for _, h := range []string{"Bearer tocsin_nonsense", "Basic YWRtaW46eA==", "Bearer"} {
		r := e.do(anon, "GET", "/api/v1/monitors", nil, map[string]string{"Authorization": h})
		if r.status != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", h, r.status)
		}
	}
	// A session cookie works for the API too.
	if r := e.get(c, "/api/v1/monitors"); r.status != 200 {
		t.Fatalf("API with a session: %d %s", r.status, r.body)
	}
	tok := e.token(c, "ci")
	if !strings.HasPrefix(tok, tokenPrefix) {
		t.Fatalf("token %q lacks the prefix", tok)
	}
	if r := e.do(anon, "GET", "/api/v1/monitors", nil, bearer(tok)); r.status != 200 {
		t.Fatalf("API with a bearer token: %d %s", r.status, r.body)
	}
	// Listing shows the token's prefix and last use, never the secret.
	r = e.do(anon, "GET", "/api/v1/tokens", nil, bearer(tok))
	var toks api.List[api.Token]
	if err := json.Unmarshal([]byte(r.body), &toks); err != nil || len(toks.Data) != 1 {
		t.Fatalf("token list: %s", r.body)
	}
	got := toks.Data[0]
	if got.Token != "" || got.Name != "ci" || !strings.HasPrefix(tok, got.Prefix) || got.LastUsedAt == nil {
		t.Errorf("listed token = %+v", got)
	}
	if strings.Contains(r.body, tok) {
		t.Error("the token list leaks the secret")
	}
	// Tokens are stored hashed.
	if _, err := e.store.APITokenByHash(context.Background(), hashSecret(tok)); err != nil {
		t.Errorf("token not found by its hash: %v", err)
	}
	r = e.do(anon, "DELETE", fmt.Sprintf("/api/v1/tokens/%d", got.ID), nil, bearer(tok))
	if r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := e.do(anon, "GET", "/api/v1/monitors", nil, bearer(tok)); r.status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", r.status)
	}
}
