package incident

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// Events of incidents, as channels subscribe to them.
const (
	EventOpened   = "incident.opened"
	EventUpdated  = "incident.updated"
	EventResolved = "incident.resolved"
)

// Store is what the runner needs of the store.
type Store interface {
	store.Incidents
	store.IncidentUpdates
	store.AlertFeed
	Alerts(ctx context.Context, state string, p store.Page) ([]store.Alert, error)
}

// Options configure a Runner.
type Options struct {
	Store Store
	// Config returns the running incidents section (it may change on
	// reload).
	Config func() config.Incidents
	Now    func() time.Time
	Logger *slog.Logger
	// Event, when set, is told of every incident opened, changed and
	// resolved by the runner.
	Event func(event string, in store.Incident)
	// PollInterval is the longest wait between two steps. Default 5s.
	PollInterval time.Duration
	// ServiceName turns a service id into its name for the first public
	// notice; nil keeps the id.
	ServiceName func(id string) string
}

// Runner applies the decisions of this package to the store: it opens
// incidents for new paged alerts, links joining alerts, records the first
// acknowledgement, and moves incidents to monitoring and resolved. All it
// knows is in the store, so a restart picks up where it stopped.
type Runner struct {
	o    Options
	wake chan struct{}
}

// batch bounds the alerts and incidents one step reads.
const batch = 500

// lateWindow and lateFor bound the alerts behind the cursor read again
// in case they committed late: the newest lateWindow, opened in the last
// lateFor.
const (
	lateWindow = 100
	lateFor    = time.Minute
)

// New returns a Runner.
func New(o Options) *Runner {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 5 * time.Second
	}
	if o.Event == nil {
		o.Event = func(string, store.Incident) {}
	}
	return &Runner{o: o, wake: make(chan struct{}, 1)}
}

// Wake makes Run take its next step now.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run steps until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	for {
		next, err := r.Step(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := r.o.PollInterval
		if err != nil {
			r.o.Logger.Error("incidents: the store failed; retrying", "err", err, "retry_in", wait)
		} else if !next.IsZero() {
			wait = min(wait, max(time.Millisecond, next.Sub(r.o.Now())))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Step does what is due now and returns when something next will be
// (zero for nothing known).
func (r *Runner) Step(ctx context.Context) (time.Time, error) {
	cfg := r.o.Config()
	now := r.o.Now()
	incidents, err := r.o.Store.Incidents(ctx, "active", store.Page{Limit: batch})
	if err != nil {
		return time.Time{}, err
	}
	// The newest active incident of each service.
	bySvc := map[string]int64{}
	for _, in := range incidents {
		for _, s := range in.Services {
			if _, ok := bySvc[s]; !ok {
				bySvc[s] = in.ID
			}
		}
	}
	linked := map[int64]bool{}
	for _, in := range incidents {
		for _, a := range in.Alerts {
			linked[a] = true
		}
	}
	alerts, old, cursor, err := r.pending(ctx)
	if err != nil {
		return time.Time{}, err
	}
	// New incidents are opened together, in one transaction per step
	// (see open). An alert that would join an incident still to be
	// opened waits for it: the ones gathered so far are opened first.
	var opening []store.IncidentOpening
	openingSvc := map[string]bool{}
	incidentOf := func(svc string) (int64, bool) {
		if openingSvc[svc] {
			return 0, true
		}
		id, ok := bySvc[svc]
		return id, ok
	}
	flush := func() error {
		opened, err := r.open(ctx, cfg, opening)
		for _, in := range opened {
			for _, s := range in.Services {
				bySvc[s] = in.ID
			}
		}
		opening, openingSvc = opening[:0], map[string]bool{}
		return err
	}
	for _, a := range alerts {
		if linked[a.ID] {
			continue
		}
		// An alert past the old cursor is new to this runner: if another
		// replica linked it meanwhile, linking or opening refuses it
		// (ECONFLICT) without this lookup, which in a storm is one read
		// per alert.
		if a.ID <= old {
			if _, err := r.o.Store.IncidentOfAlert(ctx, a.ID); err == nil {
				continue // linked to an incident no longer active
			} else if errs.Code(err) != errs.ENOTFOUND {
				return time.Time{}, err
			}
		}
		id, ok := Join(a, incidentOf)
		if ok && id == 0 {
			if err := flush(); err != nil {
				return time.Time{}, err
			}
			id, ok = Join(a, incidentOf)
		}
		if ok {
			e := store.TimelineEntry{Time: a.OpenedAt, Kind: store.EntryAlert, Who: System, Text: joinText(a)}
			if err := r.o.Store.LinkAlert(ctx, id, a.ID, e); errs.Code(err) == errs.ECONFLICT {
				continue // linked already (perhaps by another replica, which told of it)
			} else if err != nil {
				return time.Time{}, err
			}
			if in, err := r.o.Store.Incident(ctx, id); err == nil {
				r.o.Event(EventUpdated, in)
			}
			continue
		}
		in, e := Open(a, cfg.Severity)
		opening = append(opening, store.IncidentOpening{Incident: in, AlertID: a.ID, Entries: []store.TimelineEntry{e}})
		for _, s := range in.Services {
			openingSvc[s] = true
		}
	}
	if err := flush(); err != nil {
		return time.Time{}, err
	}
	if err := r.o.Store.AdvanceCursor(ctx, store.CursorIncidentAlerts, cursor); err != nil {
		return time.Time{}, err
	}

	incidents, err = r.o.Store.Incidents(ctx, "active", store.Page{Limit: batch})
	if err != nil {
		return time.Time{}, err
	}
	// The alerts of every active incident in one read: one read per
	// incident was, with thousands active after a storm, thousands of
	// reads each step even when nothing changed.
	var ids []int64
	for _, in := range incidents {
		ids = append(ids, in.Alerts...)
	}
	byID := map[int64]store.Alert{}
	for part := range slices.Chunk(ids, batch) {
		all, err := r.o.Store.AlertsByID(ctx, part)
		if err != nil {
			return time.Time{}, err
		}
		for _, a := range all {
			byID[a.ID] = a
		}
	}
	// Each incident's changes are decided from what was read, and those
	// of every incident are applied in one transaction.
	var plans []planned
	var changes []store.IncidentChange
	for _, in := range incidents {
		alerts := make([]store.Alert, 0, len(in.Alerts))
		for _, id := range in.Alerts {
			if a, ok := byID[id]; ok {
				alerts = append(alerts, a)
			}
		}
		p, err := r.plan(ctx, in, alerts, now, time.Duration(cfg.ResolveAfter))
		if err != nil {
			return time.Time{}, err
		}
		plans = append(plans, p)
		changes = append(changes, p.changes...)
	}
	var applied []bool
	if len(changes) > 0 {
		if applied, err = r.o.Store.ChangeIncidents(ctx, changes); err != nil {
			return time.Time{}, err
		}
	}
	var next time.Time
	i := 0
	for _, p := range plans {
		in := p.in
		for j, c := range p.changes {
			ok := applied[i+j]
			if !ok {
				break // another replica or a person moved it first
			}
			in = applyChange(in, c)
			event := EventUpdated
			if in.State == store.IncidentResolved {
				event = EventResolved
			}
			r.o.Logger.Info(LogProgressed(in.State), "incident", in.ID)
			r.o.Event(event, in)
		}
		i += len(p.changes)
		if when, _ := Due(in, time.Duration(cfg.ResolveAfter)); !when.IsZero() && (next.IsZero() || when.Before(next)) {
			next = when
		}
	}
	return next, nil
}

// open opens the incidents of new alerts in one call, publishes their
// first notices and tells of them, and returns those opened. When the
// store refuses the call (one of them invalid, or linked by another
// replica meanwhile), each is opened on its own, so one bad opening never
// holds back the others; the invalid ones are logged and left.
func (r *Runner) open(ctx context.Context, cfg config.Incidents, os []store.IncidentOpening) ([]store.Incident, error) {
	if len(os) == 0 {
		return nil, nil
	}
	opened, err := r.o.Store.OpenIncidents(ctx, os)
	if code := errs.Code(err); code == errs.EINVALID || code == errs.ECONFLICT {
		opened, err = nil, nil
	one:
		for _, o := range os {
			in, oerr := r.o.Store.OpenIncident(ctx, o.Incident, o.AlertID, o.Entries)
			switch errs.Code(oerr) {
			case "":
				opened = append(opened, in)
			case errs.ECONFLICT:
				// another replica opened it
			case errs.EINVALID:
				r.o.Logger.Error("incidents: could not open the incident of an alert", "alert", o.AlertID, "err", oerr)
			default:
				err = oerr
				break one
			}
		}
	}
	for _, in := range opened {
		var alert int64
		if len(in.Alerts) > 0 {
			alert = in.Alerts[0]
		}
		r.o.Logger.Info(LogOpened, "incident", in.ID, "alert", alert, "title", in.Title)
		if err := PublishNotice(ctx, r.o.Store, cfg, in, r.o.ServiceName); err != nil {
			r.o.Logger.Error("incidents: the first public notice failed", "incident", in.ID, "err", err)
		}
		r.o.Event(EventOpened, in)
	}
	return opened, err
}

// planned is an incident as read (acknowledged, if its alerts say so) and
// the state changes due for it.
type planned struct {
	in      store.Incident
	changes []store.IncidentChange
}

// plan applies Acknowledged to one incident, given its alerts, and
// decides with Progress the state changes due: monitoring and resolving
// may both be due in one step.
func (r *Runner) plan(ctx context.Context, in store.Incident, alerts []store.Alert, now time.Time, resolveAfter time.Duration) (planned, error) {
	p := planned{in: in}
	if len(in.Alerts) == 0 {
		return p, nil
	}
	if at, ok := Acknowledged(in, alerts); ok {
		if err := r.o.Store.SetIncidentAcknowledged(ctx, in.ID, at); err != nil {
			return p, err
		}
		in.AcknowledgedAt = at
		p.in = in
	}
	for range 2 {
		c, ok := Progress(in, alerts, now, resolveAfter)
		if !ok {
			break
		}
		if c.At.IsZero() {
			c.At = now
		}
		c.From = in.State
		p.changes = append(p.changes, c)
		in = applyChange(in, c)
	}
	return p, nil
}

// applyChange returns in after c, as the store records it: monitoring
// since a time only in monitoring, resolved fields kept into the
// postmortem and cleared by any other state.
func applyChange(in store.Incident, c store.IncidentChange) store.Incident {
	in.State, in.MonitoringSince = c.State, time.Time{}
	switch c.State {
	case store.IncidentMonitoring:
		in.MonitoringSince = c.MonitoringSince
		if in.MonitoringSince.IsZero() {
			in.MonitoringSince = c.At
		}
		in.ResolvedAt, in.ResolvedBy = time.Time{}, ""
	case store.IncidentResolved:
		in.ResolvedAt, in.ResolvedBy = c.At, c.Who
	case store.IncidentPostmortem:
	default:
		in.ResolvedAt, in.ResolvedBy = time.Time{}, ""
	}
	return in
}

// pending returns the alerts to look at, oldest first: every alert
// stored since the cursor, whatever its state (one that opened and
// recovered between two steps still opens or joins an incident), and
// every active one; the cursor as it was (old) and the cursor to store
// once they are handled.
func (r *Runner) pending(ctx context.Context) (alerts []store.Alert, old, cursor int64, err error) {
	cursor, err = r.o.Store.Cursor(ctx, store.CursorIncidentAlerts)
	if err != nil {
		return nil, 0, 0, err
	}
	old = cursor
	fresh, err := r.o.Store.AlertsAfter(ctx, cursor, batch)
	if err != nil {
		return nil, 0, 0, err
	}
	active, err := r.o.Store.Alerts(ctx, "active", store.Page{Limit: batch})
	if err != nil {
		return nil, 0, 0, err
	}
	// On PostgreSQL ids are taken before commit, so an alert can become
	// visible after one with a higher id that moved the cursor past it.
	// The newest alerts opened lately are read again, whatever the
	// cursor says; those handled already cost a lookup.
	newest, err := r.o.Store.Alerts(ctx, "", store.Page{Limit: lateWindow})
	if err != nil {
		return nil, 0, 0, err
	}
	since := r.o.Now().Add(-lateFor)
	late := newest[:0]
	for _, a := range newest {
		if a.ID <= cursor && a.OpenedAt.After(since) {
			late = append(late, a)
		}
	}
	if len(fresh) > 0 {
		cursor = fresh[len(fresh)-1].ID
	}
	all := append(append(fresh, active...), late...)
	slices.SortFunc(all, func(a, b store.Alert) int { return cmp.Compare(a.ID, b.ID) })
	all = slices.CompactFunc(all, func(a, b store.Alert) bool { return a.ID == b.ID })
	return all, old, cursor, nil
}

func joinText(a store.Alert) string {
	for _, m := range a.Monitors {
		if m.ImpactedBy != "" {
			return fmt.Sprintf("alert %d (%s) joined: impacted by %s", a.ID, a.GroupKey, m.ImpactedBy)
		}
	}
	return fmt.Sprintf("alert %d (%s) joined", a.ID, a.GroupKey)
}
