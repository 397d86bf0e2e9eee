package app

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// freeAddr returns a 127.0.0.1 address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// listen listens on a free port of 127.0.0.1.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// quickstartConfig is examples/quickstart.yaml made private to a test:
// its own ports for Tocsin and the demo target, its own database, and the
// demo monitor checking every 300ms instead of every 10s. It returns the
// config and the listener Tocsin is to serve on.
func quickstartConfig(t *testing.T, driver string) (string, net.Listener) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	cfg := string(b)
	for _, r := range [][2]string{
		{"storage:\n  driver: sqlite\n  dsn: tocsin.db\n", storageYAML(t, driver)},
		{"127.0.0.1:8080", ln.Addr().String()},
		{"127.0.0.1:8081", freeAddr(t)},
		{"    interval: 10s\n    failure_threshold: 2\n", "    interval: 300ms\n    timeout: 250ms\n    failure_threshold: 2\n"},
	} {
		if !strings.Contains(cfg, r[0]) {
			ln.Close()
			t.Fatalf("examples/quickstart.yaml no longer has %q", r[0])
		}
		cfg = strings.ReplaceAll(cfg, r[0], r[1])
	}
	return cfg, ln
}

// TestQuickstartFailureReachesInbox runs the quickstart, toggles the demo
// target to failing the way the overview's "Make it fail" button does, and
// finds the monitor.down notification delivered to the inbox within two
// checks: in the store, on the Inbox page with monitor, service and reason,
// and in GET /api/v1/inbox. On each database.
func TestQuickstartFailureReachesInbox(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			cfg, ln := quickstartConfig(t, driver)
			writeConfig(t, path, cfg)
			r := runApp(t, Options{ConfigPath: path, Listener: ln})
			token, cookie := signIn(t, r.app.Store())
			waitState(t, r.app, "demo-home", monitor.StatusUp)

			req, _ := http.NewRequest("POST", r.url+"/demo/toggle", nil)
			req.AddCookie(&http.Cookie{Name: "tocsin_session", Value: cookie})
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST /demo/toggle: %d, want 303", res.StatusCode)
			}

			down := waitInbox(t, r.app.Store(), notify.EventMonitorDown)
			if e := down.Event; e.MonitorID != "demo-home" || e.ServiceID != "demo" || e.Reason == "" {
				t.Errorf("inbox entry = %+v, want demo-home of service demo with a reason", e)
			}
			// Within two checks: the results stored up to the notification
			// hold no more than two failures.
			rs, err := r.app.Store().Results(t.Context(), "demo-home", store.Page{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			failed := 0
			for _, res := range rs {
				if !res.Time.After(down.Event.Time) && res.Status != probe.OK {
					failed++
				}
			}
			if failed > 2 {
				t.Errorf("the inbox got monitor.down after %d failed checks, want at most 2", failed)
			}
			page := signedIn(t, r.url, "/inbox", true, token, cookie)
			for _, want := range []string{`data-event="monitor.down"`, `data-monitor="demo-home"`, "Demo home page", "Demo service", down.Event.Reason} {
				if !strings.Contains(page, want) {
					t.Errorf("/inbox does not show %q", want)
				}
			}
			var api struct {
				Data []struct {
					Channel   string `json:"channel"`
					Event     string `json:"event"`
					MonitorID string `json:"monitor_id"`
				} `json:"data"`
			}
			body := signedIn(t, r.url, "/api/v1/inbox", false, token, cookie)
			if err := json.Unmarshal([]byte(body), &api); err != nil {
				t.Fatal(err)
			}
			if len(api.Data) == 0 || api.Data[0].Channel != "inbox" || api.Data[0].Event != "monitor.down" || api.Data[0].MonitorID != "demo-home" {
				t.Errorf("GET /api/v1/inbox = %s, want the monitor.down of demo-home first", body)
			}
		})
	}
}

// waitInbox polls the store for the newest inbox entry of event ev that
// the dispatcher has handed to the inbox channel (state sent).
func waitInbox(t *testing.T, st store.Store, ev string) notify.OutboxMessage {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ms, err := st.ChannelMessages(t.Context(), []string{"inbox"}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Event.Event == ev && m.State == notify.StateSent {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %s delivered to the inbox", ev)
	return notify.OutboxMessage{}
}
