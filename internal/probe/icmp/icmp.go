// Package icmp is the ICMP echo (ping) probe: a few echo requests, with
// loss and round-trip limits. It uses unprivileged ICMP sockets when the
// kernel allows them (net.ipv4.ping_group_range on Linux), raw sockets
// otherwise, and says which permission is missing when neither works.
package icmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// Prober runs the icmp check of one monitor.
type Prober struct {
	host               string
	count              int
	interval           time.Duration
	warnLoss, critLoss float64
	warnRTT, critRTT   time.Duration
	modes              []bool // privileged values to try, in order
	now                func() time.Time
	// run sends the echoes; tests replace it to see what happens when
	// sockets are refused.
	run func(ctx context.Context, pg *probing.Pinger) error
	// groupRange is the file that says which groups may open unprivileged
	// ICMP sockets, quoted when neither kind of socket is allowed.
	groupRange string
}

// New provisions an icmp prober from its block.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("icmp check has no icmp block")
	}
	if err := config.JoinFieldErrors("icmp", c.Validate(nil)); err != nil {
		return nil, err
	}
	p := &Prober{host: c.Host, count: c.Count, interval: c.PacketInterval.D(),
		warnLoss: DefaultWarnLoss, critLoss: DefaultCritLoss,
		warnRTT: c.WarnRTT.D(), critRTT: c.CritRTT.D(), now: time.Now, groupRange: pingGroupRange,
		run: func(ctx context.Context, pg *probing.Pinger) error { return pg.RunWithContext(ctx) }}
	if c.WarnLoss != nil {
		p.warnLoss = *c.WarnLoss
	}
	if c.CritLoss != nil {
		p.critLoss = *c.CritLoss
	}
	switch c.Privileged {
	case "true":
		p.modes = []bool{true}
	case "false":
		p.modes = []bool{false}
	default:
		p.modes = []bool{false, true}
	}
	return p, nil
}

// socketError is a failure to open an ICMP socket in one mode.
type socketError struct {
	privileged bool
	err        error
}

// Probe resolves the host and sends the echo requests.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	// The prefix names the address once it is resolved, so the reasons
	// carry it themselves.
	run := probe.Begin(p.now, "", nil)
	res, finish := &run.Res, run.Finish
	prefix := "icmp " + p.host + ": "

	ip, err := p.resolve(ctx)
	if err != nil {
		return finish(probe.FailureStatus(err), prefix+probe.ErrorReason(err))
	}
	target := p.host
	if ip.String() != p.host {
		target = fmt.Sprintf("%s (%s)", p.host, ip)
		prefix = "icmp " + target + ": "
	}

	var refused []socketError
	for _, privileged := range p.modes {
		pg := probing.New(p.host)
		pg.SetIPAddr(&net.IPAddr{IP: ip})
		pg.SetPrivileged(privileged)
		pg.Count = p.count
		pg.Interval = p.interval
		pg.RecordRtts = false
		if d, ok := ctx.Deadline(); ok {
			pg.Timeout = time.Until(d)
		}
		err := p.run(ctx, pg)
		st := pg.Statistics()
		if err != nil && st.PacketsSent == 0 && ctx.Err() == nil && isPermission(err) {
			refused = append(refused, socketError{privileged, err})
			continue
		}
		if st.PacketsSent == 0 {
			if err == nil {
				err = ctx.Err()
			}
			return finish(probe.FailureStatus(err), prefix+"no echo request sent: "+probe.ErrorReason(err))
		}
		status, reason, metrics := p.judge(st, prefix, target, privileged)
		res.Metrics = metrics
		return finish(status, reason)
	}
	return finish(probe.Unknown, prefix+"cannot send ICMP: "+missingPermission(refused, p.groupRange))
}

// judge turns the statistics into a status and reason.
func (p *Prober) judge(st *probing.Statistics, prefix, target string, privileged bool) (probe.Status, string, []probe.Metric) {
	loss := st.PacketLoss
	rtt := fmt.Sprintf("rtt min/avg/max %s/%s/%s", ms(st.MinRtt), ms(st.AvgRtt), ms(st.MaxRtt))
	via := "unprivileged ICMP"
	if privileged {
		via = "raw socket"
	}
	metrics := []probe.Metric{
		{Name: "loss", Value: round(loss), Unit: "%", Warn: fmt.Sprint(round(p.warnLoss)), Crit: fmt.Sprint(round(p.critLoss)), Min: "0", Max: "100"},
		{Name: "received", Value: float64(st.PacketsRecv), Min: "0", Max: fmt.Sprint(st.PacketsSent)},
	}
	if st.PacketsRecv > 0 {
		metrics = append(metrics,
			probe.Metric{Name: "rtt_avg", Value: st.AvgRtt.Seconds(), Unit: "s", Warn: secs(p.warnRTT), Crit: secs(p.critRTT), Min: "0"},
			probe.Metric{Name: "rtt_max", Value: st.MaxRtt.Seconds(), Unit: "s", Min: "0"})
	}
	set := func(status probe.Status, reason string) (probe.Status, string, []probe.Metric) {
		return status, reason, metrics
	}
	lost := st.PacketsSent - st.PacketsRecv
	switch {
	case st.PacketsRecv == 0:
		return set(probe.Critical, fmt.Sprintf("%sno reply to %d echo requests (100%% loss)", prefix, st.PacketsSent))
	case lost > 0 && loss >= p.critLoss:
		return set(probe.Critical, fmt.Sprintf("%s%d of %d echo requests lost (%s loss, critical at %s), %s", prefix, lost, st.PacketsSent, pct(loss), pct(p.critLoss), rtt))
	case p.critRTT > 0 && st.AvgRtt > p.critRTT:
		return set(probe.Critical, fmt.Sprintf("%saverage round trip %s, critical above %s (%s)", prefix, ms(st.AvgRtt), ms(p.critRTT), rtt))
	case lost > 0 && loss >= p.warnLoss:
		return set(probe.Warning, fmt.Sprintf("%s%d of %d echo requests lost (%s loss, warning at %s), %s", prefix, lost, st.PacketsSent, pct(loss), pct(p.warnLoss), rtt))
	case p.warnRTT > 0 && st.AvgRtt > p.warnRTT:
		return set(probe.Warning, fmt.Sprintf("%saverage round trip %s, warning above %s (%s)", prefix, ms(st.AvgRtt), ms(p.warnRTT), rtt))
	}
	return set(probe.OK, fmt.Sprintf("%d/%d replies from %s, %s loss, %s, via %s", st.PacketsRecv, st.PacketsSent, target, pct(loss), rtt, via))
}

// resolve returns the host's address, preferring IPv4, bounded by ctx.
func (p *Prober) resolve(ctx context.Context) (net.IP, error) {
	if ip := net.ParseIP(p.host); ip != nil {
		return ip, nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, p.host)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if a.IP.To4() != nil {
			return a.IP, nil
		}
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: p.host}
	}
	return addrs[0].IP, nil
}

// isPermission reports whether err means the socket was not allowed, as
// opposed to a network problem.
func isPermission(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPROTONOSUPPORT) || errors.Is(err, os.ErrPermission)
}

// pingGroupRange is where Linux says which groups may open unprivileged
// ICMP sockets.
const pingGroupRange = "/proc/sys/net/ipv4/ping_group_range"

// missingPermission says, for a person, which permission is missing.
func missingPermission(refused []socketError, groupRange string) string {
	var parts []string
	for _, r := range refused {
		cause := probe.ErrorReason(r.err)
		if r.privileged {
			parts = append(parts, "raw ICMP sockets need CAP_NET_RAW (run `setcap cap_net_raw+ep` on the tocsin binary, or AmbientCapabilities=CAP_NET_RAW in its systemd unit): "+cause)
			continue
		}
		msg := "unprivileged ICMP is not allowed"
		if data, err := os.ReadFile(groupRange); err == nil {
			msg += fmt.Sprintf(" (net.ipv4.ping_group_range is %q, which must include group %d: sysctl -w net.ipv4.ping_group_range=\"0 2147483647\")", strings.TrimSpace(strings.ReplaceAll(string(data), "\t", " ")), os.Getgid())
		}
		parts = append(parts, msg+": "+cause)
	}
	return strings.Join(parts, "; and ")
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

func secs(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprint(d.Seconds())
}

func pct(v float64) string { return fmt.Sprintf("%g%%", round(v)) }

func round(v float64) float64 { return float64(int(v*10+0.5)) / 10 }

var _ probe.Prober = (*Prober)(nil)
