package status

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/store"
)

// pageView is one computed page: everything the HTML, the JSON and the
// feeds show, and nothing else, so what is private cannot leak through a
// template.
type pageView struct {
	ID, Slug, Title, Description string
	State                        string
	Updated                      time.Time
	Components                   []componentView
	Maintenance                  []maintenanceView
	Entries                      []Entry
	// Active are the incidents under way, shown above the components.
	Active []activeView
	// Subscribe says which subscriptions the page offers; nil: none.
	Subscribe *config.StatusSubscriptions

	// The page and its JSON are rendered once per view, on first use.
	htmlOnce, jsonOnce sync.Once
	html, json         []byte
	// htmlGzip is html compressed, for the clients that take it: the 90
	// days of bars make the page large and its text repeats a lot.
	htmlGzip []byte
	htmlErr  error
}

// componentView is one row of the page.
type componentView struct {
	Key, Name string
	State     string
	// Reason is the reason of a state set by hand; "" otherwise.
	Reason string
	// Overridden is when the state was set by hand.
	Overridden time.Time
	Days       []dayView
	// Uptime is the share of good results over the days shown, -1 when
	// there were none.
	Uptime float64
	// monitors are the ids behind the row and live their statuses now;
	// never shown.
	monitors []string
	live     map[string]monitor.Status
}

// dayView is one daily uptime bar.
type dayView struct {
	Date   time.Time
	Total  int
	Failed int
}

// Ratio is the day's share of good results, -1 without results.
func (d dayView) Ratio() float64 {
	return store.Uptime{Total: d.Total, Failed: d.Failed}.Ratio()
}

// maintenanceView is a maintenance window that touches the page: under way
// or starting within the next 14 days.
type maintenanceView struct {
	Start, End time.Time
	Active     bool
	// Components are the names of the rows it covers.
	Components []string
}

// upcoming is how far ahead maintenance is announced.
const upcoming = 14 * 24 * time.Hour

func (h *Handler) compute(ctx context.Context, cfg *config.Config, p *config.StatusPage, now time.Time) (*pageView, error) {
	cat := h.d.Runtime.Catalog()
	v := &pageView{ID: p.ID, Slug: p.Slug, Title: p.Title, Description: p.Description, Updated: now.UTC()}
	overrides, err := h.d.Store.StatusOverrides(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	byKey := map[string]store.StatusOverride{}
	for _, o := range overrides {
		byKey[o.Component] = o
	}
	var snap *mute.Snapshot
	if h.d.Mutes != nil {
		snap = h.d.Mutes.Snapshot()
	}
	today := now.UTC().Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -(Days - 1))
	for _, c := range p.Components {
		cv := componentView{Key: Key(c), Name: c.Name, live: map[string]monitor.Status{}}
		for _, sid := range c.ServiceIDs() {
			if s, ok := cat.Service(sid); ok {
				cv.monitors = append(cv.monitors, s.Monitors...)
				cv.monitors = append(cv.monitors, s.Heartbeats...)
				if cv.Name == "" {
					cv.Name = s.Name
				}
			}
		}
		if cv.Name == "" {
			cv.Name = cv.Key
		}
		var statuses []monitor.Status
		inMaintenance := 0
		for _, id := range cv.monitors {
			if snap != nil {
				if m, ok := snap.Check(id, now); ok && m.Kind == mute.KindMaintenance {
					inMaintenance++
					continue
				}
			}
			if mv, ok := h.d.Runtime.Monitor(id); ok {
				statuses = append(statuses, mv.State.Status)
				cv.live[id] = mv.State.Status
			}
		}
		if len(cv.monitors) > 0 && inMaintenance == len(cv.monitors) {
			cv.State = Maintenance
		} else {
			cv.State = derive(statuses, inMaintenance)
		}
		if o, ok := byKey[cv.Key]; ok {
			cv.State, cv.Reason, cv.Overridden = o.State, o.Reason, o.SetAt
		}
		if cv.Days, cv.Uptime, err = h.days(ctx, cv.monitors, from); err != nil {
			return nil, err
		}
		v.Components = append(v.Components, cv)
		if rank(cv.State) > rank(v.State) {
			v.State = cv.State
		}
	}
	if v.State == "" {
		v.State = Operational
	}
	if snap != nil {
		v.Maintenance = maintenance(snap, v.Components, now)
	}
	if v.Entries, err = h.entries(ctx, p, v, now); err != nil {
		return nil, err
	}
	if v.Active, err = h.active(ctx, p, v.Components); err != nil {
		return nil, err
	}
	if p.Subscriptions.Offered() {
		v.Subscribe = p.Subscriptions
	}
	return v, nil
}

// days returns one bar per UTC day from the monitors' hourly rollups, the
// oldest first, and the share of good results over them all.
func (h *Handler) days(ctx context.Context, monitors []string, from time.Time) ([]dayView, float64, error) {
	ups, err := h.d.Store.DailyUptime(ctx, monitors, from, Days)
	if err != nil {
		return nil, 0, fmt.Errorf("read the uptime of a status page component: %w", err)
	}
	out := make([]dayView, Days)
	var all store.Uptime
	for i := range out {
		out[i] = dayView{Date: from.AddDate(0, 0, i), Total: ups[i].Total, Failed: ups[i].Failed}
		all.Total += ups[i].Total
		all.Failed += ups[i].Failed
	}
	return out, all.Ratio(), nil
}

// maintenance lists the windows under way or starting soon that cover a
// monitor of a component. The window's reason is not shown: it is written
// for the team and may name what the public must not see.
func maintenance(snap *mute.Snapshot, comps []componentView, now time.Time) []maintenanceView {
	var out []maintenanceView
	for _, w := range snap.Windows() {
		start, end, active := w.ActiveAt(now)
		if !active {
			var ok bool
			if start, end, ok = w.Next(now); !ok || start.Sub(now) > upcoming {
				continue
			}
		}
		mv := maintenanceView{Start: start.UTC(), End: end.UTC(), Active: active}
		for _, c := range comps {
			if slices.ContainsFunc(c.monitors, func(id string) bool {
				t, ok := snap.Target(id)
				return ok && w.Matches(t)
			}) {
				mv.Components = append(mv.Components, c.Name)
			}
		}
		if len(mv.Components) > 0 {
			out = append(out, mv)
		}
	}
	slices.SortFunc(out, func(a, b maintenanceView) int { return a.Start.Compare(b.Start) })
	return out
}
