// Package disk is the disk host check: used space and inodes of a host's
// filesystems against thresholds, and a forecast of when each fills, from
// a least-squares line through its recent use. It reads the host it runs
// on: the server's, or an agent's.
package disk

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/hostcheck"
	"github.com/tocsin/tocsin/internal/text"
)

// Prober runs the disk check of one monitor. It keeps the recent use of
// each filesystem between runs for the forecast, so one Prober serves one
// monitor for as long as its definition stays the same.
type Prober struct {
	mounts             []string // empty: every real filesystem
	warn, crit         float64
	inodeWarn, inodeCr float64
	window, fullWithin time.Duration // zero window: no forecast
	fs                 FS
	now                func() time.Time

	mu     sync.Mutex
	series map[string]*series
}

// New provisions a disk prober from its block, reading this host.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("disk check has no disk block")
	}
	cc := *c // Defaults of a block built in code; the loader's block stays as it is
	c = &cc
	c.Defaults(nil, func(string) bool { return false })
	if err := config.JoinFieldErrors("disk", c.Validate(nil)); err != nil {
		return nil, err
	}
	p := &Prober{mounts: c.Mounts, warn: *c.WarnUsed, crit: *c.CritUsed,
		inodeWarn: *c.InodesWarnUsed, inodeCr: *c.InodesCritUsed,
		fs: HostFS{}, now: time.Now, series: map[string]*series{}}
	if c.Forecast != nil {
		p.window, p.fullWithin = c.Forecast.Window.D(), c.Forecast.FullWithin.D()
	}
	return p, nil
}

// reading is what one run saw of one filesystem.
type reading struct {
	mount string
	usage Usage
	err   error
}

// Probe reads every filesystem once and judges each.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	start := p.now()
	done := make(chan []reading, 1)
	var listErr error
	go func() {
		mounts := p.mounts
		if len(mounts) == 0 {
			mounts, listErr = p.fs.Mounts()
		}
		out := make([]reading, 0, len(mounts))
		for _, m := range mounts {
			u, err := p.fs.Statfs(m)
			out = append(out, reading{mount: m, usage: u, err: err})
		}
		done <- out
	}()
	var rs []reading
	select {
	case rs = <-done:
	case <-ctx.Done():
		// A hung network filesystem blocks statfs in the kernel; the
		// reading goroutine ends when it answers.
		return probe.Result{Status: probe.Critical, Reason: "the filesystems did not all answer statfs within the timeout: a network filesystem may hang"}
	}
	switch {
	case errors.Is(listErr, errors.ErrUnsupported):
		return probe.Result{Status: probe.Unknown, Reason: listErr.Error()}
	case listErr != nil:
		return probe.Result{Status: probe.Unknown, Reason: "cannot list the filesystems: " + listErr.Error()}
	case len(rs) == 0:
		return probe.Result{Status: probe.Unknown, Reason: "no filesystems to check: name them in mounts"}
	}
	return p.judge(start, rs)
}

// finding is one thing wrong with one filesystem.
type finding struct {
	status probe.Status
	text   string
}

// judge turns the readings of one run into a result, and records them for
// the forecast.
func (p *Prober) judge(now time.Time, rs []reading) probe.Result {
	var found []finding
	var metrics []probe.Metric
	add := func(s probe.Status, format string, args ...any) {
		found = append(found, finding{s, fmt.Sprintf(format, args...)})
	}
	fullest := -1
	p.mu.Lock()
	defer p.mu.Unlock()
	live := map[string]bool{}
	for i, r := range rs {
		if r.err != nil {
			if errors.Is(r.err, errors.ErrUnsupported) {
				return probe.Result{Status: probe.Unknown, Reason: r.err.Error()}
			}
			add(probe.Critical, "%s cannot be read: %v", r.mount, r.err)
			continue
		}
		u, m := r.usage, r.mount
		if u.Total == 0 {
			continue // nothing to fill: a pseudo filesystem named by hand
		}
		live[m] = true
		pct := u.UsedPercent()
		if fullest < 0 || pct > rs[fullest].usage.UsedPercent() {
			fullest = i
		}
		metrics = append(metrics,
			probe.Metric{Name: m + " used", Value: round1(pct), Unit: "%", Warn: num(p.warn), Crit: num(p.crit), Min: "0", Max: "100"},
			probe.Metric{Name: m + " free", Value: float64(u.Avail), Unit: "B", Min: "0", Max: fmt.Sprint(u.Capacity())})
		usedText := fmt.Sprintf("%s %s used (%s free)", m, hostcheck.Percent(pct), hostcheck.Bytes(u.Avail))
		switch {
		case pct >= p.crit:
			add(probe.Critical, "%s, critical from %s", usedText, hostcheck.Percent(p.crit))
		case pct >= p.warn:
			add(probe.Warning, "%s, warning from %s", usedText, hostcheck.Percent(p.warn))
		}
		if u.Inodes > 0 {
			ipct := u.InodesUsedPercent()
			metrics = append(metrics, probe.Metric{Name: m + " inodes used", Value: round1(ipct), Unit: "%", Warn: num(p.inodeWarn), Crit: num(p.inodeCr), Min: "0", Max: "100"})
			inodeText := fmt.Sprintf("%s inodes %s used (%d free)", m, hostcheck.Percent(ipct), u.InodesFree)
			switch {
			case ipct >= p.inodeCr:
				add(probe.Critical, "%s, critical from %s", inodeText, hostcheck.Percent(p.inodeCr))
			case ipct >= p.inodeWarn:
				add(probe.Warning, "%s, warning from %s", inodeText, hostcheck.Percent(p.inodeWarn))
			}
		}
		if p.window <= 0 {
			continue
		}
		s := p.series[m]
		if s == nil {
			s = &series{}
			p.series[m] = s
		}
		s.add(Sample{Time: now, Used: float64(u.Used())}, float64(u.Capacity()), p.window)
		proj, ok := Project(s.samples, float64(u.Capacity()), p.window)
		if !ok {
			continue
		}
		metrics = append(metrics, probe.Metric{Name: m + " full in", Value: proj.TimeToFull.Round(time.Second).Seconds(), Unit: "s",
			Crit: num(p.fullWithin.Seconds()), Min: "0"})
		if proj.TimeToFull > 0 && proj.TimeToFull < p.fullWithin {
			add(probe.Critical, "%s full in about %s at the rate of the last %s (%s)",
				m, hostcheck.Age(proj.TimeToFull), hostcheck.Age(proj.Span), hostcheck.Rate(proj.Rate))
		}
	}
	for m := range p.series {
		if !live[m] {
			delete(p.series, m) // unmounted, or gone from the list
		}
	}
	res := probe.Result{Status: probe.OK, Metrics: metrics}
	if len(found) == 0 {
		if fullest < 0 {
			return probe.Result{Status: probe.Unknown, Reason: "no filesystem with any size to check"}
		}
		f := rs[fullest]
		res.Reason = fmt.Sprintf("%s below %s used; fullest %s %s used (%s free)", text.Plural(len(live), "filesystem"),
			hostcheck.Percent(p.warn), f.mount, hostcheck.Percent(f.usage.UsedPercent()), hostcheck.Bytes(f.usage.Avail))
		return res
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].status > found[j].status })
	texts := make([]string, len(found))
	for i, f := range found {
		texts[i] = f.text
	}
	res.Status, res.Reason = found[0].status, strings.Join(texts, "; ")
	return res
}

func round1(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

func num(v float64) string { return fmt.Sprint(v) }

var _ probe.Prober = (*Prober)(nil)
