// Package roster keeps the list of heartbeats Tocsin watches: those of the
// configuration file and those created at run time through the API, the UI
// or a ?create=1 ping, which live in the database. It decides which stored
// heartbeat gives way to the file, checks a new heartbeat before it is
// stored, and turns the list into the hub's Definitions and the monitors
// the evaluator runs them as.
package roster

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/store"
)

// Store is what the roster needs from the database.
type Store interface {
	CreateHeartbeat(ctx context.Context, h store.StoredHeartbeat) error
	StoredHeartbeats(ctx context.Context) ([]store.StoredHeartbeat, error)
	DeleteHeartbeat(ctx context.Context, id string) error
}

// Watched is what the hub watches now (*heartbeat.Hub implements it): a
// new heartbeat may take no id, uuid or slug of these.
type Watched interface {
	Definition(id string) (heartbeat.Definition, bool)
	Taken(uuid, slug string) bool
}

// Options configure a Roster.
type Options struct {
	Store  Store
	Logger *slog.Logger
	// Now is the time cron expressions must fire after.
	Now func() time.Time
}

// Roster holds the heartbeats created at run time; the configuration's
// come with each call. It is safe for concurrent use; callers that create
// or delete serialise those with reloads themselves, so that what they
// check is what they then apply.
type Roster struct {
	o Options

	mu     sync.Mutex
	stored []config.Heartbeat
}

// Load reads the heartbeats created at run time and returns a Roster
// holding them.
func Load(ctx context.Context, o Options) (*Roster, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	rows, err := o.Store.StoredHeartbeats(ctx)
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
	return &Roster{o: o, stored: out}, nil
}

// All is the config's heartbeats followed by the stored ones; a stored
// heartbeat whose id, uuid or slug the config now uses is left out, and
// logged when warn is set.
func (r *Roster) All(cfg *config.Config, warn bool) (all []config.Heartbeat, stored map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	stored = map[string]bool{}
	all = make([]config.Heartbeat, 0, len(cfg.Heartbeats)+len(r.stored))
	all = append(all, cfg.Heartbeats...)
	if len(r.stored) == 0 {
		// The common case; with many monitors, the set of their ids
		// below would be most of a reload's work.
		return all, stored
	}
	ids, uuids, slugs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, h := range cfg.Heartbeats {
		ids[h.ID], uuids[h.UUID] = true, true
		if h.Slug != "" {
			slugs[h.Slug] = true
		}
	}
	for i := range cfg.Monitors {
		ids[cfg.Monitors[i].ID] = true
	}
	for _, h := range r.stored {
		if ids[h.ID] || uuids[h.UUID] || h.Slug != "" && slugs[h.Slug] {
			if warn {
				r.o.Logger.Warn("a stored heartbeat clashes with the configuration and is ignored", "heartbeat", h.ID, "uuid", h.UUID, "slug", h.Slug)
			}
			continue
		}
		all = append(all, h)
		stored[h.ID] = true
	}
	return all, stored
}

// Configs maps the id of every heartbeat, config and stored, to its
// definition.
func (r *Roster) Configs(cfg *config.Config) map[string]config.Heartbeat {
	all, _ := r.All(cfg, false)
	out := make(map[string]config.Heartbeat, len(all))
	for _, h := range all {
		out[h.ID] = h
	}
	return out
}

// Definitions are the heartbeats for the hub to watch. A stored heartbeat
// that clashes with the configuration is logged.
func (r *Roster) Definitions(cfg *config.Config) []heartbeat.Definition {
	hbs, stored := r.All(cfg, true)
	defs := make([]heartbeat.Definition, len(hbs))
	for i := range hbs {
		h := &hbs[i]
		defs[i] = heartbeat.Definition{ID: h.ID, UUID: h.UUID, Slug: h.Slug, Name: h.Name, Service: h.Service,
			Schedule: scheduleOf(h), MaxRuntime: h.MaxRuntime.D(), Stored: stored[h.ID]}
	}
	return defs
}

// EvalConfig is cfg with a monitor for every heartbeat, for the evaluator
// and the alert routing: a heartbeat is evaluated as a monitor of the same
// id, so its results take the probes' path (state machine, alerts,
// outbox).
func (r *Roster) EvalConfig(cfg *config.Config) *config.Config {
	hbs, _ := r.All(cfg, false)
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

// Create checks h against cfg and what w watches, stores it and adds it
// to the roster; the caller then hands the new Definitions to the hub. An
// empty uuid is generated. Errors: EINVALID for a bad definition (every
// problem at once), ECONFLICT for a taken id, uuid or slug, and the
// store's.
func (r *Roster) Create(ctx context.Context, cfg *config.Config, w Watched, h config.Heartbeat) (config.Heartbeat, error) {
	h, err := r.check(cfg, w, h)
	if err != nil {
		return h, err
	}
	spec, err := json.Marshal(h)
	if err != nil {
		return h, fmt.Errorf("encoding heartbeat %q: %w", h.ID, err)
	}
	if err := r.o.Store.CreateHeartbeat(ctx, store.StoredHeartbeat{ID: h.ID, UUID: h.UUID, Slug: h.Slug, Spec: spec}); err != nil {
		return h, err
	}
	r.mu.Lock()
	r.stored = append(r.stored, h)
	r.mu.Unlock()
	return h, nil
}

// check fills in h's defaults and returns it, or why it cannot be created.
func (r *Roster) check(cfg *config.Config, w Watched, h config.Heartbeat) (config.Heartbeat, error) {
	h.ID = strings.TrimSpace(h.ID)
	if h.UUID == "" {
		h.UUID = uuid.NewString()
	}
	config.HeartbeatDefaults(&h, func(string) bool { return false })
	var problems []string
	if !config.ValidID(h.ID) {
		problems = append(problems, fmt.Sprintf("id: %q must be 1 to 63 lowercase letters, digits, '_', '.' or '-', starting with a letter or digit", h.ID))
	}
	for _, fe := range h.Validate(r.o.Now()) {
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
	if _, ok := w.Definition(h.ID); ok {
		return h, errs.Errorf(errs.ECONFLICT, "id %q is taken by a heartbeat", h.ID)
	}
	if w.Taken(h.UUID, "") {
		return h, errs.Errorf(errs.ECONFLICT, "uuid %q is taken by another heartbeat", h.UUID)
	}
	if w.Taken("", h.Slug) {
		return h, errs.Errorf(errs.ECONFLICT, "slug %q is taken by another heartbeat", h.Slug)
	}
	return h, nil
}

// AutoCreated is the heartbeat a ?create=1 ping for slug creates: named
// after the slug, with an id made from it, or from it and a random suffix
// when the slug is no valid id or the id is taken by a heartbeat or a
// monitor. It returns ENOTFOUND when server.pings.auto_create is off.
func AutoCreated(cfg *config.Config, w Watched, slug string) (config.Heartbeat, error) {
	if !cfg.Server.Pings.AutoCreate {
		return config.Heartbeat{}, errs.Errorf(errs.ENOTFOUND, "no heartbeat has slug %q (auto_create is off)", slug)
	}
	id := slug
	if len(id) > 63 {
		id = id[:63]
	}
	if _, ok := w.Definition(id); ok || !config.ValidID(id) {
		id = strings.TrimRight(id[:min(len(id), 54)], "-_.") + "-" + uuid.NewString()[:8]
	} else if _, ok := cfg.Monitor(id); ok {
		id = strings.TrimRight(id[:min(len(id), 54)], "-_.") + "-" + uuid.NewString()[:8]
	}
	return config.Heartbeat{ID: id, Name: slug, Slug: slug}, nil
}

// Delete removes a stored heartbeat; the caller then hands the new
// Definitions to the hub. Errors: ECONFLICT for a heartbeat of the
// configuration file, and the store's (ENOTFOUND).
func (r *Roster) Delete(ctx context.Context, cfg *config.Config, id string) error {
	if _, ok := cfg.Heartbeat(id); ok {
		return errs.Errorf(errs.ECONFLICT, "heartbeat %q is defined in the configuration file; remove it there", id)
	}
	if err := r.o.Store.DeleteHeartbeat(ctx, id); err != nil {
		return err
	}
	r.mu.Lock()
	for i, h := range r.stored {
		if h.ID == id {
			r.stored = append(r.stored[:i:i], r.stored[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
	return nil
}

// scheduleOf returns the schedule of a valid heartbeat; an unknown
// timezone (which validation refuses) falls back to UTC.
func scheduleOf(h *config.Heartbeat) schedule.Schedule {
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
