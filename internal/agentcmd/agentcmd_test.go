package agentcmd

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func env(stderr *bytes.Buffer, vars map[string]string) Env {
	return Env{Stderr: stderr, Getenv: func(k string) string { return vars[k] }, Version: "test", Name: "tocsin-agent"}
}

// Without a server or token the command says what is missing and exits 2,
// naming itself as it was run.
func TestMainUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--server", "http://127.0.0.1:1"}, {"--nonsense"}, {"--token", "t", "extra"}} {
		var stderr bytes.Buffer
		if code := Main(t.Context(), args, env(&stderr, nil)); code != 2 {
			t.Errorf("Main(%q) = %d, want 2", args, code)
		}
		if !strings.Contains(stderr.String(), "usage:\n  tocsin-agent --server URL") {
			t.Errorf("Main(%q) printed %q, want the usage naming tocsin-agent", args, stderr.String())
		}
	}
}

// A server that refuses the token stops the agent with exit code 3, so a
// service manager does not restart a revoked agent in a loop; the server
// and token come from the environment when no flag gives them.
func TestMainRefusedToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer revoked" {
			t.Errorf("request with Authorization %q, want the token from TOCSIN_AGENT_TOKEN", r.Header.Get("Authorization"))
		}
		http.Error(w, `{"error":"unknown agent token"}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	code := Main(ctx, []string{"--buffer", t.TempDir()}, env(&stderr, map[string]string{
		"TOCSIN_URL": srv.URL, "TOCSIN_AGENT_TOKEN": "revoked", "GOGC": "100", "GOMEMLIMIT": "off",
	}))
	if code != 3 {
		t.Fatalf("Main = %d, want 3; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "tocsin-agent: the server refused this agent's token") {
		t.Errorf("stderr %q does not say the token was refused", stderr.String())
	}
}
