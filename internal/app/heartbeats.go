package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
)

// The heartbeat hub is the Receiver of pings (heartbeat.Receiver): the
// web server's /ping/ handler and any other transport (the SMTP listener)
// call a.hb.Receive. A heartbeat is evaluated as a monitor of the same id,
// synthesised here, so its results take the probes' path: state machine,
// alerts, outbox.

// loadStoredHeartbeats reads the heartbeats created at run time.
func loadStoredHeartbeats(ctx context.Context, st store.Store) ([]config.Heartbeat, error) {
	rows, err := st.StoredHeartbeats(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading stored heartbeats: %w", err)
	}
	out := make([]config.Heartbeat, 0, len(rows))
	for _, r := range rows {
		var h config.Heartbeat
		if err := json.Unmarshal(r.Spec, &h); err != nil {
			return nil, fmt.Errorf("stored heartbeat %q: %w", r.ID, err)
		}
		h.ID, h.UUID, h.Slug = r.ID, r.UUID, r.Slug
		config.HeartbeatDefaults(&h, func(string) bool { return false })
		out = append(out, h)
	}
	return out, nil
}

// allHeartbeats is the config's heartbeats followed by the stored ones; a
// stored heartbeat whose id, uuid or slug the config now uses is left out.
func (a *App) allHeartbeats(cfg *config.Config, warn bool) (all []config.Heartbeat, stored map[string]bool) {
	a.hbMu.Lock()
	defer a.hbMu.Unlock()
	stored = map[string]bool{}
	taken := map[string]bool{}
	all = make([]config.Heartbeat, 0, len(cfg.Heartbeats)+len(a.storedHBs))
	for _, h := range cfg.Heartbeats {
		all = append(all, h)
		taken["id:"+h.ID], taken["uuid:"+h.UUID] = true, true
		if h.Slug != "" {
			taken["slug:"+h.Slug] = true
		}
	}
	for _, m := range cfg.Monitors {
		taken["id:"+m.ID] = true
	}
	for _, h := range a.storedHBs {
		if taken["id:"+h.ID] || taken["uuid:"+h.UUID] || h.Slug != "" && taken["slug:"+h.Slug] {
			if warn {
				a.log.Warn("a stored heartbeat clashes with the configuration and is ignored", "heartbeat", h.ID, "uuid", h.UUID, "slug", h.Slug)
			}
			continue
		}
		all = append(all, h)
		stored[h.ID] = true
	}
	return all, stored
}

// evalConfig is cfg with a monitor for every heartbeat, for the evaluator
// and the alert routing.
func (a *App) evalConfig(cfg *config.Config) *config.Config {
	hbs, _ := a.allHeartbeats(cfg, false)
	if len(hbs) == 0 {
		return cfg
	}
	c := *cfg
	c.Monitors = make([]config.Monitor, 0, len(cfg.Monitors)+len(hbs))
	c.Monitors = append(c.Monitors, cfg.Monitors...)
	for i := range hbs {
		c.Monitors = append(c.Monitors, hbs[i].Monitor())
	}
	return &c
}

// applyHeartbeats hands the heartbeats and ping settings to the hub.
func (a *App) applyHeartbeats(cfg *config.Config) {
	hbs, stored := a.allHeartbeats(cfg, true)
	defs := make([]heartbeat.Definition, len(hbs))
	for i := range hbs {
		h := &hbs[i]
		defs[i] = heartbeat.Definition{ID: h.ID, UUID: h.UUID, Slug: h.Slug, Name: h.Name, Service: h.Service,
			Schedule: heartbeatSchedule(h), MaxRuntime: h.MaxRuntime.D(), Stored: stored[h.ID]}
	}
	p := cfg.Server.Pings
	a.hb.SetLimits(heartbeat.Limits{PingKey: p.Key, BodyLimit: p.BodyLimit, HeartbeatRate: p.HeartbeatRate, ClientRate: p.ClientRate,
		MaxSlugHeartbeats: p.MaxHeartbeatsPerKey, CreateRate: p.CreateRate, ClientCreateRate: p.ClientCreateRate})
	a.hb.SetDefinitions(defs)
}

// heartbeatSchedule returns the schedule of a valid heartbeat; an unknown
// timezone reads as UTC.
func heartbeatSchedule(h *config.Heartbeat) schedule.Schedule {
	s := schedule.Schedule{Period: h.Period.D(), Grace: h.Grace.D()}
	if h.Cron != "" {
		s.Period = 0
		s.Cron = h.Cron
		s.Location, _ = schedule.LoadLocation(h.Timezone)
		if s.Location == nil {
			s.Location = time.UTC
		}
	}
	return s
}

// createHeartbeat validates, stores and starts watching a heartbeat made
// through the API, the UI or a ping.
func (a *App) createHeartbeat(ctx context.Context, h config.Heartbeat) (config.Heartbeat, error) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cfg := a.config()
	h.ID = strings.TrimSpace(h.ID)
	if h.UUID == "" {
		h.UUID = uuid.NewString()
	}
	config.HeartbeatDefaults(&h, func(string) bool { return false })
	var problems []string
	if !config.ValidID(h.ID) {
		problems = append(problems, fmt.Sprintf("id: %q must be 1 to 63 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit", h.ID))
	}
	for _, fe := range h.Validate(a.now()) {
		problems = append(problems, fe.Field+": "+fe.Message)
	}
	if h.Service != "" {
		if _, ok := cfg.Service(h.Service); !ok {
			problems = append(problems, fmt.Sprintf("service: undefined service %q", h.Service))
		}
	}
	for _, ch := range h.Channels {
		if _, ok := cfg.Channel(ch); !ok {
			problems = append(problems, fmt.Sprintf("channels: undefined channel %q", ch))
		}
	}
	if len(problems) > 0 {
		return h, errs.Errorf(errs.EINVALID, "%s", strings.Join(problems, "; "))
	}
	if _, ok := cfg.Monitor(h.ID); ok {
		return h, errs.Errorf(errs.ECONFLICT, "id %q is taken by a monitor", h.ID)
	}
	if _, ok := a.hb.Definition(h.ID); ok {
		return h, errs.Errorf(errs.ECONFLICT, "id %q is taken by a heartbeat", h.ID)
	}
	if a.hb.Taken(h.UUID, "") {
		return h, errs.Errorf(errs.ECONFLICT, "uuid %q is taken by another heartbeat", h.UUID)
	}
	if a.hb.Taken("", h.Slug) {
		return h, errs.Errorf(errs.ECONFLICT, "slug %q is taken by another heartbeat", h.Slug)
	}
	spec, err := json.Marshal(h)
	if err != nil {
		return h, fmt.Errorf("encoding heartbeat %q: %w", h.ID, err)
	}
	if err := a.store.CreateHeartbeat(ctx, store.StoredHeartbeat{ID: h.ID, UUID: h.UUID, Slug: h.Slug, Spec: spec}); err != nil {
		return h, err
	}
	a.hbMu.Lock()
	a.storedHBs = append(a.storedHBs, h)
	a.hbMu.Unlock()
	a.applyHeartbeats(cfg)
	if err := a.eval.apply(a.evalConfig(cfg), a.eval.probers()); err != nil {
		return h, err
	}
	a.log.Info("heartbeat created", "heartbeat", h.ID, "uuid", h.UUID, "slug", h.Slug)
	return h, nil
}

// autoCreate provisions a heartbeat for a slug pinged with ?create=1.
func (a *App) autoCreate(ctx context.Context, slug string) (heartbeat.Definition, error) {
	if !a.config().Server.Pings.AutoCreate {
		return heartbeat.Definition{}, errs.Errorf(errs.ENOTFOUND, "no heartbeat has slug %q (auto_create is off)", slug)
	}
	id := slug
	if len(id) > 63 {
		id = id[:63]
	}
	if _, ok := a.hb.Definition(id); ok || !config.ValidID(id) {
		id = strings.TrimRight(id[:min(len(id), 54)], "-_.") + "-" + uuid.NewString()[:8]
	} else if _, ok := a.config().Monitor(id); ok {
		id = strings.TrimRight(id[:min(len(id), 54)], "-_.") + "-" + uuid.NewString()[:8]
	}
	h, err := a.createHeartbeat(ctx, config.Heartbeat{ID: id, Name: slug, Slug: slug})
	if err != nil {
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
	all, _ := r.app().allHeartbeats(r.app().config(), false)
	out := make(map[string]config.Heartbeat, len(all))
	for _, h := range all {
		out[h.ID] = h
	}
	return out
}

func (r *heartbeatRuntime) view(v heartbeat.View, cfgs map[string]config.Heartbeat) web.HeartbeatView {
	out := web.HeartbeatView{View: v, Config: cfgs[v.ID]}
	if en, ok := r.eval.view(v.ID); ok {
		out.Paused = en.state.Status == monitor.StatusPaused
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
	if _, ok := cfg.Heartbeat(id); ok {
		return errs.Errorf(errs.ECONFLICT, "heartbeat %q is defined in the configuration file; remove it there", id)
	}
	if err := a.store.DeleteHeartbeat(ctx, id); err != nil {
		return err
	}
	a.hbMu.Lock()
	for i, h := range a.storedHBs {
		if h.ID == id {
			a.storedHBs = append(a.storedHBs[:i:i], a.storedHBs[i+1:]...)
			break
		}
	}
	a.hbMu.Unlock()
	a.applyHeartbeats(cfg)
	return a.eval.apply(a.evalConfig(cfg), a.eval.probers())
}

func (r *heartbeatRuntime) SetHeartbeatPaused(ctx context.Context, id string, paused bool) error {
	if _, ok := r.hb.Definition(id); !ok {
		return errs.Errorf(errs.ENOTFOUND, "no heartbeat %q", id)
	}
	return r.eval.setPaused(id, paused)
}

var _ web.Heartbeats = (*heartbeatRuntime)(nil)
