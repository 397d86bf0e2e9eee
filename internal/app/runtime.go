package app

import (
	"context"

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

func (r *runtime) Monitors() []web.MonitorView {
	views := r.eng.Views()
	out := make([]web.MonitorView, 0, len(views))
	for _, v := range views {
		if v.Config.Type == config.HeartbeatType {
			continue // shown on the heartbeats page
		}
		out = append(out, monitorView(v))
	}
	return out
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
