package alert

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
)

func TestGroup(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	policy := config.EscalationPolicy{ID: "support", Steps: []config.EscalationStep{
		{After: config.Duration(30 * time.Second), Notify: []string{"person:ana"}},
		{After: config.Duration(15 * time.Minute), Notify: []string{"team:apps"}},
	}}
	policies := func(svc string) (config.EscalationPolicy, bool) {
		if svc == "web" {
			return policy, true
		}
		return config.EscalationPolicy{}, false
	}
	tests := []struct {
		name     string
		groupBy  string
		wait     time.Duration
		interval time.Duration
		mon      string
		from, to monitor.Status
		want     *Change
	}{
		{name: "down opens or joins the service's alert, first step after its delay", mon: "home", from: monitor.StatusUp, to: monitor.StatusDown,
			want: &Change{GroupKey: "web", MonitorID: "home", ServiceID: "web", PolicyID: "support", Down: true, Time: at, Reason: "r", FirstStep: at.Add(30 * time.Second), UpdateEvery: DefaultGroupInterval}},
		{name: "group_wait delays the first step", wait: time.Minute, interval: time.Minute, mon: "home", from: monitor.StatusWarning, to: monitor.StatusDown,
			want: &Change{GroupKey: "web", MonitorID: "home", ServiceID: "web", PolicyID: "support", Down: true, Time: at, Reason: "r", FirstStep: at.Add(90 * time.Second), UpdateEvery: time.Minute}},
		{name: "group_by monitor", groupBy: "monitor", mon: "home", from: monitor.StatusPending, to: monitor.StatusDown,
			want: &Change{GroupKey: "monitor:home", MonitorID: "home", ServiceID: "web", PolicyID: "support", Down: true, Time: at, Reason: "r", FirstStep: at.Add(30 * time.Second), UpdateEvery: DefaultGroupInterval}},
		{name: "a monitor without service has its own alert and no policy", mon: "lonely", from: monitor.StatusUp, to: monitor.StatusDown,
			want: &Change{GroupKey: "monitor:lonely", MonitorID: "lonely", Down: true, Time: at, Reason: "r", UpdateEvery: DefaultGroupInterval}},
		{name: "a service without policy: the alert is kept, nobody paged", mon: "silent", from: monitor.StatusUp, to: monitor.StatusDown,
			want: &Change{GroupKey: "quiet", MonitorID: "silent", ServiceID: "quiet", Down: true, Time: at, Reason: "r", UpdateEvery: DefaultGroupInterval}},
		{name: "up recovers", mon: "home", from: monitor.StatusDown, to: monitor.StatusUp,
			want: &Change{GroupKey: "web", MonitorID: "home", ServiceID: "web", Time: at, Reason: "r", UpdateEvery: DefaultGroupInterval}},
		{name: "pausing recovers", mon: "home", from: monitor.StatusDown, to: monitor.StatusPaused,
			want: &Change{GroupKey: "web", MonitorID: "home", ServiceID: "web", Time: at, Reason: "paused", UpdateEvery: DefaultGroupInterval}},
		{name: "a warning pages nobody", mon: "home", from: monitor.StatusUp, to: monitor.StatusWarning},
		{name: "down to warning stays failing", mon: "home", from: monitor.StatusDown, to: monitor.StatusWarning},
		{name: "flapping changes nothing", mon: "home", from: monitor.StatusDown, to: monitor.StatusDown},
		{name: "pending changes nothing", mon: "home", from: monitor.StatusUp, to: monitor.StatusPending},
		{name: "a first state of up changes nothing", mon: "home", from: monitor.StatusPending, to: monitor.StatusUp},
		{name: "resuming changes nothing", mon: "home", from: monitor.StatusPaused, to: monitor.StatusUp},
		{name: "pausing a healthy monitor changes nothing", mon: "home", from: monitor.StatusUp, to: monitor.StatusPaused},
		{name: "warning to up recovers", mon: "home", from: monitor.StatusWarning, to: monitor.StatusUp,
			want: &Change{GroupKey: "web", MonitorID: "home", ServiceID: "web", Time: at, Reason: "r", UpdateEvery: DefaultGroupInterval}},
		{name: "an unknown monitor changes nothing", mon: "nope", from: monitor.StatusUp, to: monitor.StatusDown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Alerting = config.Alerting{GroupBy: tt.groupBy, GroupWait: config.Duration(tt.wait), GroupInterval: config.Duration(tt.interval)}
			got, ok := Group(cfg, monitor.Transition{MonitorID: tt.mon, From: tt.from, To: tt.to, Time: at, Reason: "r"}, policies)
			if tt.want == nil {
				if ok {
					t.Errorf("Group = %+v, want no change", got)
				}
				return
			}
			if !ok {
				t.Fatal("Group made no change")
			}
			if diff := cmp.Diff(*tt.want, got); diff != "" {
				t.Errorf("Group (-want +got):\n%s", diff)
			}
		})
	}
	if _, ok := Group(nil, monitor.Transition{MonitorID: "home", From: monitor.StatusUp, To: monitor.StatusDown}, nil); ok {
		t.Error("Group with a nil config made a change")
	}
	c, ok := Group(testConfig(), monitor.Transition{MonitorID: "home", From: monitor.StatusUp, To: monitor.StatusDown, Time: at}, nil)
	if !ok || !c.FirstStep.IsZero() || c.PolicyID != "" {
		t.Errorf("Group without policies = %+v, %v; want a change with no step", c, ok)
	}
}

// TestImpactCycle: services that depend on each other, both down, end the
// search where the cycle closes.
func TestImpactCycle(t *testing.T) {
	cfg := &config.Config{
		Services: []config.Service{{ID: "a", DependsOn: []string{"b"}}, {ID: "b", DependsOn: []string{"a"}}},
		Monitors: []config.Monitor{{ID: "ma", Service: "a"}, {ID: "mb", Service: "b"}},
	}
	down := func(string) (monitor.State, bool) { return monitor.State{Status: monitor.StatusDown}, true }
	c, _ := Group(cfg, monitor.Transition{MonitorID: "ma", From: monitor.StatusUp, To: monitor.StatusDown}, nil)
	got := Impact(cfg, c, down, nil)
	if got.ImpactedBy != "service:b" || got.GroupKey != "b" {
		t.Errorf("Impact in a cycle = %+v, want put down to b", got)
	}
	if rs := Released(cfg, monitor.Transition{MonitorID: "ma", From: monitor.StatusDown, To: monitor.StatusUp}, down, nil); len(rs) != 0 {
		t.Errorf("Released while everything is down = %+v", rs)
	}
}
