package app

import (
	"encoding/json"
	"net"
	"net/http"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// inboxConfig is the quickstart's path from failure to notification: the
// demo target, a service with an owner that notifies an inbox, and a
// monitor confirmed down after two failed checks.
func inboxConfig(t *testing.T, driver, demo string) string {
	return `server:
  listen: 127.0.0.1:0
  demo_target: ` + demo + `
` + storageYAML(t, driver) + `
people:
  - {id: alice, name: Alice Example, email: alice@example.com}
channels:
  - id: inbox
    type: inbox
services:
  - id: demo
    name: Demo service
    owners: [alice]
    channels: [inbox]
monitors:
  - id: demo-home
    name: Demo home page
    service: demo
    type: http
    interval: 300ms
    timeout: 250ms
    failure_threshold: 2
    http:
      url: http://` + demo + `/
      expect:
        body_contains: ok
`
}

// TestDemoFailureReachesInbox toggles the demo target to failing the way
// the overview's "Make it fail" button does and finds the monitor.down
// notification in the inbox: in the store and on the Inbox page, with the
// monitor, service, owners and reason. On each database.
func TestDemoFailureReachesInbox(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, inboxConfig(t, driver, freeAddr(t)))
			r := start(t, path)
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
			if e := down.Event; e.MonitorID != "demo-home" || e.ServiceID != "demo" || len(e.Owners) != 1 || e.Reason == "" {
				t.Errorf("inbox entry = %+v, want demo-home of service demo, its owner and a reason", e)
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
			for _, want := range []string{`data-event="monitor.down"`, `data-monitor="demo-home"`, "Demo home page", "Demo service", "Alice Example", down.Event.Reason} {
				if !strings.Contains(page, want) {
					t.Errorf("/inbox does not show %q", want)
				}
			}
			var api struct {
				Data []struct {
					Channel   string `json:"channel"`
					Event     string `json:"event"`
					MonitorID string `json:"monitor_id"`
					Owners    []struct {
						Name string `json:"name"`
					} `json:"owners"`
				} `json:"data"`
			}
			body := signedIn(t, r.url, "/api/v1/inbox", false, token, cookie)
			if err := json.Unmarshal([]byte(body), &api); err != nil {
				t.Fatal(err)
			}
			if len(api.Data) == 0 || api.Data[0].Channel != "inbox" || api.Data[0].Event != "monitor.down" || api.Data[0].MonitorID != "demo-home" ||
				len(api.Data[0].Owners) != 1 || api.Data[0].Owners[0].Name != "Alice Example" {
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
