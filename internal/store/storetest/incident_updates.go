package storetest

import (
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testIncidentUpdates covers incident updates: stored with their timeline
// entry, listed per incident newest first, public ones listed since a
// time, and bad input refused.
func testIncidentUpdates(t *testing.T, s store.Store, _ *Clock) {
	ctx := t.Context()
	at := base.Add(2 * time.Hour)
	in, err := s.OpenIncident(ctx, store.Incident{Title: "SFTP export blocked", Severity: "p1", Services: []string{"shop"}, OpenedAt: at,
		ReportedKind: store.ReportedByStaff, ReportedAt: at}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := s.AddIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: in.ID, Time: at.Add(time.Minute), Status: store.IncidentInvestigating,
		Message: "Exports are delayed.", Public: true, Who: "ann"})
	if err != nil || pub.ID == 0 {
		t.Fatalf("add public update = %+v, %v", pub, err)
	}
	priv, err := s.AddIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: in.ID, Time: at.Add(2 * time.Minute), Status: store.IncidentIdentified,
		Message: "fw rule 42 on sftp-1 blocks port 22", Who: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	us, err := s.IncidentUpdatesOf(ctx, in.ID)
	if err != nil || len(us) != 2 || us[0].ID != priv.ID || us[1].ID != pub.ID || !us[1].Public || us[0].Public ||
		us[1].Message != "Exports are delayed." || us[1].Who != "ann" || us[1].Status != store.IncidentInvestigating || !us[1].Time.Equal(at.Add(time.Minute)) {
		t.Fatalf("updates of incident = %+v, %v", us, err)
	}
	ps, err := s.PublicIncidentUpdates(ctx, at, 10)
	if err != nil || len(ps) != 1 || ps[0].ID != pub.ID || ps[0].IncidentID != in.ID {
		t.Fatalf("public updates = %+v, %v", ps, err)
	}
	if ps, err := s.PublicIncidentUpdates(ctx, at.Add(90*time.Second), 10); err != nil || len(ps) != 0 {
		t.Fatalf("public updates since after it = %+v, %v", ps, err)
	}
	got, err := s.Incident(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range got.Timeline {
		if e.Kind == store.EntryUpdate {
			n++
		}
	}
	if n != 2 {
		t.Errorf("timeline has %d update entries, want 2: %+v", n, got.Timeline)
	}
	if _, err := s.AddIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: in.ID, Status: "sleeping", Message: "x", Who: "ann"}); errs.Code(err) != errs.EINVALID {
		t.Errorf("unknown status: %v, want EINVALID", err)
	}
	if _, err := s.AddIncidentUpdate(ctx, store.IncidentUpdate{IncidentID: in.ID + 1000, Status: store.IncidentResolved, Message: "x", Who: "ann"}); errs.Code(err) != errs.ENOTFOUND {
		t.Errorf("no such incident: %v, want ENOTFOUND", err)
	}
	if us, _ := s.IncidentUpdatesOf(ctx, in.ID); len(us) != 2 {
		t.Errorf("a refused update was stored: %+v", us)
	}
}
