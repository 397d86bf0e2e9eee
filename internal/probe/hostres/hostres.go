// Package hostres holds the host resource checks: the load average
// (`load`), memory in use (`memory`) and swap in use (`swap`), read from
// /proc/loadavg, /proc/stat and /proc/meminfo of the host the check runs
// on: an agent's, or the server's own. They are Linux checks; elsewhere
// they are Unknown and say why.
package hostres

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/prometheus/procfs"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// DefaultRoot is where the kernel shows its process information.
const DefaultRoot = procfs.DefaultMountPoint

// host reads the kernel's figures under root.
type host struct {
	root string
	goos string
	now  func() time.Time
}

func newHost() host { return host{root: DefaultRoot, goos: runtime.GOOS, now: time.Now} }

// begin starts a run of check what; fs is nil and the run finished as
// Unknown when /proc cannot be read.
func (h host) begin(what string) (*probe.Run, *procfs.FS, *probe.Result) {
	run := probe.Begin(h.now, what+": ", nil)
	if h.goos != "linux" && h.root == DefaultRoot {
		r := run.Fail(probe.Unknown, fmt.Sprintf("%s checks read /proc, which this host (%s) does not have: host checks run on Linux", what, h.goos))
		return run, nil, &r
	}
	fs, err := procfs.NewFS(h.root)
	if err != nil {
		r := run.Fail(probe.Unknown, fmt.Sprintf("cannot read %s: %v", h.root, err))
		return run, nil, &r
	}
	return run, &fs, nil
}

// level is the status of value against warn and crit: at or above crit
// is Critical, at or above warn Warning. It also returns the threshold
// crossed, for the reason.
func level(value, warn, crit float64) (probe.Status, string) {
	switch {
	case value >= crit:
		return probe.Critical, "critical at " + num(crit)
	case value >= warn:
		return probe.Warning, "warning at " + num(warn)
	}
	return probe.OK, "warning at " + num(warn)
}

// num shows a threshold or measure with at most two decimals.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// round2 keeps two decimals of v, as a person reads a load or a share.
func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// provision copies block c of kind, fills in its defaults and validates
// it: what each prober of the package starts from.
func provision[B any, PB interface {
	*B
	config.Block
}](kind string, c *B) (B, error) {
	var b B
	if c == nil {
		return b, fmt.Errorf("%s check has no %s block", kind, kind)
	}
	b = *c
	PB(&b).Defaults(nil, func(string) bool { return false })
	return b, config.JoinFieldErrors(kind, PB(&b).Validate(nil))
}

// LoadProber runs the load check of one monitor.
type LoadProber struct {
	host
	c Load
}

// NewLoad provisions a load prober from its block.
func NewLoad(c *Load) (*LoadProber, error) {
	b, err := provision("load", c)
	if err != nil {
		return nil, err
	}
	return &LoadProber{host: newHost(), c: b}, nil
}

// Probe reads the load averages and the number of CPUs.
func (p *LoadProber) Probe(context.Context) probe.Result {
	run, fs, done := p.begin("load")
	if done != nil {
		return *done
	}
	avg, err := fs.LoadAvg()
	if err != nil {
		return run.Fail(probe.Unknown, fmt.Sprintf("cannot read %s/loadavg: %v", p.root, err))
	}
	load := map[string]float64{Average1m: avg.Load1, Average5m: avg.Load5, Average15m: avg.Load15}[p.c.Average]
	run.Res.Metrics = []probe.Metric{
		{Name: "load1", Value: avg.Load1, Min: "0"},
		{Name: "load5", Value: avg.Load5, Min: "0"},
		{Name: "load15", Value: avg.Load15, Min: "0"},
	}
	value, what := load, fmt.Sprintf("load %s over %s", num(round2(load)), p.c.Average)
	if p.c.perCPU() {
		cpus, err := p.cpus(fs)
		if err != nil {
			return run.Fail(probe.Unknown, fmt.Sprintf("cannot count the CPUs in %s/stat: %v", p.root, err))
		}
		value = load / float64(cpus)
		what = fmt.Sprintf("load %s per CPU over %s (%s on %d CPUs)", num(round2(value)), p.c.Average, num(round2(load)), cpus)
		run.Res.Metrics = append(run.Res.Metrics,
			probe.Metric{Name: "cpus", Value: float64(cpus), Min: "0"},
			probe.Metric{Name: "load_per_cpu", Value: round2(value), Warn: num(p.c.Warn), Crit: num(p.c.Crit), Min: "0"})
	} else {
		m := &run.Res.Metrics[map[string]int{Average1m: 0, Average5m: 1, Average15m: 2}[p.c.Average]]
		m.Warn, m.Crit = num(p.c.Warn), num(p.c.Crit)
	}
	st, limit := level(value, p.c.Warn, p.c.Crit)
	return run.Finish(st, what+", "+limit)
}

// cpus counts the CPUs online, from the per-CPU lines of /proc/stat: the
// run queue the load average counts is the whole host's, whatever CPUs
// this process may use.
func (p *LoadProber) cpus(fs *procfs.FS) (int, error) {
	st, err := fs.Stat()
	if err != nil {
		return 0, err
	}
	if len(st.CPU) == 0 {
		return 0, fmt.Errorf("no cpuN lines")
	}
	return len(st.CPU), nil
}

// MemoryProber runs the memory check of one monitor.
type MemoryProber struct {
	host
	c Memory
}

// NewMemory provisions a memory prober from its block.
func NewMemory(c *Memory) (*MemoryProber, error) {
	b, err := provision("memory", c)
	if err != nil {
		return nil, err
	}
	return &MemoryProber{host: newHost(), c: b}, nil
}

// Probe reads MemTotal and MemAvailable.
func (p *MemoryProber) Probe(context.Context) probe.Result {
	run, mi, done := p.meminfo("memory")
	if done != nil {
		return *done
	}
	if mi.MemTotalBytes == nil || *mi.MemTotalBytes == 0 {
		return run.Fail(probe.Unknown, "no MemTotal in "+p.root+"/meminfo")
	}
	if mi.MemAvailableBytes == nil {
		return run.Fail(probe.Unknown, "no MemAvailable in "+p.root+"/meminfo (Linux 3.14 or later has it)")
	}
	total, avail := *mi.MemTotalBytes, min(*mi.MemAvailableBytes, *mi.MemTotalBytes)
	return percentResult(run, "memory", total-avail, total, p.c.Warn, p.c.Crit,
		fmt.Sprintf("%s available", humanize.IBytes(avail)))
}

// meminfo reads /proc/meminfo for check what; done is the finished run
// when it cannot.
func (h host) meminfo(what string) (run *probe.Run, mi procfs.Meminfo, done *probe.Result) {
	run, fs, done := h.begin(what)
	if done != nil {
		return run, mi, done
	}
	mi, err := fs.Meminfo()
	if err != nil {
		r := run.Fail(probe.Unknown, fmt.Sprintf("cannot read %s/meminfo: %v", h.root, err))
		return run, mi, &r
	}
	return run, mi, nil
}

// SwapProber runs the swap check of one monitor.
type SwapProber struct {
	host
	c Swap
}

// NewSwap provisions a swap prober from its block.
func NewSwap(c *Swap) (*SwapProber, error) {
	b, err := provision("swap", c)
	if err != nil {
		return nil, err
	}
	return &SwapProber{host: newHost(), c: b}, nil
}

// Probe reads SwapTotal and SwapFree. A host without swap passes: none
// of it is in use.
func (p *SwapProber) Probe(context.Context) probe.Result {
	run, mi, done := p.meminfo("swap")
	if done != nil {
		return *done
	}
	if mi.SwapTotalBytes == nil || mi.SwapFreeBytes == nil {
		return run.Fail(probe.Unknown, "no SwapTotal and SwapFree in "+p.root+"/meminfo")
	}
	total := *mi.SwapTotalBytes
	if total == 0 {
		run.Res.Metrics = []probe.Metric{{Name: "swap_used", Value: 0, Unit: "%", Warn: num(p.c.Warn), Crit: num(p.c.Crit), Min: "0", Max: "100"}}
		return run.Finish(probe.OK, "no swap on this host")
	}
	return percentResult(run, "swap", total-min(*mi.SwapFreeBytes, total), total, p.c.Warn, p.c.Crit, "")
}

// percentResult finishes run with used of total in percent against warn
// and crit, and the figures as metrics.
func percentResult(run *probe.Run, what string, used, total uint64, warn, crit float64, extra string) probe.Result {
	pct := round2(float64(used) / float64(total) * 100)
	run.Res.Metrics = []probe.Metric{
		{Name: what + "_used", Value: pct, Unit: "%", Warn: num(warn), Crit: num(crit), Min: "0", Max: "100"},
		{Name: what + "_used_bytes", Value: float64(used), Unit: "B", Min: "0", Max: strconv.FormatUint(total, 10)},
	}
	text := fmt.Sprintf("%s %s%% used (%s of %s", what, num(pct), humanize.IBytes(used), humanize.IBytes(total))
	if extra != "" {
		text += "; " + extra
	}
	st, limit := level(pct, warn, crit)
	return run.Finish(st, text+"), "+limit+"%")
}

var (
	_ probe.Prober = (*LoadProber)(nil)
	_ probe.Prober = (*MemoryProber)(nil)
	_ probe.Prober = (*SwapProber)(nil)
)
