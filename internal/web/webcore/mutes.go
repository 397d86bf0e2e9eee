package webcore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/store"
)

// Mutes is the app's maintenance windows and silences as the pages and the
// API see them. The handlers store what people create, end or expire, then
// call Changed, which rebuilds the snapshot the engine checks.
type Mutes interface {
	// Snapshot returns the windows and silences in force or upcoming;
	// nil mutes nothing.
	Snapshot() *mute.Snapshot
	// Changed rereads the stored windows and silences and hands the new
	// snapshot to the engine. A failure is the app's to log: what was
	// stored applies at the next periodic reread, within a minute.
	Changed(ctx context.Context)
}

// MuteOf returns why a monitor is muted at the deps' current time.
func (d Deps) MuteOf(monitorID string) (mute.Mute, bool) {
	if d.Mutes == nil {
		return mute.Mute{}, false
	}
	return d.Mutes.Snapshot().Check(monitorID, d.Now())
}

// StoredWindow is a stored maintenance window as the mute package reads
// it; an error for a row whose timezone this system does not know.
func StoredWindow(w store.MaintenanceWindow) (mute.Window, error) {
	mw, err := mute.StoredWindow(strconv.FormatInt(w.ID, 10), w.Reason, config.MaintenanceMatch{
		Services: w.Services, Monitors: w.Monitors, Hosts: w.Hosts, Components: w.Components, Tags: w.Tags},
		w.StartsAt, w.EndsAt, w.Cron, w.Duration, w.Timezone)
	mw.CreatedBy, mw.EndedBy = w.CreatedBy, w.EndedBy
	return mw, err
}

// CreateWindow checks a window (something matched, every id known, a
// reason; for a one-off window an end after its start and after now; for a
// recurring one a valid cron expression, a known timezone, a duration
// above zero and an opening still to come), stores it as created by u and
// puts it in force. Bad input is EINVALID.
func (d Deps) CreateWindow(ctx context.Context, u store.User, w store.MaintenanceWindow) (store.MaintenanceWindow, error) {
	w.CreatedBy = u.Name
	mw, err := StoredWindow(w)
	if err != nil {
		return w, errs.Errorf(errs.EINVALID, "%v", strings.TrimPrefix(err.Error(), "maintenance window 0: "))
	}
	if err := mute.CheckWindow(mw, d.Now()); err != nil {
		return w, errs.Errorf(errs.EINVALID, "%v", err)
	}
	if err := d.checkRefs(mw.Match); err != nil {
		return w, err
	}
	w, err = d.Store.AddMaintenance(ctx, w)
	if err != nil {
		return w, fmt.Errorf("storing the maintenance window: %w", err)
	}
	d.changed(ctx)
	audit.Annotate(ctx, strconv.FormatInt(w.ID, 10), "maintenance: "+clipSummary(w.Reason))
	return w, nil
}

// EndWindow ends a stored window now on u's request. A window of the
// configuration file is ECONFLICT: it ends by editing the file.
func (d Deps) EndWindow(ctx context.Context, u store.User, id string) (store.MaintenanceWindow, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		if cfg := d.Runtime.Config(); cfg != nil {
			for _, m := range cfg.Maintenance {
				if m.ID == id {
					return store.MaintenanceWindow{}, errs.Errorf(errs.ECONFLICT, "maintenance window %q is defined in the configuration file: remove it there to end it", id)
				}
			}
		}
		return store.MaintenanceWindow{}, errs.Errorf(errs.ENOTFOUND, "no maintenance window %q", id)
	}
	w, err := d.Store.EndMaintenance(ctx, n, u.Name)
	if err != nil {
		return w, err
	}
	d.changed(ctx)
	return w, nil
}

// CreateSilence checks a silence (valid matchers, a reason, an end after
// its start and after now, at most mute.MaxSilence), stores it as created
// by u and puts it in force. Bad input is EINVALID.
func (d Deps) CreateSilence(ctx context.Context, u store.User, s store.Silence) (store.Silence, error) {
	s.CreatedBy = u.Name
	ms := mute.Silence{Reason: s.Reason, StartsAt: s.StartsAt, EndsAt: s.EndsAt}
	for _, m := range s.Matchers {
		ms.Matchers = append(ms.Matchers, mute.Matcher{Name: m.Name, Op: m.Op, Value: m.Value})
	}
	if err := mute.CheckSilence(ms, d.Now()); err != nil {
		return s, errs.Errorf(errs.EINVALID, "%v", err)
	}
	s, err := d.Store.AddSilence(ctx, s)
	if err != nil {
		return s, fmt.Errorf("storing the silence: %w", err)
	}
	d.changed(ctx)
	audit.Annotate(ctx, strconv.FormatInt(s.ID, 10), fmt.Sprintf("silence until %s: %s", s.EndsAt.UTC().Format(time.RFC3339), clipSummary(s.Reason)))
	return s, nil
}

// ExpireSilence ends a silence now on u's request.
func (d Deps) ExpireSilence(ctx context.Context, u store.User, id string) (store.Silence, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return store.Silence{}, errs.Errorf(errs.ENOTFOUND, "no silence %q", id)
	}
	s, err := d.Store.ExpireSilence(ctx, n, u.Name)
	if err != nil {
		return s, err
	}
	d.changed(ctx)
	return s, nil
}

func (d Deps) changed(ctx context.Context) {
	if d.Mutes != nil {
		d.Mutes.Changed(ctx)
	}
}

// checkRefs refuses a match naming what the configuration does not know.
func (d Deps) checkRefs(m config.MaintenanceMatch) error {
	cfg := d.Runtime.Config()
	if cfg == nil {
		return nil
	}
	var snap *mute.Snapshot
	if d.Mutes != nil {
		snap = d.Mutes.Snapshot()
	}
	known := func(kind string, ids []string, ok func(string) bool) error {
		for _, id := range ids {
			if !ok(id) {
				return errs.Errorf(errs.EINVALID, "unknown %s %q", kind, id)
			}
		}
		return nil
	}
	tags := map[string]bool{}
	for _, s := range cfg.Services {
		for _, t := range s.Tags {
			tags[t] = true
		}
	}
	for _, mo := range cfg.Monitors {
		for _, t := range mo.Tags {
			tags[t] = true
		}
	}
	return errors.Join(
		known("service", m.Services, func(id string) bool { _, ok := cfg.Service(id); return ok }),
		known("monitor", m.Monitors, func(id string) bool {
			if _, ok := cfg.Monitor(id); ok {
				return true
			}
			if _, ok := snap.Target(id); ok {
				return true
			}
			return slices.ContainsFunc(cfg.Heartbeats, func(h config.Heartbeat) bool { return h.ID == id })
		}),
		known("host", m.Hosts, func(id string) bool {
			return slices.ContainsFunc(cfg.Hosts, func(h config.Host) bool { return h.ID == id })
		}),
		known("component", m.Components, func(id string) bool {
			return slices.ContainsFunc(cfg.Components, func(c config.Component) bool { return c.ID == id })
		}),
		known("tag", m.Tags, func(id string) bool { return tags[id] }),
	)
}
