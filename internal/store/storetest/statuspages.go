package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// testStatusOverrides: an override is stored per page and component,
// replaced by the next one, listed per page, and cleared once.
func testStatusOverrides(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	now := clk.Now().Truncate(time.Millisecond)
	a := store.StatusOverride{PageID: "public", Component: "web", State: "degraded", Reason: "slow logins", By: "kim", SetAt: now}
	must(t, s.SetStatusOverride(ctx, a), "SetStatusOverride")
	must(t, s.SetStatusOverride(ctx, store.StatusOverride{PageID: "other", Component: "web", State: "major_outage", By: "kim", SetAt: now}), "SetStatusOverride(other)")
	b := a
	b.State, b.Reason, b.SetAt = "major_outage", "all logins fail \x00", now.Add(time.Minute)
	must(t, s.SetStatusOverride(ctx, b), "SetStatusOverride(replace)")
	c := store.StatusOverride{PageID: "public", Component: "api", State: "maintenance", Reason: "", By: "lee", SetAt: now}
	must(t, s.SetStatusOverride(ctx, c), "SetStatusOverride(api)")
	got, err := s.StatusOverrides(ctx, "public")
	must(t, err, "StatusOverrides")
	b.Reason = "all logins fail " // NUL is dropped
	if d := cmp.Diff([]store.StatusOverride{c, b}, got); d != "" {
		t.Errorf("StatusOverrides (-want +got):\n%s", d)
	}
	must(t, s.ClearStatusOverride(ctx, "public", "web"), "ClearStatusOverride")
	wantCode(t, s.ClearStatusOverride(ctx, "public", "web"), errs.ENOTFOUND, "ClearStatusOverride(again)")
	wantCode(t, s.SetStatusOverride(ctx, store.StatusOverride{PageID: "public"}), errs.EINVALID, "SetStatusOverride(empty)")
	got, err = s.StatusOverrides(ctx, "public")
	must(t, err, "StatusOverrides")
	if len(got) != 1 || got[0].Component != "api" {
		t.Errorf("after clearing: %+v", got)
	}
	none, err := s.StatusOverrides(ctx, "nope")
	must(t, err, "StatusOverrides(nope)")
	if none == nil || len(none) != 0 {
		t.Errorf("StatusOverrides(nope) = %#v, want empty", none)
	}
}

// testDailyUptime: hourly rollups of several monitors are summed per UTC
// day; days without rollups, unknown monitors and hours outside the span
// add nothing.
func testDailyUptime(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	day0 := base // a UTC midnight
	clk.Set(day0.Add(3 * 24 * time.Hour))
	var rs []probe.Result
	rs = append(rs, hourOfResults("a", day0.Add(-time.Hour), 0)...) // before the span
	rs = append(rs, hourOfResults("a", day0.Add(time.Hour), 0, 1)...)
	rs = append(rs, hourOfResults("a", day0.Add(23*time.Hour))...)
	rs = append(rs, hourOfResults("b", day0.Add(5*time.Hour), 3)...)
	rs = append(rs, hourOfResults("a", day0.Add(48*time.Hour+10*time.Hour), 1, 2, 3)...)
	rs = append(rs, hourOfResults("c", day0.Add(30*time.Hour), 1)...) // not asked for
	save(t, s, rs...)
	must(t, s.Rollup(ctx, clk.Now()), "Rollup")
	got, err := s.DailyUptime(ctx, []string{"a", "b", "nope"}, day0, 3)
	must(t, err, "DailyUptime")
	want := []store.Uptime{{Total: 180, Failed: 3}, {}, {Total: 60, Failed: 3}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("DailyUptime (-want +got):\n%s", d)
	}
	none, err := s.DailyUptime(ctx, []string{"nope"}, day0, 2)
	must(t, err, "DailyUptime(nope)")
	if d := cmp.Diff([]store.Uptime{{}, {}}, none); d != "" {
		t.Errorf("DailyUptime(nope) (-want +got):\n%s", d)
	}
}
