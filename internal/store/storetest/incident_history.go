package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testIncidentsOpened covers reading incidents by the time they opened:
// the window includes its start and excludes its end, rows come oldest
// first whatever order they were stored in, the times a measure needs
// round-trip, and a window ending before it starts is refused.
func testIncidentsOpened(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	open := func(title string, at time.Time, kind string, services ...string) store.Incident {
		t.Helper()
		in, err := s.OpenIncident(ctx, store.Incident{Title: title, Severity: "p2", Services: services, OpenedAt: at, DetectedAt: at.Add(-3 * time.Minute),
			ReportedKind: kind, ReportedAt: at.Add(-3 * time.Minute)}, 0, nil)
		must(t, err, "OpenIncident "+title)
		return in
	}
	from := base.Add(24 * time.Hour)
	to := from.Add(48 * time.Hour)
	open("before the window", from.Add(-time.Millisecond), store.ReportedByStaff)
	late := open("late", to.Add(-time.Millisecond), store.ReportedByMonitor, "shop")
	first := open("at the start", from, store.ReportedByCustomer, "shop", "db")
	open("at the end", to, store.ReportedByStaff)
	must(t, s.SetIncidentAcknowledged(ctx, first.ID, from.Add(5*time.Minute)), "SetIncidentAcknowledged")
	_, err := s.ChangeIncident(ctx, store.IncidentChange{ID: first.ID, State: store.IncidentResolved, At: from.Add(time.Hour), Who: "ann"})
	must(t, err, "ChangeIncident")

	got, err := s.IncidentsOpened(ctx, from, to)
	must(t, err, "IncidentsOpened")
	if len(got) != 2 || got[0].ID != first.ID || got[1].ID != late.ID {
		t.Fatalf("IncidentsOpened = %+v, want incidents %d and %d", got, first.ID, late.ID)
	}
	g := got[0]
	if !g.OpenedAt.Equal(from) || !g.DetectedAt.Equal(from.Add(-3*time.Minute)) || !g.AcknowledgedAt.Equal(from.Add(5*time.Minute)) ||
		!g.ResolvedAt.Equal(from.Add(time.Hour)) || g.ReportedKind != store.ReportedByCustomer || len(g.Services) != 2 || g.Services[1] != "db" {
		t.Errorf("first incident read back as %+v", g)
	}
	if !got[1].AcknowledgedAt.IsZero() || !got[1].ResolvedAt.IsZero() {
		t.Errorf("an open incident read back acknowledged or resolved: %+v", got[1])
	}
	if got, err := s.IncidentsOpened(ctx, to.Add(time.Hour), to.Add(2*time.Hour)); err != nil || got == nil || len(got) != 0 {
		t.Errorf("an empty window = %#v, %v; want an empty list", got, err)
	}
	_, err = s.IncidentsOpened(ctx, to, from)
	wantCode(t, err, errs.EINVALID, "a window ending before it starts")

	// Writers opening incidents while the window is read: every read
	// sees whole rows, and the last sees them all.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			at := from.Add(time.Duration(i+1) * time.Hour)
			if _, err := s.OpenIncident(ctx, store.Incident{Title: "concurrent", Severity: "p2", OpenedAt: at, DetectedAt: at, ReportedKind: store.ReportedByMonitor}, 0, nil); err != nil {
				t.Errorf("concurrent OpenIncident: %v", err)
			}
		})
		wg.Go(func() {
			if _, err := s.IncidentsOpened(ctx, from, to); err != nil {
				t.Errorf("concurrent IncidentsOpened: %v", err)
			}
		})
	}
	wg.Wait()
	got, err = s.IncidentsOpened(ctx, from, to)
	must(t, err, "IncidentsOpened after the writers")
	if len(got) != 6 {
		t.Errorf("after 4 more, the window holds %d incidents, want 6", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].OpenedAt.Before(got[i-1].OpenedAt) {
			t.Errorf("not oldest first: %v before %v", got[i-1].OpenedAt, got[i].OpenedAt)
		}
	}
}
