package webtest

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/store"
)

// MeasuredIncident stores an incident of services, reported by kind,
// detected at, opened open later, and acknowledged ack and resolved res
// after its detection (0 for not yet), for tests of response times.
func MeasuredIncident(t testing.TB, s store.Store, at time.Time, kind string, open, ack, res time.Duration, services ...string) store.Incident {
	t.Helper()
	ctx := t.Context()
	in, err := s.OpenIncident(ctx, store.Incident{Title: "measured", Severity: "p2", Services: services, DetectedAt: at, OpenedAt: at.Add(open),
		ReportedKind: kind, ReportedAt: at}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ack > 0 {
		if err := s.SetIncidentAcknowledged(ctx, in.ID, at.Add(ack)); err != nil {
			t.Fatal(err)
		}
	}
	if res > 0 {
		if in, err = s.ChangeIncident(ctx, store.IncidentChange{ID: in.ID, State: store.IncidentResolved, At: at.Add(res), Who: "ann"}); err != nil {
			t.Fatal(err)
		}
	}
	return in
}
