package alert

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/notify"
)

func testConfig() *config.Config {
	return &config.Config{
		Channels: []config.Channel{
			{ID: "ops-hook", Type: "webhook"},
			{ID: "ops-mail", Type: "email", Events: []string{"monitor.down", "monitor.up"}},
			{ID: "pager", Type: "webhook", Events: []string{"monitor.down"}},
			{ID: "all-monitor", Type: "webhook", Events: []string{"monitor.flapping", "monitor.down"}},
		},
		Services: []config.Service{
			{ID: "web", Name: "Website", Channels: []string{"ops-hook", "ops-mail"}},
			{ID: "quiet", Name: "Quiet"},
		},
		Monitors: []config.Monitor{
			{ID: "home", Name: "Home page", Service: "web", Channels: []string{"pager", "ops-hook"}},
			{ID: "lonely", Name: "No service", Channels: []string{"all-monitor"}},
			{ID: "silent", Name: "Nobody listens", Service: "quiet"},
			{ID: "ghost-channel", Service: "quiet", Channels: []string{"removed"}},
		},
	}
}

func TestEventName(t *testing.T) {
	tests := []struct {
		from, to monitor.Status
		flapping bool
		want     string // "" means not notified
	}{
		{monitor.StatusUp, monitor.StatusDown, false, "monitor.down"},
		{monitor.StatusWarning, monitor.StatusDown, false, "monitor.down"},
		{monitor.StatusPending, monitor.StatusDown, false, "monitor.down"},
		{monitor.StatusDown, monitor.StatusUp, false, "monitor.up"},
		{monitor.StatusWarning, monitor.StatusUp, false, "monitor.up"},
		{monitor.StatusPending, monitor.StatusUp, false, ""},
		{monitor.StatusUp, monitor.StatusWarning, false, "monitor.warning"},
		{monitor.StatusDown, monitor.StatusWarning, false, "monitor.warning"},
		{monitor.StatusPending, monitor.StatusWarning, false, "monitor.warning"},
		{monitor.StatusDown, monitor.StatusDown, true, "monitor.flapping"},
		{monitor.StatusUp, monitor.StatusUp, false, "monitor.flapping"},
		{monitor.StatusUp, monitor.StatusPaused, false, ""},
		{monitor.StatusDown, monitor.StatusPaused, false, ""},
		{monitor.StatusPaused, monitor.StatusUp, false, ""},
		{monitor.StatusPaused, monitor.StatusDown, false, ""},
		{monitor.StatusPaused, monitor.StatusPaused, false, ""},
		{monitor.StatusUp, monitor.StatusPending, false, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s→%s", tt.from, tt.to), func(t *testing.T) {
			got, ok := EventName(monitor.Transition{From: tt.from, To: tt.to, Flapping: tt.flapping})
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("EventName = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

func TestSubscribed(t *testing.T) {
	tests := []struct {
		events []string
		event  string
		want   bool
	}{
		{nil, "monitor.down", true},
		{[]string{"monitor.down"}, "monitor.down", true},
		{[]string{"monitor.down"}, "monitor.up", false},
		{[]string{"monitor.up", "monitor.down"}, "monitor.down", true},
		{[]string{"monitor.do"}, "monitor.down", false},
	}
	for _, tt := range tests {
		if got := Subscribed(tt.events, tt.event); got != tt.want {
			t.Errorf("Subscribed(%q, %q) = %v, want %v", tt.events, tt.event, got, tt.want)
		}
	}
}

func TestRaise(t *testing.T) {
	at := time.Date(2025, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
	utc := at.UTC()
	event := func(name, mon, monName, svc, svcName string, from, to monitor.Status, url string) notify.Event {
		return notify.Event{
			Event: name, MonitorID: mon, MonitorName: monName, ServiceID: svc, ServiceName: svcName,
			Status: string(to), PreviousStatus: string(from), Reason: "GET https://x/: 503, expected 200",
			Time: utc, URL: url,
		}
	}
	down := event("monitor.down", "home", "Home page", "web", "Website", monitor.StatusUp, monitor.StatusDown,
		"https://tocsin.example/monitors/home")
	up := event("monitor.up", "home", "Home page", "web", "Website", monitor.StatusDown, monitor.StatusUp,
		"https://tocsin.example/monitors/home")

	tests := []struct {
		name    string
		mon     string
		from    monitor.Status
		to      monitor.Status
		flap    bool
		baseURL string
		want    *Alert // nil: not raised
	}{
		{
			name: "down goes to service channels then monitor's own, deduplicated",
			mon:  "home", from: monitor.StatusUp, to: monitor.StatusDown, baseURL: "https://tocsin.example/",
			want: &Alert{Event: down, Channels: []string{"ops-hook", "ops-mail", "pager"}},
		},
		{
			name: "up skips channels that only want down",
			mon:  "home", from: monitor.StatusDown, to: monitor.StatusUp, baseURL: "https://tocsin.example",
			want: &Alert{Event: up, Channels: []string{"ops-hook", "ops-mail"}},
		},
		{
			name: "warning reaches only channels with no filter",
			mon:  "home", from: monitor.StatusUp, to: monitor.StatusWarning,
			want: &Alert{Event: event("monitor.warning", "home", "Home page", "web", "Website",
				monitor.StatusUp, monitor.StatusWarning, ""), Channels: []string{"ops-hook"}},
		},
		{
			name: "flapping carries the status and the flag",
			mon:  "lonely", from: monitor.StatusDown, to: monitor.StatusDown, flap: true, baseURL: "http://h:8080",
			want: func() *Alert {
				e := event("monitor.flapping", "lonely", "No service", "", "",
					monitor.StatusDown, monitor.StatusDown, "http://h:8080/monitors/lonely")
				e.Flapping = true
				return &Alert{Event: e, Channels: []string{"all-monitor"}}
			}(),
		},
		{name: "first result up is not notified", mon: "home", from: monitor.StatusPending, to: monitor.StatusUp},
		{name: "pausing is not notified", mon: "home", from: monitor.StatusDown, to: monitor.StatusPaused},
		{name: "resuming is not notified", mon: "home", from: monitor.StatusPaused, to: monitor.StatusDown},
		{
			name: "no channels", mon: "silent", from: monitor.StatusUp, to: monitor.StatusDown,
			want: &Alert{Event: event("monitor.down", "silent", "Nobody listens", "quiet", "Quiet",
				monitor.StatusUp, monitor.StatusDown, "")},
		},
		{
			name: "unknown channel is skipped", mon: "ghost-channel", from: monitor.StatusUp, to: monitor.StatusDown,
			want: &Alert{Event: event("monitor.down", "ghost-channel", "", "quiet", "Quiet",
				monitor.StatusUp, monitor.StatusDown, "")},
		},
		{name: "unknown monitor", mon: "deleted", from: monitor.StatusUp, to: monitor.StatusDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := monitor.Transition{
				MonitorID: tt.mon, From: tt.from, To: tt.to, Time: at, Flapping: tt.flap,
				Reason: "GET https://x/: 503, expected 200",
			}
			got, ok := Raise(testConfig(), tr, tt.baseURL)
			if ok != (tt.want != nil) {
				t.Fatalf("Raise raised = %v, want %v", ok, tt.want != nil)
			}
			if !ok {
				return
			}
			if diff := cmp.Diff(*tt.want, got); diff != "" {
				t.Errorf("Raise mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRaiseNilConfig(t *testing.T) {
	tr := monitor.Transition{MonitorID: "home", From: monitor.StatusUp, To: monitor.StatusDown}
	if got, ok := Raise(nil, tr, ""); ok {
		t.Errorf("Raise(nil config) = %v, want nothing raised", got)
	}
}

func TestMonitorURL(t *testing.T) {
	tests := []struct{ base, id, want string }{
		{"", "web", ""},
		{"https://t.example", "web", "https://t.example/monitors/web"},
		{"https://t.example/tocsin/", "a b/c", "https://t.example/tocsin/monitors/a%20b%2Fc"},
	}
	for _, tt := range tests {
		if got := MonitorURL(tt.base, tt.id); got != tt.want {
			t.Errorf("MonitorURL(%q, %q) = %q, want %q", tt.base, tt.id, got, tt.want)
		}
	}
}
