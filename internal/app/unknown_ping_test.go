package app

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUnknownPing checks how pings to an unknown UUID or slug are
// answered: 200 "OK (not found)" by default, as Healthchecks.io does, and
// 404 "not found" with server.unknown_ping: not_found, so `curl -fsS`
// fails on a mistyped URL. A known heartbeat answers OK either way, and a
// reload switches the mode.
func TestUnknownPing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	cfg := pingConfig(t, "sqlite", "")
	writeConfig(t, path, cfg)
	r := runApp(t, Options{ConfigPath: path, WatchInterval: -1, Now: func() time.Time { return time.Date(2026, 3, 28, 10, 8, 0, 0, time.UTC) }})
	unknown := []string{r.url + "/ping/7bf66975-d4c7-4bf5-bcc8-b8d8a82ea278", r.url + "/ping/" + hbPingKey + "/unknown"}
	check := func(mode string, status int, body string) {
		t.Helper()
		for _, u := range unknown {
			if got := doPing(t, "GET", u, nil); got.status != status || got.body != body {
				t.Errorf("%s: GET %s = %d %q, want %d %q", mode, u, got.status, got.body, status, body)
			}
		}
		if got := doPing(t, "GET", r.url+"/ping/"+hbUUID, nil); got.status != http.StatusOK || got.body != "OK" {
			t.Errorf("%s: a known heartbeat answers %d %q, want 200 OK", mode, got.status, got.body)
		}
	}
	check("default", http.StatusOK, "OK (not found)")

	writeConfig(t, path, strings.Replace(cfg, "  pings:\n", "  unknown_ping: not_found\n  pings:\n", 1))
	if err := r.app.Reload(context.Background()); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	check("not_found", http.StatusNotFound, "not found")
}
