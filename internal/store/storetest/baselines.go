package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// testBaselines covers the baselines of observed facts: recorded, read
// back by monitor and subject, a differing observation kept and cleared,
// an acceptance replacing the values with who and when.
func testBaselines(t *testing.T, s store.Store, clk *Clock) {
	ctx := t.Context()
	t0 := clk.Now().Truncate(time.Millisecond)
	for name, b := range map[string]store.Baseline{
		"no monitor": {Subject: "/x", Values: map[string]string{"sha256": "a"}},
		"no subject": {MonitorID: "m", Values: map[string]string{"sha256": "a"}},
		"no values":  {MonitorID: "m", Subject: "/x"},
	} {
		wantCode(t, s.SaveBaselines(ctx, []store.Baseline{b}), errs.EINVALID, "SaveBaselines "+name)
	}
	got, err := s.Baselines(ctx, "script")
	if err != nil || len(got) != 0 {
		t.Fatalf("Baselines before any = %+v, %v", got, err)
	}
	first := store.Baseline{MonitorID: "script", Subject: "/usr/local/bin/ship-logs.sh",
		Values: map[string]string{"sha256": "ab12", "owner": "root:root", "mode": "0755"}, AcceptedAt: t0}
	other := store.Baseline{MonitorID: "other", Subject: "/etc/x", Values: map[string]string{"sha256": "cd"}, AcceptedAt: t0}
	must(t, s.SaveBaselines(ctx, []store.Baseline{first, other}), "SaveBaselines")
	got, err = s.Baselines(ctx, "script")
	must(t, err, "Baselines")
	if diff := cmp.Diff([]store.Baseline{first}, got); diff != "" {
		t.Errorf("Baselines (-want +got):\n%s", diff)
	}

	drift := first
	drift.Observed = map[string]string{"sha256": "9f3e", "owner": "root:root", "mode": "0777"}
	drift.ChangedAt = t0.Add(time.Minute)
	must(t, s.SaveBaselines(ctx, []store.Baseline{drift}), "SaveBaselines drift")
	got, _ = s.Baselines(ctx, "script")
	if diff := cmp.Diff([]store.Baseline{drift}, got); diff != "" {
		t.Errorf("Baselines with a drift (-want +got):\n%s", diff)
	}

	accepted := drift
	accepted.Values, accepted.Observed, accepted.ChangedAt = drift.Observed, nil, time.Time{}
	accepted.AcceptedBy, accepted.AcceptedAt = "ana", t0.Add(2*time.Minute)
	must(t, s.SaveBaselines(ctx, []store.Baseline{accepted}), "SaveBaselines accepted")
	got, _ = s.Baselines(ctx, "script")
	if diff := cmp.Diff([]store.Baseline{accepted}, got); diff != "" {
		t.Errorf("Baselines accepted (-want +got):\n%s", diff)
	}
	got, _ = s.Baselines(ctx, "other")
	if len(got) != 1 || got[0].Values["sha256"] != "cd" {
		t.Errorf("Baselines of another monitor = %+v", got)
	}
}
