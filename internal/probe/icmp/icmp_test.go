package icmp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/testkit"
)

func newProber(t *testing.T, c Check) *Prober {
	t.Helper()
	if c.Count == 0 {
		c.Count = 3
	}
	if c.PacketInterval == 0 {
		c.PacketInterval = config.Duration(10 * time.Millisecond)
	}
	p, err := New(&c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func probeOnce(p *Prober) probe.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Probe(ctx)
}

// TestLoopback pings 127.0.0.1 for real. It is skipped, saying why, only
// when this machine allows neither unprivileged nor raw ICMP.
func TestLoopback(t *testing.T) {
	r := probeOnce(newProber(t, Check{Host: "127.0.0.1", Privileged: "auto"}))
	if r.Status == probe.Unknown && strings.Contains(r.Reason, "cannot send ICMP") {
		testkit.Need{
			Missing: "neither unprivileged nor raw ICMP is permitted here",
			Fix:     `allow unprivileged ICMP (sysctl -w net.ipv4.ping_group_range="0 2147483647") or run as root`,
		}.Unmet(t, errors.New(r.Reason))
	}
	if r.Status != probe.OK || !strings.HasPrefix(r.Reason, "3/3 replies from 127.0.0.1, 0% loss, rtt min/avg/max ") {
		t.Fatalf("got %s %q", r.Status, r.Reason)
	}
	got := map[string]float64{}
	for _, m := range r.Metrics {
		got[m.Name] = m.Value
	}
	if got["loss"] != 0 || got["received"] != 3 || got["rtt_avg"] <= 0 {
		t.Errorf("metrics %+v", r.Metrics)
	}
}

func TestNoPermission(t *testing.T) {
	ranges := filepath.Join(t.TempDir(), "ping_group_range")
	if err := os.WriteFile(ranges, []byte("1\t0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newProber(t, Check{Host: "127.0.0.1", Privileged: "auto"})
	p.groupRange = ranges
	var tried []bool
	p.run = func(_ context.Context, pg *probing.Pinger) error {
		tried = append(tried, pg.Privileged())
		return &os.SyscallError{Syscall: "socket", Err: syscall.EPERM}
	}
	r := probeOnce(p)
	if len(tried) != 2 || tried[0] || !tried[1] {
		t.Errorf("modes tried %v, want unprivileged then raw", tried)
	}
	for _, want := range []string{"icmp 127.0.0.1: cannot send ICMP: unprivileged ICMP is not allowed", `net.ipv4.ping_group_range is "1 0"`, "raw ICMP sockets need CAP_NET_RAW", "socket: operation not permitted"} {
		if !strings.Contains(r.Reason, want) {
			t.Errorf("reason %q does not contain %q", r.Reason, want)
		}
	}
	if r.Status != probe.Unknown {
		t.Errorf("status %s", r.Status)
	}
}

func TestThresholds(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name       string
		c          Check
		sent, recv int
		avg        time.Duration
		status     probe.Status
		reason     string
	}{
		{"all back", Check{}, 3, 3, time.Millisecond, probe.OK, "3/3 replies from gw, 0% loss"},
		{"one lost", Check{}, 3, 2, time.Millisecond, probe.Warning, "icmp gw: 1 of 3 echo requests lost (33.3% loss, warning at 20%)"},
		{"two lost", Check{}, 3, 1, time.Millisecond, probe.Critical, "icmp gw: 2 of 3 echo requests lost (66.7% loss, critical at 60%)"},
		{"none back", Check{}, 3, 0, 0, probe.Critical, "icmp gw: no reply to 3 echo requests (100% loss)"},
		{"zero warn_loss needs a loss", Check{WarnLoss: f(0)}, 3, 3, time.Millisecond, probe.OK, "3/3 replies"},
		{"slow", Check{WarnRTT: config.Duration(5 * time.Millisecond), CritRTT: config.Duration(50 * time.Millisecond)}, 3, 3, 10 * time.Millisecond, probe.Warning, "average round trip 10.00ms, warning above 5.00ms"},
		{"very slow", Check{CritRTT: config.Duration(50 * time.Millisecond)}, 3, 3, 80 * time.Millisecond, probe.Critical, "average round trip 80.00ms, critical above 50.00ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.Host = "gw"
			p := newProber(t, tt.c)
			st := &probing.Statistics{PacketsSent: tt.sent, PacketsRecv: tt.recv, PacketLoss: float64(tt.sent-tt.recv) / float64(tt.sent) * 100, AvgRtt: tt.avg, MinRtt: tt.avg, MaxRtt: tt.avg}
			status, reason, _ := p.judge(st, "icmp gw: ", "gw", true)
			if status != tt.status || !strings.Contains(reason, tt.reason) {
				t.Errorf("got %s %q, want %s containing %q", status, reason, tt.status, tt.reason)
			}
		})
	}
}

func TestUnknownHost(t *testing.T) {
	r := probeOnce(newProber(t, Check{Host: "no-such-host.invalid"}))
	if r.Status != probe.Critical || !strings.Contains(r.Reason, "icmp no-such-host.invalid: lookup no-such-host.invalid") {
		t.Errorf("got %s %q", r.Status, r.Reason)
	}
}

func TestNetworkErrorIsNotAPermissionProblem(t *testing.T) {
	p := newProber(t, Check{Host: "192.0.2.1", Privileged: "auto"})
	calls := 0
	p.run = func(context.Context, *probing.Pinger) error {
		calls++
		return &os.SyscallError{Syscall: "sendto", Err: syscall.ENETUNREACH}
	}
	r := probeOnce(p)
	if calls != 1 || r.Status != probe.Critical || r.Reason != "icmp 192.0.2.1: no echo request sent: sendto: network is unreachable" {
		t.Errorf("%d runs, got %s %q", calls, r.Status, r.Reason)
	}
}
