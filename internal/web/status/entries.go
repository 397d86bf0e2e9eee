package status

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/store"
)

// Entry is one event of a status page, as its feeds and its list of recent
// events show it. Everything in it is public.
type Entry struct {
	// ID is unique and stable within the page; the feeds' entry ids are
	// made from it.
	ID    string
	Time  time.Time
	Title string
	Text  string
}

// Source adds entries to status pages. The page asks every source for the
// entries of the last EntryDays days. Incident updates that are marked
// public are meant to come in through a Source, so the page, its JSON and
// its feeds show them without changing here.
type Source interface {
	Entries(ctx context.Context, page config.StatusPage, since time.Time) ([]Entry, error)
}

// EntryDays is how far back a page lists events; MaxEntries bounds them.
const (
	EntryDays  = 30
	MaxEntries = 50
)

// transitionsPerMonitor bounds the transitions read per monitor for the
// events: enough for a flapping month, bounded for the page's cost.
const transitionsPerMonitor = 200

// entries gathers the page's events, newest first: component state changes
// replayed from the monitors' transitions, states set by hand, maintenance,
// and what the sources add.
func (h *Handler) entries(ctx context.Context, p *config.StatusPage, v *pageView, now time.Time) ([]Entry, error) {
	since := now.Add(-EntryDays * 24 * time.Hour)
	var out []Entry
	for _, c := range v.Components {
		es, err := h.changes(ctx, c, since)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
		if !c.Overridden.IsZero() {
			text := "Set by hand."
			if c.Reason != "" {
				text = c.Reason
			}
			out = append(out, Entry{ID: fmt.Sprintf("override/%s/%d", c.Key, c.Overridden.UnixMilli()), Time: c.Overridden,
				Title: c.Name + ": " + label(c.State), Text: text})
		}
	}
	for _, m := range v.Maintenance {
		title := "Scheduled maintenance"
		if m.Active {
			title = "Maintenance in progress"
		}
		text := fmt.Sprintf("%s, from %s to %s (UTC).", joinNames(m.Components), m.Start.Format("2006-01-02 15:04"), m.End.Format("2006-01-02 15:04"))
		// A window is announced when it is scheduled; as the store does
		// not say when that was, the feed dates it a day before it starts
		// or now, whichever is earlier.
		at := m.Start.Add(-24 * time.Hour)
		if at.After(now) {
			at = now
		}
		out = append(out, Entry{ID: fmt.Sprintf("maintenance/%d/%d", m.Start.UnixMilli(), m.End.UnixMilli()), Time: at.UTC(), Title: title, Text: text})
	}
	for _, s := range h.d.Sources {
		es, err := s.Entries(ctx, *p, since)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return b.Time.Compare(a.Time) })
	if len(out) > MaxEntries {
		out = out[:MaxEntries]
	}
	return out, nil
}

// changes replays the transitions of a component's monitors since since,
// in order, and returns an entry each time the component's state changed.
// Only statuses are read from a transition: its reason and result are not
// public.
func (h *Handler) changes(ctx context.Context, c componentView, since time.Time) ([]Entry, error) {
	var ts []monitor.Transition
	for _, id := range c.monitors {
		st, err := h.d.Store.Transitions(ctx, id, store.Page{Limit: transitionsPerMonitor})
		if err != nil {
			return nil, fmt.Errorf("read the changes of a status page component: %w", err)
		}
		for _, t := range st {
			if !t.Time.Before(since) {
				ts = append(ts, t.Transition)
			}
		}
	}
	if len(ts) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(ts, func(a, b monitor.Transition) int { return a.Time.Compare(b.Time) })
	// Before the first transition read, a monitor was as its earliest
	// transition left it; one without transitions since is as it is now.
	cur := maps.Clone(c.live)
	for i := len(ts) - 1; i >= 0; i-- {
		cur[ts[i].MonitorID] = ts[i].From
	}
	state := func() string {
		var ss []monitor.Status
		for _, id := range c.monitors {
			ss = append(ss, cur[id])
		}
		return derive(ss, 0)
	}
	prev := state()
	var out []Entry
	for _, t := range ts {
		cur[t.MonitorID] = t.To
		s := state()
		if s == prev {
			continue
		}
		text := "The component is working normally again."
		if s != Operational {
			text = "Our monitoring found a problem with this component."
		}
		out = append(out, Entry{ID: fmt.Sprintf("state/%s/%d/%s", c.Key, t.Time.UnixMilli(), s), Time: t.Time.UTC(),
			Title: c.Name + ": " + label(s), Text: text})
		prev = s
	}
	return out, nil
}

func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	s := names[0]
	for _, n := range names[1 : len(names)-1] {
		s += ", " + n
	}
	return s + " and " + names[len(names)-1]
}
