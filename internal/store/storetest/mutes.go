package storetest

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testMaintenanceWindows covers windows created at run time: add, list by
// end, read one, end early (once; a window not begun ends at its start),
// and hostile text kept valid.
func testMaintenanceWindows(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	mk := func(reason string, from, to time.Duration) store.MaintenanceWindow {
		return store.MaintenanceWindow{Reason: reason, Services: []string{"web"}, Tags: []string{"db", "public"},
			StartsAt: now.Add(from), EndsAt: now.Add(to), CreatedBy: "ann"}
	}
	past, err := s.AddMaintenance(ctx, mk("last week", -200*time.Hour, -190*time.Hour))
	must(t, err, "AddMaintenance past")
	cur, err := s.AddMaintenance(ctx, mk("now", -time.Hour, time.Hour))
	must(t, err, "AddMaintenance current")
	next, err := s.AddMaintenance(ctx, store.MaintenanceWindow{Reason: "bad \xff text", Monitors: []string{"m\xffx"}, Hosts: []string{"h"}, Components: []string{"c"},
		StartsAt: now.Add(2 * time.Hour), EndsAt: now.Add(3 * time.Hour), CreatedBy: "bob"})
	must(t, err, "AddMaintenance upcoming")
	if cur.ID == 0 || cur.ID == past.ID || !cur.CreatedAt.Equal(now) {
		t.Errorf("ids %d %d, created %v", past.ID, cur.ID, cur.CreatedAt)
	}
	want := mk("now", -time.Hour, time.Hour)
	want.ID, want.CreatedAt = cur.ID, now
	if diff := cmp.Diff(want, cur); diff != "" {
		t.Errorf("stored window (-want +got):\n%s", diff)
	}
	if next.Reason != "bad \uFFFD text" || next.Monitors[0] != "m\uFFFDx" || next.Hosts[0] != "h" || next.Components[0] != "c" {
		t.Errorf("hostile window: %+v", next)
	}

	list, err := s.MaintenanceWindows(ctx, now)
	must(t, err, "MaintenanceWindows")
	if len(list) != 2 || list[0].ID != cur.ID || list[1].ID != next.ID {
		t.Fatalf("windows ending after now: %+v, want current and upcoming", list)
	}
	list, err = s.MaintenanceWindows(ctx, now.Add(-300*time.Hour))
	must(t, err, "MaintenanceWindows")
	if len(list) != 3 || list[0].ID != past.ID {
		t.Errorf("all windows: %d, want 3 oldest first", len(list))
	}

	ended, err := s.EndMaintenance(ctx, cur.ID, "carl")
	must(t, err, "EndMaintenance")
	if !ended.EndsAt.Equal(now) || ended.EndedBy != "carl" {
		t.Errorf("ended window: ends %v by %q", ended.EndsAt, ended.EndedBy)
	}
	_, err = s.EndMaintenance(ctx, cur.ID, "dan")
	wantCode(t, err, errs.ECONFLICT, "EndMaintenance twice")
	_, err = s.EndMaintenance(ctx, past.ID, "dan")
	wantCode(t, err, errs.ECONFLICT, "EndMaintenance of a past window")
	up, err := s.EndMaintenance(ctx, next.ID, "dan")
	must(t, err, "EndMaintenance upcoming")
	if !up.EndsAt.Equal(now) || !up.StartsAt.Equal(now) {
		t.Errorf("an upcoming window ended early runs %v to %v, want both now", up.StartsAt, up.EndsAt)
	}
	_, err = s.EndMaintenance(ctx, 9999, "dan")
	wantCode(t, err, errs.ENOTFOUND, "EndMaintenance of no window")
	_, err = s.MaintenanceWindow(ctx, 9999)
	wantCode(t, err, errs.ENOTFOUND, "MaintenanceWindow of no window")
	if list, _ := s.MaintenanceWindows(ctx, now); len(list) != 0 {
		t.Errorf("%d windows still in force after ending them", len(list))
	}
}

// testSilences covers silences: add, list, expire (once), huge reasons,
// and the reminder flags claimed exactly once by concurrent callers.
func testSilences(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now()
	in := store.Silence{
		Matchers:  []store.SilenceMatcher{{Name: "service", Op: "=", Value: "web"}, {Name: "tag", Op: "=~", Value: "db-.*"}},
		Reason:    strings.Repeat("long reason ", 1000),
		CreatedBy: "ann", StartsAt: now, EndsAt: now.Add(48 * time.Hour),
	}
	got, err := s.AddSilence(ctx, in)
	must(t, err, "AddSilence")
	want := in
	want.ID, want.CreatedAt = got.ID, now
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored silence (-want +got):\n%s", diff)
	}
	bad, err := s.AddSilence(ctx, store.Silence{Matchers: []store.SilenceMatcher{{Name: "tag", Op: "=", Value: "\xff"}}, Reason: "r\xff",
		CreatedBy: "x", StartsAt: now, EndsAt: now.Add(time.Hour)})
	must(t, err, "AddSilence hostile")
	if bad.Matchers[0].Value != "\uFFFD" || bad.Reason != "r\uFFFD" {
		t.Errorf("hostile silence: %+v", bad)
	}
	list, err := s.Silences(ctx, now)
	must(t, err, "Silences")
	if len(list) != 2 {
		t.Fatalf("%d silences, want 2", len(list))
	}

	// Reminders: many callers at once, exactly one claim each.
	for _, r := range []string{store.ReminderExpiry, store.ReminderUse} {
		var won atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				ok, err := s.MarkSilenceReminded(ctx, got.ID, r)
				if err != nil {
					t.Errorf("MarkSilenceReminded %s: %v", r, err)
				}
				if ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		if n := won.Load(); n != 1 {
			t.Errorf("reminder %s claimed %d times, want once", r, n)
		}
	}
	after, err := s.Silence(ctx, got.ID)
	must(t, err, "Silence")
	if !after.RemindedExpiry || !after.RemindedUse {
		t.Errorf("flags not stored: %+v", after)
	}
	if b, _ := s.Silence(ctx, bad.ID); b.RemindedExpiry || b.RemindedUse {
		t.Errorf("another silence's flags changed: %+v", b)
	}
	_, err = s.MarkSilenceReminded(ctx, 9999, store.ReminderUse)
	wantCode(t, err, errs.ENOTFOUND, "MarkSilenceReminded of no silence")
	_, err = s.MarkSilenceReminded(ctx, got.ID, "sometime")
	wantCode(t, err, errs.EINVALID, "MarkSilenceReminded of an unknown reminder")

	clk.Add(time.Minute)
	exp, err := s.ExpireSilence(ctx, got.ID, "bob")
	must(t, err, "ExpireSilence")
	if !exp.EndsAt.Equal(now.Add(time.Minute)) || exp.ExpiredBy != "bob" {
		t.Errorf("expired: ends %v by %q", exp.EndsAt, exp.ExpiredBy)
	}
	_, err = s.ExpireSilence(ctx, got.ID, "bob")
	wantCode(t, err, errs.ECONFLICT, "ExpireSilence twice")
	_, err = s.ExpireSilence(ctx, 9999, "bob")
	wantCode(t, err, errs.ENOTFOUND, "ExpireSilence of no silence")
	list, err = s.Silences(ctx, clk.Now())
	must(t, err, "Silences")
	if len(list) != 1 || list[0].ID != bad.ID {
		t.Errorf("silences in force after expiring one: %+v", list)
	}
}
