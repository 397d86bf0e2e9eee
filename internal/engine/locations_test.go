package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// round is one result per location, in the order campus-internal,
// external-eu, external-us; "" sends none from that location.
type round [3]string

var locNames = [3]string{"campus-internal", "external-eu", "external-us"}

// outcome turns a word into a result: ok, warn, timeout, refused, unknown.
func outcome(word string) (probe.Status, string) {
	switch word {
	case "ok":
		return probe.OK, "connected in 3ms"
	case "warn":
		return probe.Warning, "connected in 900ms"
	case "timeout":
		return probe.Critical, "tcp vpn.example.edu:22: timed out after 10s"
	case "refused":
		return probe.Critical, "tcp vpn.example.edu:22: connect: connection refused"
	case "unknown":
		return probe.Unknown, "the agent could not run the check"
	}
	panic("unknown outcome " + word)
}

// runLocations feeds rounds of results for monitor "vpn" of three
// locations through Submit into an engine writing to a real store, one
// round a minute from 09:40 UTC, and returns the stored transitions
// (oldest first, "from>to: reason") and notifications' events.
func runLocations(t *testing.T, driver string, dw config.DownWhen, live func(string) bool, rounds []round) (trans, events []string, st store.Store, e *Engine) {
	t.Helper()
	start := time.Date(2026, 3, 2, 9, 40, 0, 0, time.UTC)
	now := func() time.Time { return start.Add(time.Hour) }
	db := openTestStore(t, driver, now)
	e = New(Options{Store: db, Now: now, NewID: counter(), LocationLive: live, FlushInterval: time.Hour}, nil)
	cfg := routeConfig()
	m := &cfg.Monitors[0]
	m.ID, m.FailureThreshold, m.SuccessThreshold = "vpn", 2, 1
	m.Locations, m.DownWhen = locNames[:], dw
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	for i, r := range rounds {
		for j, word := range r {
			if word == "" {
				continue
			}
			status, reason := outcome(word)
			loc := locNames[j]
			e.Submit(ctx, probe.Result{MonitorID: "vpn", Time: start.Add(time.Duration(i)*time.Minute + time.Duration(j)*time.Second),
				Status: status, Reason: reason, Duration: time.Duration(j+1) * time.Millisecond, Location: loc})
		}
	}
	e.Close()
	<-done
	ts, err := db.Transitions(ctx, "vpn", store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(ts) - 1; i >= 0; i-- {
		trans = append(trans, fmt.Sprintf("%s>%s: %s", ts[i].From, ts[i].To, ts[i].Reason))
	}
	msgs, err := db.OutboxMessages(ctx, "vpn", store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := len(msgs) - 1; i >= 0; i-- {
		if ev := msgs[i].Event.Event + " " + msgs[i].Event.Reason; !seen[ev] {
			seen[ev] = true
			events = append(events, ev)
		}
	}
	return trans, events, db, e
}

// TestLocationsQuorum runs one monitor from three locations with each
// quorum; only the combined state moves, through the usual transitions
// and notifications, and it says which locations fail and how.
func TestLocationsQuorum(t *testing.T) {
	for _, driver := range []string{sqlstore.DriverSQLite, sqlstore.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			outside := []round{
				{"ok", "ok", "ok"},
				{"ok", "timeout", "refused"},
				{"ok", "timeout", "refused"},
				{"ok", "ok", "ok"},
			}
			// The first result, from campus-internal, decides: the
			// others have none yet and do not count.
			const first = "pending>up: up from campus-internal; unknown from external-eu and external-us"
			cases := []struct {
				name   string
				dw     config.DownWhen
				live   func(string) bool
				rounds []round
				want   []string
			}{
				{"any", config.DownWhen{}, nil, outside, []string{
					first,
					// external-eu's second failure comes in first and
					// decides; external-us is not yet down.
					"up>down: reachable from campus-internal and external-us, timed out at tcp connect from external-eu since 09:41 UTC: " +
						"a network path or firewall change is likely",
					// Up once the last failing location passes again.
					"down>up: recovered: up from campus-internal, external-eu and external-us (down for 1m1s)",
				}},
				{"all: inside still passes", config.DownWhen{Mode: config.DownWhenAll}, nil, outside, []string{
					first,
				}},
				{"all: everywhere", config.DownWhen{Mode: config.DownWhenAll}, nil, []round{
					{"ok", "ok", "ok"}, {"refused", "refused", "refused"}, {"refused", "refused", "refused"},
				}, []string{
					first,
					"up>down: refused from campus-internal, external-eu and external-us since 09:41 UTC",
				}},
				{"at least 2: one", config.DownWhen{Mode: config.DownWhenAtLeast, AtLeast: 2}, nil, []round{
					{"ok", "ok", "ok"}, {"ok", "timeout", "ok"}, {"ok", "timeout", "ok"}, {"ok", "timeout", "refused"},
				}, []string{
					first,
				}},
				{"at least 2: two", config.DownWhen{Mode: config.DownWhenAtLeast, AtLeast: 2}, nil, []round{
					{"ok", "ok", "ok"}, {"ok", "timeout", "ok"}, {"ok", "timeout", "refused"}, {"ok", "timeout", "refused"},
				}, []string{
					first,
					"up>down: reachable from campus-internal, failing from external-eu and external-us since 09:41 UTC " +
						"(external-eu: timed out at tcp connect; external-us: refused): a network path or firewall change is likely",
				}},
				{"unknown results do not page", config.DownWhen{}, nil, []round{
					{"ok", "ok", "ok"}, {"ok", "unknown", "unknown"}, {"ok", "unknown", "unknown"}, {"ok", "unknown", "unknown"},
				}, []string{
					first,
				}},
				{"a silent location does not page", config.DownWhen{}, func(l string) bool { return l != "external-us" }, []round{
					{"ok", "ok", "refused"}, {"ok", "ok", "refused"}, {"ok", "ok", "refused"},
				}, []string{
					first,
				}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					trans, events, st, e := runLocations(t, driver, c.dw, c.live, c.rounds)
					if diff := cmp.Diff(c.want, trans); diff != "" {
						t.Errorf("transitions (-want +got):\n%s", diff)
					}
					// Notifications follow the combined state: one
					// monitor.down for each down transition, none else.
					downs := 0
					for _, tr := range c.want {
						if strings.HasPrefix(tr, "up>down") {
							downs++
						}
					}
					got := 0
					for _, ev := range events {
						if strings.HasPrefix(ev, "monitor.down ") {
							got++
							if !strings.Contains(ev, " from ") || !strings.Contains(ev, " since 09:4") {
								t.Errorf("down notification without the diagnosis: %s", ev)
							}
						}
					}
					if got != downs {
						t.Errorf("%d monitor.down notifications, want %d: %q", got, downs, events)
					}
					// Every result is stored with its location.
					rs, err := st.Results(context.Background(), "vpn", store.Page{Limit: 100})
					if err != nil {
						t.Fatal(err)
					}
					perLoc := map[string]int{}
					for _, r := range rs {
						perLoc[r.Location]++
					}
					if want := len(c.rounds); perLoc["external-eu"] != want || perLoc["campus-internal"] != want {
						t.Errorf("stored results by location %v, want %d of each", perLoc, want)
					}
					v, _ := e.View("vpn")
					if len(v.Locations) != 3 || v.Locations[0].Location != "campus-internal" || v.Locations[0].Last == nil {
						t.Errorf("view locations %+v", v.Locations)
					}
				})
			}
		})
	}
}

// TestLocationResultFromElsewhere drops a result from a location the
// monitor does not run at: an agent cannot move a monitor it was not
// given.
func TestLocationResultFromElsewhere(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 40, 0, 0, time.UTC)
	e := New(Options{Now: func() time.Time { return at }}, nil)
	cfg := &config.Config{Monitors: []config.Monitor{{ID: "web", Type: "http", Locations: []string{"local", "external-eu"}, FailureThreshold: 1, SuccessThreshold: 1}}}
	if err := e.Apply(cfg, nil); err != nil {
		t.Fatal(err)
	}
	e.evaluate(probe.Result{MonitorID: "web", Time: at, Status: probe.Critical, Location: "external-us"})
	if v, _ := e.View("web"); v.State.Status != monitor.StatusPending || v.Last != nil {
		t.Errorf("a result from external-us moved the monitor: %+v", v.State)
	}
	e.evaluate(probe.Result{MonitorID: "web", Time: at, Status: probe.OK})
	v, _ := e.View("web")
	if v.State.Status != monitor.StatusUp || v.Locations[0].Status != monitor.StatusUp || v.Locations[1].Status != monitor.StatusUnknown {
		t.Errorf("after a result from the server: %+v %+v", v.State, v.Locations)
	}
}
