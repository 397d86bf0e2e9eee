package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testRecurringMaintenance covers recurring windows: cron, duration and
// timezone kept, an open end listed whatever since is, ending one ends its
// recurrence (once), and a one-off window without an end or a duration
// without a cron refused.
func testRecurringMaintenance(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	in := store.MaintenanceWindow{Reason: "weekly patching", Services: []string{"web"}, StartsAt: now.Add(-48 * time.Hour),
		Cron: "0 2 * * SUN", Duration: 2*time.Hour + 30*time.Second, Timezone: "Europe/Oslo", CreatedBy: "ann"}
	open, err := s.AddMaintenance(ctx, in)
	must(t, err, "AddMaintenance recurring")
	want := in
	want.ID, want.CreatedAt = open.ID, now
	if diff := cmp.Diff(want, open); diff != "" {
		t.Errorf("stored recurring window (-want +got):\n%s", diff)
	}
	bounded, err := s.AddMaintenance(ctx, store.MaintenanceWindow{Reason: "nightly until spring", Tags: []string{"db"}, StartsAt: now,
		EndsAt: now.Add(30 * 24 * time.Hour), Cron: "@daily", Duration: time.Hour, CreatedBy: "bob"})
	must(t, err, "AddMaintenance bounded")
	if !bounded.EndsAt.Equal(now.Add(30*24*time.Hour)) || bounded.Timezone != "" || bounded.Cron != "@daily" {
		t.Errorf("bounded window: %+v", bounded)
	}
	oneOff, err := s.AddMaintenance(ctx, store.MaintenanceWindow{Reason: "one-off", Services: []string{"web"}, StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "bob"})
	must(t, err, "AddMaintenance one-off")

	// A window without an end is listed however late since is.
	list, err := s.MaintenanceWindows(ctx, now.Add(365*24*time.Hour))
	must(t, err, "MaintenanceWindows a year on")
	if len(list) != 1 || list[0].ID != open.ID || !list[0].EndsAt.IsZero() {
		t.Fatalf("windows a year on: %+v, want only the open-ended one", list)
	}
	list, err = s.MaintenanceWindows(ctx, now)
	must(t, err, "MaintenanceWindows")
	if len(list) != 3 || list[0].ID != open.ID || list[1].ID != bounded.ID || list[2].ID != oneOff.ID {
		t.Fatalf("windows now: %+v, want all three oldest start first", list)
	}

	clk.Add(time.Hour)
	ended, err := s.EndMaintenance(ctx, open.ID, "carl")
	must(t, err, "EndMaintenance recurring")
	if !ended.EndsAt.Equal(now.Add(time.Hour)) || ended.EndedBy != "carl" || ended.Cron != in.Cron || !ended.StartsAt.Equal(in.StartsAt) {
		t.Errorf("ended recurring window: %+v", ended)
	}
	_, err = s.EndMaintenance(ctx, open.ID, "dan")
	wantCode(t, err, errs.ECONFLICT, "EndMaintenance of an ended recurrence")
	if list, _ := s.MaintenanceWindows(ctx, now.Add(2*time.Hour)); len(list) != 1 || list[0].ID != bounded.ID {
		t.Errorf("windows after ending the open one: %+v, want the bounded one", list)
	}

	_, err = s.AddMaintenance(ctx, store.MaintenanceWindow{Reason: "no end", Services: []string{"web"}, StartsAt: now, CreatedBy: "bob"})
	wantCode(t, err, errs.EINVALID, "AddMaintenance one-off without an end")
	_, err = s.AddMaintenance(ctx, store.MaintenanceWindow{Reason: "no cron", Services: []string{"web"}, StartsAt: now, EndsAt: now.Add(time.Hour),
		Duration: time.Hour, CreatedBy: "bob"})
	wantCode(t, err, errs.EINVALID, "AddMaintenance duration without cron")
}
