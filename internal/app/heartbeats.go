package app

import (
	"context"
	"slices"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/roster"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/web"
)

// The heartbeat hub is the Receiver of pings (heartbeat.Receiver): the
// web server's /ping/ handler and any other transport (the SMTP listener)
// call a.hb.Receive. The roster knows which heartbeats there are and
// checks new ones; the engine runs each as a monitor of the same id
// (evalConfig), so its results take the probes' path: state machine,
// alerts, outbox.

// applyHeartbeats hands the heartbeats and ping settings to the hub.
func (a *App) applyHeartbeats(cfg *config.Config) {
	p := cfg.Server.Pings
	a.hb.SetLimits(heartbeat.Limits{PingKey: p.Key, BodyLimit: p.BodyLimit, HeartbeatRate: p.HeartbeatRate, ClientRate: p.ClientRate,
		MaxSlugHeartbeats: p.MaxHeartbeatsPerKey, CreateRate: p.CreateRate, ClientCreateRate: p.ClientCreateRate,
		UnknownNotFound: cfg.Server.UnknownPing == config.UnknownPingNotFound})
	a.hb.SetDefinitions(a.roster.Definitions(cfg))
}

// evalConfig is cfg with a monitor for every heartbeat, for the engine and
// its alert routing.
// The agents' own monitors (agent:<id>, failed while the agent is silent)
// join them.
func (a *App) evalConfig(cfg *config.Config) *config.Config {
	c := *a.roster.EvalConfig(cfg)
	c.Monitors = append(slices.Clip(c.Monitors), a.agents.Monitors(cfg)...)
	return &c
}

// createHeartbeat stores and starts watching a heartbeat made through the
// API, the UI or a ping.
func (a *App) createHeartbeat(ctx context.Context, h config.Heartbeat) (config.Heartbeat, error) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cfg := a.config()
	h, err := a.roster.Create(ctx, cfg, a.hb, h)
	if err != nil {
		return h, err
	}
	a.applyHeartbeats(cfg)
	if err := a.eng.Apply(a.evalConfig(cfg), a.eng.Probers()); err != nil {
		return h, err
	}
	a.log.Info("heartbeat created", "heartbeat", h.ID, "uuid", h.UUID, "slug", h.Slug)
	return h, nil
}

// autoCreate provisions a heartbeat for a slug pinged with ?create=1.
func (a *App) autoCreate(ctx context.Context, slug string) (heartbeat.Definition, error) {
	h, err := roster.AutoCreated(a.config(), a.hb, slug)
	if err != nil {
		return heartbeat.Definition{}, err
	}
	if h, err = a.createHeartbeat(ctx, h); err != nil {
		return heartbeat.Definition{}, err
	}
	d, _ := a.hb.Definition(h.ID)
	return d, nil
}

// heartbeatRuntime is the App seen through the web.Heartbeats interface.
type heartbeatRuntime App

func (r *heartbeatRuntime) app() *App { return (*App)(r) }

// configs maps heartbeat ids to their definitions, config and stored.
func (r *heartbeatRuntime) configs() map[string]config.Heartbeat {
	return r.roster.Configs(r.app().config())
}

func (r *heartbeatRuntime) view(v heartbeat.View, cfgs map[string]config.Heartbeat) web.HeartbeatView {
	out := web.HeartbeatView{View: v, Config: cfgs[v.ID]}
	if en, ok := r.eng.View(v.ID); ok {
		out.Paused = en.State.Status == monitor.StatusPaused
		if out.Paused {
			// The monitor state's Since is when the pause began.
			out.PausedSince = en.State.Since
		}
	}
	return out
}

func (r *heartbeatRuntime) Heartbeats() []web.HeartbeatView {
	vs := r.hb.Views()
	cfgs := r.configs()
	out := make([]web.HeartbeatView, len(vs))
	for i, v := range vs {
		out[i] = r.view(v, cfgs)
	}
	return out
}

func (r *heartbeatRuntime) Heartbeat(id string) (web.HeartbeatView, bool) {
	v, ok := r.hb.View(id)
	if !ok {
		return web.HeartbeatView{}, false
	}
	return r.view(v, r.configs()), true
}

func (r *heartbeatRuntime) CreateHeartbeat(ctx context.Context, h config.Heartbeat) (web.HeartbeatView, error) {
	h, err := r.app().createHeartbeat(ctx, h)
	if err != nil {
		return web.HeartbeatView{}, err
	}
	v, _ := r.Heartbeat(h.ID)
	return v, nil
}

func (r *heartbeatRuntime) DeleteHeartbeat(ctx context.Context, id string) error {
	a := r.app()
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cfg := a.config()
	if err := a.roster.Delete(ctx, cfg, id); err != nil {
		return err
	}
	a.applyHeartbeats(cfg)
	return a.eng.Apply(a.evalConfig(cfg), a.eng.Probers())
}

func (r *heartbeatRuntime) SetHeartbeatPaused(ctx context.Context, id string, paused bool) error {
	if _, ok := r.hb.Definition(id); !ok {
		return errs.Errorf(errs.ENOTFOUND, "no heartbeat %q", id)
	}
	return r.eng.SetPaused(id, paused)
}

var _ web.Heartbeats = (*heartbeatRuntime)(nil)
