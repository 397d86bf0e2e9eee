package status_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/status"
)

// updatesSource shows every public incident update on every page.
type updatesSource struct{ st store.Store }

func (s *updatesSource) Entries(ctx context.Context, _ config.StatusPage, since time.Time) ([]status.Entry, error) {
	ups, err := s.st.PublicIncidentUpdates(ctx, since, 50)
	if err != nil {
		return nil, err
	}
	var out []status.Entry
	for _, u := range ups {
		out = append(out, status.Entry{ID: fmt.Sprint("update/", u.ID), Time: u.Time, Title: u.Status, Text: u.Message})
	}
	return out, nil
}

// TestPublicUpdateShowsAtOnce: a page is cached for CacheFor, but a public
// incident update (or an incident opening or changing state) shows
// within status.VersionEvery, not after the cache time; with nothing
// new, the cached page is served.
func TestPublicUpdateShowsAtOnce(t *testing.T) {
	src := &updatesSource{}
	e := newEnv(t, func(o *web.Options) { o.StatusSources = []status.Source{src} })
	src.st = e.Store
	st := e.Store
	events := func() []string {
		var out []string
		for _, ev := range getJSON(t, e).Events {
			out = append(out, ev.Text)
		}
		return out
	}
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	if got := events(); has(got, "We are looking into it.") {
		t.Fatalf("events before any update: %q", got)
	}
	ctx := t.Context()
	in, err := st.OpenIncident(ctx, store.Incident{Title: "shop down", Severity: "p1", State: store.IncidentInvestigating, Services: []string{"shop"},
		OpenedAt: e.Clock.Now(), ReportedKind: store.ReportedByStaff}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: in.ID, Time: e.Clock.Now(), Status: store.IncidentInvestigating, Message: "We are looking into it.", Public: true, Who: "ana"}); err != nil {
		t.Fatal(err)
	}
	// Within VersionEvery of the last look, the cached page stands.
	if got := events(); has(got, "We are looking into it.") {
		t.Errorf("the update showed before status.VersionEvery passed: %q", got)
	}
	e.Clock.Add(status.VersionEvery + time.Millisecond)
	if got := events(); !has(got, "We are looking into it.") {
		t.Errorf("events %s after the update (cache time %s): %q", status.VersionEvery, status.DefaultCacheFor, got)
	}
	e.Clock.Add(status.VersionEvery + time.Millisecond)
	if _, err := st.AddIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: in.ID, Time: e.Clock.Now(), Status: store.IncidentIdentified, Message: "Found it.", Public: true, Who: "ana"}); err != nil {
		t.Fatal(err)
	}
	e.Clock.Add(status.VersionEvery + time.Millisecond)
	if got := events(); !has(got, "Found it.") {
		t.Errorf("the second update did not show: %q", got)
	}
}
