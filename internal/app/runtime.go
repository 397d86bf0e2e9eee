package app

import (
	"context"
	"slices"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/engine"
	"github.com/tocsin/tocsin/internal/web"
)

// runtime is the App seen through the web.Runtime interface.
type runtime App

func (r *runtime) app() *App { return (*App)(r) }

func (r *runtime) Config() *config.Config { return r.app().config() }

func (r *runtime) Catalog() *catalog.Catalog {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cat
}

func (r *runtime) MonitorPage(q web.MonitorQuery) (web.MonitorPage, error) {
	eq := engine.Query{Status: q.Status, Services: q.Services, Kind: q.Kind, Text: q.Search, ServiceName: q.ServiceName,
		After: q.After, Offset: q.Offset, Limit: q.Limit,
		// Heartbeats have a page of their own.
		NotKind: config.HeartbeatType}
	if q.FailingFirst {
		eq.Order = engine.FailingFirst
	}
	p, err := r.eng.Page(eq)
	if err != nil {
		return web.MonitorPage{}, err
	}
	out := web.MonitorPage{Monitors: make([]web.MonitorView, 0, len(p.Views)), Total: p.Total, More: p.More}
	for _, v := range p.Views {
		out.Monitors = append(out.Monitors, monitorView(v))
	}
	var all engine.StatusCounts
	for kind, c := range p.Counts {
		all = all.Add(c)
		out.Kinds = append(out.Kinds, kind)
	}
	slices.Sort(out.Kinds)
	out.Counts = web.StatusCounts{Total: all.Total(), Up: all.Up, Warning: all.Warning, Down: all.Down,
		Pending: all.Pending, Paused: all.Paused, Flapping: all.Flapping}
	return out, nil
}

func (r *runtime) Monitor(id string) (web.MonitorView, bool) {
	v, ok := r.eng.View(id)
	if !ok || v.Config.Type == config.HeartbeatType {
		return web.MonitorView{}, false
	}
	return monitorView(v), true
}

// monitorView is the engine's view of a monitor as the web shows it.
func monitorView(v engine.View) web.MonitorView {
	out := web.MonitorView{Config: v.Config, State: v.State, LastResult: v.Last}
	for _, l := range v.Locations {
		out.Locations = append(out.Locations, web.LocationView{Location: l.Location, Status: l.Status, Since: l.Since, Last: l.Last, Live: l.Live})
	}
	return out
}

func (r *runtime) SetPaused(ctx context.Context, id string, paused bool) error {
	return r.eng.SetPaused(id, paused)
}

func (r *runtime) ConfigStatus() web.ConfigStatus {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s := r.cfgStatus
	s.Errors = append([]string(nil), s.Errors...)
	return s
}

func (r *runtime) Health() web.Health {
	return web.Health{SchedulerLag: r.sched.Lag(), MaxLag: r.app().config().Server.ReadyMaxLag.D(), WriteProblems: r.writers.Problems()}
}

var _ web.Runtime = (*runtime)(nil)
