package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/notify/channels"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
)

// Monitors created through the API live in the database (store.Monitors)
// and run beside the file's: the running configuration (a.cfg) is the
// file's (a.fileCfg) with them appended, so the scheduler, the engine, the
// agents and the pages see one list. Creating, replacing or deleting one
// installs a new running configuration the way a reload does, which starts
// and stops only the monitors whose definition changed. A monitor the file
// defines wins over one created through the API with the same id: the
// stored one is kept in the database but not run, and a warning says so.

// apiMonitor is a stored monitor and its definition as checked when it
// was read or created.
type apiMonitor struct {
	row store.StoredMonitor
	mon config.Monitor
}

// apiRefusedTypes are the monitor types the API may not create: a command
// monitor runs a program on the server, which a token for the API must not
// be enough to do.
var apiRefusedTypes = []string{"command"}

// loadAPIMonitors reads the monitors created through the API and adds
// them to the configuration. One the configuration no longer accepts (its
// service was removed from the file) stays stored but does not run.
func (a *App) loadAPIMonitors(ctx context.Context) error {
	rows, err := a.store.StoredMonitors(ctx)
	if err != nil {
		return fmt.Errorf("loading the monitors created through the API: %w", err)
	}
	file := a.cfg
	kinds := channels.Config(a.kinds)
	for _, row := range rows {
		m, err := config.ParseMonitor([]byte(row.Spec), "monitor "+row.ID, kinds, file)
		if err != nil {
			a.log.Warn("a monitor created through the API is not valid any more and does not run", "monitor", row.ID, "err", err)
			continue
		}
		a.apiMons = append(a.apiMons, apiMonitor{row: row, mon: m})
	}
	a.fileCfg = file
	a.cfg = a.withAPIMonitors(file, true)
	a.cat = catalog.New(a.cfg)
	return nil
}

// withAPIMonitors is file with the monitors created through the API
// appended, each marked Stored. One whose id the file gives a monitor or a
// heartbeat, or that names a service or channel the file does not define,
// is left out, and logged when warn is set.
func (a *App) withAPIMonitors(file *config.Config, warn bool) *config.Config {
	if len(a.apiMons) == 0 {
		return file
	}
	taken := make(map[string]bool, len(file.Monitors)+len(file.Heartbeats))
	for i := range file.Monitors {
		taken[file.Monitors[i].ID] = true
	}
	for i := range file.Heartbeats {
		taken[file.Heartbeats[i].ID] = true
	}
	c := *file
	c.Monitors = make([]config.Monitor, 0, len(file.Monitors)+len(a.apiMons))
	c.Monitors = append(c.Monitors, file.Monitors...)
	for _, am := range a.apiMons {
		m := am.mon
		if taken[m.ID] {
			if warn {
				a.log.Warn("the configuration defines a monitor or heartbeat with the id of a monitor created through the API; the configuration's runs", "monitor", m.ID)
			}
			continue
		}
		if why := missingRefs(file, &m); why != "" {
			if warn {
				a.log.Warn("a monitor created through the API does not run: "+why, "monitor", m.ID)
			}
			continue
		}
		m.Stored = true
		c.Monitors = append(c.Monitors, m)
	}
	return &c
}

// missingRefs says which service or channel of m cfg does not define.
func missingRefs(cfg *config.Config, m *config.Monitor) string {
	if m.Service != "" {
		if _, ok := cfg.Service(m.Service); !ok {
			return fmt.Sprintf("its service %q is not defined", m.Service)
		}
	}
	for _, ch := range m.Channels {
		if _, ok := cfg.Channel(ch); !ok {
			return fmt.Sprintf("its channel %q is not defined", ch)
		}
	}
	return ""
}

// checkAPIMonitor checks body as a monitor the API may run.
func (a *App) checkAPIMonitor(body []byte, file *config.Config) (config.Monitor, error) {
	m, err := config.ParseMonitor(body, "body", channels.Config(a.kinds), file)
	if err != nil {
		var ce config.Errors
		if errors.As(err, &ce) {
			lines := make([]string, len(ce))
			for i, e := range ce {
				lines[i] = e.String()
			}
			return m, errs.Errorf(errs.EINVALID, "%s", strings.Join(lines, "; "))
		}
		return m, errs.Errorf(errs.EINVALID, "%v", err)
	}
	if slices.Contains(apiRefusedTypes, m.Type) {
		return m, errs.Errorf(errs.EINVALID, "type: a %s monitor runs a program on the server and cannot be created through the API; define it in the configuration file", m.Type)
	}
	return m, nil
}

// applyAPIMonitors installs the file's configuration with the monitors
// created through the API as they are now. The caller holds reloadMu.
func (a *App) applyAPIMonitors() error {
	a.mu.RLock()
	file := a.fileCfg
	a.mu.RUnlock()
	next := a.withAPIMonitors(file, false)
	added, changed, removed, err := a.install(next, func() {})
	if err != nil {
		return err
	}
	a.log.Info("monitors created through the API applied", "added", added, "changed", changed, "removed", removed)
	return nil
}

// apiMonitorIndex is the position of id among the monitors created
// through the API, or -1.
func (a *App) apiMonitorIndex(id string) int {
	return slices.IndexFunc(a.apiMons, func(am apiMonitor) bool { return am.row.ID == id })
}

// monitorRuntime is the App seen through the web.Monitors interface.
type monitorRuntime App

func (r *monitorRuntime) app() *App { return (*App)(r) }

func (r *monitorRuntime) view(id string) (web.MonitorView, error) {
	v, ok := (*runtime)(r).Monitor(id)
	if !ok {
		return v, fmt.Errorf("monitor %q was stored but does not run", id)
	}
	return v, nil
}

func (r *monitorRuntime) CreateMonitor(ctx context.Context, body []byte, by string) (web.MonitorView, error) {
	a := r.app()
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	cfg := a.config()
	m, err := a.checkAPIMonitor(body, a.fileCfg)
	if err != nil {
		return web.MonitorView{}, err
	}
	if old, ok := cfg.Monitor(m.ID); ok {
		where := "the configuration file"
		if old.Stored {
			where = "the API"
		}
		return web.MonitorView{}, errs.Errorf(errs.ECONFLICT, "id %q is taken by a monitor created in %s", m.ID, where)
	}
	if _, ok := a.hb.Definition(m.ID); ok {
		return web.MonitorView{}, errs.Errorf(errs.ECONFLICT, "id %q is taken by a heartbeat", m.ID)
	}
	row, err := a.store.CreateMonitor(ctx, store.StoredMonitor{ID: m.ID, Spec: string(body), CreatedBy: by})
	if err != nil {
		return web.MonitorView{}, err
	}
	a.apiMons = append(a.apiMons, apiMonitor{row: row, mon: m})
	if err := a.applyAPIMonitors(); err != nil {
		return web.MonitorView{}, err
	}
	a.log.Info("monitor created through the API", "monitor", m.ID, "by", by)
	return r.view(m.ID)
}

// stored returns the index of the monitor id created through the API, or
// why there is none.
func (a *App) storedIndex(id string) (int, error) {
	i := a.apiMonitorIndex(id)
	if i >= 0 {
		return i, nil
	}
	if _, ok := a.fileCfg.Monitor(id); ok {
		return -1, errs.Errorf(errs.ECONFLICT, "monitor %q is defined in the configuration file; change it there", id)
	}
	return -1, errs.Errorf(errs.ENOTFOUND, "no monitor %q was created through the API", id)
}

func (r *monitorRuntime) UpdateMonitor(ctx context.Context, id string, body []byte, by string) (web.MonitorView, error) {
	a := r.app()
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	i, err := a.storedIndex(id)
	if err != nil {
		return web.MonitorView{}, err
	}
	m, err := a.checkAPIMonitor(body, a.fileCfg)
	if err != nil {
		return web.MonitorView{}, err
	}
	if m.ID != id {
		return web.MonitorView{}, errs.Errorf(errs.EINVALID, "id: %q differs from the monitor's id %q in the path; an id cannot change", m.ID, id)
	}
	row, err := a.store.UpdateMonitor(ctx, store.StoredMonitor{ID: id, Spec: string(body), UpdatedBy: by})
	if err != nil {
		return web.MonitorView{}, err
	}
	a.apiMons[i] = apiMonitor{row: row, mon: m}
	if err := a.applyAPIMonitors(); err != nil {
		return web.MonitorView{}, err
	}
	a.log.Info("monitor replaced through the API", "monitor", id, "by", by)
	return r.view(id)
}

func (r *monitorRuntime) DeleteMonitor(ctx context.Context, id string) error {
	a := r.app()
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	i, err := a.storedIndex(id)
	if err != nil {
		return err
	}
	if err := a.store.DeleteMonitor(ctx, id); err != nil {
		return err
	}
	a.apiMons = slices.Delete(a.apiMons, i, i+1)
	if err := a.applyAPIMonitors(); err != nil {
		return err
	}
	a.log.Info("monitor deleted through the API", "monitor", id)
	return nil
}

var _ web.Monitors = (*monitorRuntime)(nil)
