package app

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

// bannerOnlyFrom is an SSH-like server that greets connections from
// 127.0.0.1 and resets the others: a service reachable from inside only.
func bannerOnlyFrom(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if ip := c.RemoteAddr().(*net.TCPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
				_ = c.(*net.TCPConn).SetLinger(0) // reset: what a rejecting firewall answers
				c.Close()
				continue
			}
			_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n"))
			c.Close()
		}
	}()
	return ln.Addr().String()
}

// probeFrom connects to addr from the source address src and reads the
// banner, the way an agent at another location would, and words what it
// saw as the tcp probe does.
func probeFrom(src, addr string) probe.Result {
	start := time.Now()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: time.Second}
	r := probe.Result{MonitorID: "ssh", Time: start.UTC(), Status: probe.Critical, Location: "external-eu"}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		r.Reason = "tcp " + addr + ": " + probe.ErrorReason(err)
		r.Duration = time.Since(start)
		return r
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	r.Duration = time.Since(start)
	switch {
	case n > 0 && strings.HasPrefix(string(buf[:n]), "SSH-"):
		r.Status, r.Reason = probe.OK, "got \"SSH-\""
	case err != nil:
		r.Reason = "tcp " + addr + ": reading: " + probe.ErrorReason(err)
	default:
		r.Reason = "tcp " + addr + ": no banner"
	}
	return r
}

// writeEdgeConfig writes a config with the agent edge at external-eu
// (its token in a file), a webhook channel and the service vpn paging it,
// followed by monitors, and returns its path.
func writeEdgeConfig(t *testing.T, driver, hookURL, monitors string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	tokenFile := filepath.Join(dir, "edge.token")
	if err := os.WriteFile(tokenFile, []byte("tocsin_agent-edge-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, path, `server:
  listen: 127.0.0.1:0
`+storageYAML(t, driver)+`
agents:
  - {id: edge, location: external-eu, token_file: `+tokenFile+`}
channels:
  - id: ops-hook
    type: webhook
    webhook:
      url: `+hookURL+`
services:
  - id: vpn
    channels: [ops-hook]
`+monitors)
	return path
}

// TestLocationsEndToEnd runs a monitor from the server and from a second
// location whose results are handed to the engine as an agent's would be.
// The service answers the server and resets the other location: the
// monitor goes down saying it is reachable from local and failing from
// external-eu, and pages through the usual webhook. Monitors that do not
// run at the server's location are not probed by it.
func TestLocationsEndToEnd(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			addr := bannerOnlyFrom(t)
			if r := probeFrom("127.0.0.2", addr); r.Status == probe.OK {
				t.Skip("this host does not route 127.0.0.2")
			}
			hook := testkit.NewWebhook(t)
			path := writeEdgeConfig(t, driver, hook.URL, `monitors:
  - id: ssh
    service: vpn
    interval: 200ms
    timeout: 150ms
    failure_threshold: 2
    locations: [local, external-eu]
    tcp: {address: "`+addr+`", expect: "SSH-"}
  - id: outside-only
    interval: 200ms
    timeout: 150ms
    locations: [external-eu]
    tcp: {address: "`+addr+`"}
  - id: disk
    interval: 200ms
    timeout: 150ms
    agent: db-01
    tcp: {address: "`+addr+`"}
`)
			r := start(t, path)
			a := r.app
			waitState(t, a, "ssh", monitor.StatusUp)

			// The other location reports, as its agent would.
			var sent atomic.Int32
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					select {
					case <-stop:
						return
					case <-time.After(200 * time.Millisecond):
					}
					a.agents.Seen("edge") // the location's agent is live
					a.eng.Submit(t.Context(), probeFrom("127.0.0.2", addr))
					sent.Add(1)
				}
			}()
			down := hook.WaitFor(t, 15*time.Second, testkit.EventIs("monitor.down", "ssh"))
			close(stop)
			<-done
			reason, _ := down.Event["reason"].(string)
			t.Logf("monitor.down: %s", reason)
			for _, want := range []string{"reachable from local", "from external-eu since ", " UTC", "a network path or firewall change is likely"} {
				if !strings.Contains(reason, want) {
					t.Errorf("down reason %q lacks %q", reason, want)
				}
			}
			if !strings.Contains(reason, "reset from external-eu") {
				t.Errorf("down reason %q does not say how external-eu fails", reason)
			}

			v, _ := (*runtime)(a).Monitor("ssh")
			if len(v.Locations) != 2 || v.Locations[0].Status != monitor.StatusUp || v.Locations[1].Status != monitor.StatusDown {
				t.Fatalf("locations %+v, want local up and external-eu down", v.Locations)
			}

			// The API shows each location side by side.
			token, cookie := signIn(t, a.store)
			body := signedIn(t, r.url, "/api/v1/monitors/ssh", false, token, "")
			var got struct {
				Data struct {
					State     struct{ Status string } `json:"state"`
					Locations []struct {
						Location  string   `json:"location"`
						State     string   `json:"state"`
						LatencyMS *float64 `json:"latency_ms"`
						Reason    string   `json:"reason"`
						Time      *string  `json:"time"`
					} `json:"locations"`
				} `json:"data"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			if got.Data.State.Status != "down" || len(got.Data.Locations) != 2 ||
				got.Data.Locations[0].Location != "local" || got.Data.Locations[0].State != "up" || got.Data.Locations[0].LatencyMS == nil ||
				got.Data.Locations[1].Location != "external-eu" || got.Data.Locations[1].State != "down" || got.Data.Locations[1].Time == nil {
				t.Errorf("GET /api/v1/monitors/ssh = %s", body)
			}
			// And the monitor page shows them in a table.
			page := signedIn(t, r.url, "/monitors/ssh", true, "", cookie)
			for _, want := range []string{`id="locations"`, `data-location="local"`, `data-location="external-eu"`, `data-state="down"`} {
				if !strings.Contains(page, want) {
					t.Errorf("monitor page lacks %s", want)
				}
			}

			// The server probed neither the monitor of another location
			// nor the host check of an agent; it stored results of
			// both locations for ssh.
			for _, id := range []string{"outside-only", "disk"} {
				rs, err := a.store.Results(t.Context(), id, store.Page{})
				if err != nil || len(rs) != 0 {
					t.Errorf("%s: %d results stored (%v), want none: the server does not run it", id, len(rs), err)
				}
			}
			rs, err := a.store.Results(t.Context(), "ssh", store.Page{Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			by := map[string]int{}
			for _, x := range rs {
				by[x.Location]++
			}
			if by[""] == 0 || by["external-eu"] == 0 {
				t.Errorf("stored ssh results by location %v, want some of each", by)
			}
		})
	}
}
