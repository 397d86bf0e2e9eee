package app

import (
	"net"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/testkit"
)

// TestLocationsSurviveRestart restarts the server while a monitor is down
// at one of its two locations. The per-location views and the combined
// state come back from the store as they were, and the monitor neither
// recovers nor goes down again: one page, not three.
func TestLocationsSurviveRestart(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
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
					c.Close()
				}
			}()
			hook := testkit.NewWebhook(t)
			path := writeEdgeConfig(t, driver, hook.URL, `monitors:
  - id: ssh
    service: vpn
    interval: 200ms
    timeout: 150ms
    failure_threshold: 2
    locations: [local, external-eu]
    tcp: {address: "`+ln.Addr().String()+`"}
`)
			// report keeps the other location failing, as its agent would.
			report := func(a *App, stop <-chan struct{}) <-chan struct{} {
				done := make(chan struct{})
				go func() {
					defer close(done)
					for {
						a.agents.Seen("edge")
						a.eng.Submit(t.Context(), probe.Result{MonitorID: "ssh", Time: time.Now().UTC(), Status: probe.Critical,
							Reason: "tcp " + ln.Addr().String() + ": connection refused", Location: "external-eu"})
						select {
						case <-stop:
							return
						case <-time.After(200 * time.Millisecond):
						}
					}
				}()
				return done
			}

			r := start(t, path)
			stop := make(chan struct{})
			done := report(r.app, stop)
			hook.WaitFor(t, 20*time.Second, testkit.EventIs("monitor.down", "ssh"))
			close(stop)
			<-done
			r.app.agents.Check(t.Context()) // records when edge was last seen
			before, _ := r.app.eng.View("ssh")
			r.stop()

			r = start(t, path)
			stop = make(chan struct{})
			done = report(r.app, stop)
			defer func() { close(stop); <-done }()
			after, _ := r.app.eng.View("ssh")
			if after.State.Status != monitor.StatusDown {
				t.Errorf("after the restart the monitor is %s, want down", after.State.Status)
			}
			if got, want := statuses(after.Locations), statuses(before.Locations); got != want {
				t.Errorf("after the restart the locations are %s, want %s as before", got, want)
			}
			// Several runs at both locations later: still down, nothing
			// new sent.
			time.Sleep(2 * time.Second)
			after, _ = r.app.eng.View("ssh")
			if after.State.Status != monitor.StatusDown || statuses(after.Locations) != "local=up external-eu=down" {
				t.Errorf("after the restart: %s, locations %s; want down, local=up external-eu=down", after.State.Status, statuses(after.Locations))
			}
			var events []string
			for _, d := range hook.Deliveries() {
				if d.Event["monitor_id"] == "ssh" {
					events = append(events, d.Event["event"].(string))
				}
			}
			if len(events) != 1 {
				t.Errorf("ssh notifications %v, want one monitor.down", events)
			}
		})
	}
}

// statuses shows the per-location states: "local=up external-eu=down".
func statuses(ls []engine.LocationView) string {
	out := ""
	for i, l := range ls {
		if i > 0 {
			out += " "
		}
		out += l.Location + "=" + string(l.Status)
	}
	return out
}
