package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/redact"
	"github.com/tocsin/tocsin/internal/scheduler"
)

// fingerprints are the definitions' fingerprints of a configuration's
// monitors by id. They are computed once per configuration: a reload
// compares every monitor's with the running one's, and the scheduler keys
// its jobs on them.
type fingerprints map[string]string

func fingerprintsOf(cfg *config.Config) fingerprints {
	out := make(fingerprints, len(cfg.Monitors))
	for i := range cfg.Monitors {
		out[cfg.Monitors[i].ID] = cfg.Monitors[i].Fingerprint()
	}
	return out
}

// diff compares the monitors of two configurations by id and fingerprint.
func (next fingerprints) diff(prev fingerprints) (added, changed, removed int) {
	for id, fp := range next {
		old, ok := prev[id]
		switch {
		case !ok:
			added++
		case old != fp:
			changed++
		}
	}
	for id := range prev {
		if _, ok := next[id]; !ok {
			removed++
		}
	}
	return added, changed, removed
}

// buildProbers builds a prober for every monitor in next, reusing the
// running prober (and so its warm connections) of monitors whose definition
// did not change: those whose fingerprint in nextFP is the one in prevFP.
// A monitor whose prober cannot be built (a CA file that vanished after
// validation, say) gets one that reports why on every run, so the problem
// shows on its page instead of stopping the server.
func buildProbers(next *config.Config, nextFP, prevFP fingerprints, running map[string]probe.Prober, kinds *probe.Kinds, log *slog.Logger) map[string]probe.Prober {
	out := make(map[string]probe.Prober, len(next.Monitors))
	for i := range next.Monitors {
		m := &next.Monitors[i]
		if old, ok := prevFP[m.ID]; ok && old == nextFP[m.ID] && running[m.ID] != nil {
			out[m.ID] = running[m.ID]
			continue
		}
		p, err := kinds.Build(m)
		if err != nil {
			why := redact.Target(err.Error())
			log.Error("monitor cannot run", "monitor", m.ID, "err", why)
			msg := fmt.Sprintf("monitor %q cannot run: %s", m.ID, why)
			p = probe.ProberFunc(func(context.Context) probe.Result {
				return probe.Result{Status: probe.Unknown, Reason: msg}
			})
		}
		out[m.ID] = p
	}
	return out
}

// CheckOnce runs one monitor's probe once, outside the server, for
// `tocsin check`.
func CheckOnce(ctx context.Context, m *config.Monitor) probe.Result {
	p, err := probekinds.All(probekinds.Deps{}).Build(m)
	if err != nil {
		return probe.Result{MonitorID: m.ID, Time: time.Now().UTC(), Status: probe.Unknown, Reason: redact.Target(err.Error())}
	}
	return runProbe(ctx, m, p, time.Now)
}

// runProbe runs a prober under the monitor's timeout and fills in what the
// prober may leave out. Every result's reason passes through redact here,
// whatever the kind: a reason is shown and sent everywhere, the
// credentials of a target never are.
func runProbe(ctx context.Context, m *config.Monitor, p probe.Prober, now func() time.Time) probe.Result {
	start := now()
	ctx, cancel := context.WithTimeout(ctx, m.Timeout.D())
	defer cancel()
	r := p.Probe(ctx)
	r.MonitorID = m.ID
	r.Reason = redact.Target(r.Reason)
	if r.Time.IsZero() {
		r.Time = start
	}
	r.Time = r.Time.UTC()
	if r.Duration == 0 {
		r.Duration = now().Sub(start)
	}
	return r
}

// jobs turns the configured monitors into scheduler jobs. Paused monitors
// stay scheduled but skip their runs, so resuming needs no reschedule.
// Only monitors that run at the server's own location are scheduled here:
// host checks run on their agent, and the other locations of a monitor
// are probed by the agents there, whose results come in with their
// location.
func (a *App) jobs(cfg *config.Config, fps fingerprints) []scheduler.Job {
	out := make([]scheduler.Job, 0, len(cfg.Monitors))
	for i := range cfg.Monitors {
		m := &cfg.Monitors[i]
		if !m.RunsAt(cfg.Server.Home(), cfg.Server.Home()) {
			continue // an agent runs it
		}
		id := m.ID
		out = append(out, scheduler.Job{
			ID:       id,
			Key:      fps[id],
			Interval: m.Interval.D(),
			Host:     a.kinds.Host(m),
			Run: func(ctx context.Context, scheduled time.Time) {
				if !a.eng.Runs(id) {
					return
				}
				v, ok := a.eng.View(id)
				if !ok || v.Prober == nil {
					return
				}
				a.submit(ctx, runProbe(ctx, &v.Config, v.Prober, a.now))
			},
		})
	}
	return out
}
