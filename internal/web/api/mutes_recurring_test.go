package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// TestAPIRecurringMaintenance creates a recurring window through the API,
// lists it with its next opening, checks that the engine's snapshot mutes
// during openings only, refuses bad input with clear 400s, and ends the
// recurrence.
func TestAPIRecurringMaintenance(t *testing.T) {
	t.Parallel()
	m := &webtest.Mutes{}
	e := webtest.New(t, webtest.WithMutes(m))
	c := e.Setup()
	now := e.Clock.Now() // Sunday 2026-03-01 12:00 UTC
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}

	r := e.Do(c, "POST", "/api/v1/maintenance", strings.NewReader(
		`{"reason":"weekly patching","services":["shop"],"cron":"0 2 * * SUN","duration":"2h","timezone":"Europe/Oslo"}`), jsonHdr)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var one api.One[api.MaintenanceWindow]
	if err := json.Unmarshal([]byte(r.Body), &one); err != nil {
		t.Fatal(err)
	}
	w := one.Data
	first := time.Date(2026, 3, 8, 2, 0, 0, 0, oslo)
	if w.State != "upcoming" || w.Cron != "0 2 * * SUN" || w.Duration != "2h0m0s" || w.Timezone != "Europe/Oslo" ||
		w.From == nil || !w.From.Equal(now) || w.Until != nil || w.StartsAt == nil || !w.StartsAt.Equal(first) ||
		!w.EndsAt.Equal(first.Add(2*time.Hour)) || w.NextStartsAt == nil || !w.NextStartsAt.Equal(first) {
		t.Errorf("created recurring window: %+v", w)
	}
	snap := m.Snapshot()
	if _, ok := snap.Check("api", first.Add(-time.Minute)); ok {
		t.Error("api muted before the first opening")
	}
	if mu, ok := snap.Check("api", first.Add(time.Hour)); !ok || mu.ID != w.ID || !mu.Until.Equal(first.Add(2*time.Hour)) {
		t.Errorf("api in the first opening: %+v %v", mu, ok)
	}
	// After the clocks go forward (29 March), 02:00 in Oslo is 00:00 UTC.
	apr5 := time.Date(2026, 4, 5, 0, 30, 0, 0, time.UTC)
	if _, ok := snap.Check("api", apr5); !ok {
		t.Error("api not muted at 02:30 Oslo summer time on 5 April")
	}
	if _, ok := snap.Check("api", apr5.Add(2*time.Hour)); ok {
		t.Error("api muted after the opening of 5 April")
	}

	// In an opening the listing shows it as active, and the next one.
	e.Clock.Set(first.Add(30 * time.Minute))
	r = e.Get(c, "/api/v1/maintenance")
	var list api.List[api.MaintenanceWindow]
	if err := json.Unmarshal([]byte(r.Body), &list); err != nil || len(list.Data) != 1 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	if l := list.Data[0]; l.State != "active" || !l.StartsAt.Equal(first) || l.NextStartsAt == nil || !l.NextStartsAt.Equal(first.AddDate(0, 0, 7)) {
		t.Errorf("listed during an opening: %+v", l)
	}

	for _, tc := range []struct{ body, want string }{
		{`{"reason":"x","services":["shop"],"cron":"0 2 * *","duration":"1h"}`, "invalid cron expression"},
		{`{"reason":"x","services":["shop"],"cron":"0 0 30 2 *","duration":"1h"}`, "never fires"},
		{`{"reason":"x","services":["shop"],"cron":"0 2 * * *"}`, "duration above zero"},
		{`{"reason":"x","services":["shop"],"cron":"0 2 * * *","duration":"0s"}`, "longer than zero"},
		{`{"reason":"x","services":["shop"],"cron":"0 2 * * *","duration":"1h","timezone":"Europe/Nowhere"}`, `unknown timezone "Europe/Nowhere"`},
		{`{"reason":"x","services":["shop"],"cron":"0 2 * * *","duration":"1h","ends_at":"2026-03-20T00:00:00Z"}`, "not both"},
		{`{"reason":"x","services":["shop"],"cron":"0 2 * * *","duration":"1h","starts_at":"2026-03-20T00:00:00Z"}`, "not both"},
		{`{"reason":"x","services":["shop"],"duration":"1h","timezone":"Europe/Oslo"}`, "belong to a recurring window"},
		{`{"reason":"x","services":["shop"],"duration":"1h","until":"2026-04-01T00:00:00Z"}`, "belong to a recurring window"},
		{`{"reason":"x","services":["shop"],"cron":" ","duration":"1h"}`, "cron expression is empty"},
		{`{"reason":"x","services":["shop"],"cron":"0 2 * * *","duration":"1h","from":"2026-04-01T00:00:00Z","until":"2026-03-20T00:00:00Z"}`, "is not after the start"},
		{`{"reason":"x","services":["shop"],"cron":"0 2 1 1 *","duration":"1h","until":"2026-06-01T00:00:00Z"}`, "never opens the window before its end"},
		{`{"reason":"x","services":["shp"],"cron":"0 2 * * *","duration":"1h"}`, `unknown service "shp"`},
	} {
		r := e.Do(c, "POST", "/api/v1/maintenance", strings.NewReader(tc.body), jsonHdr)
		if r.Status != 400 || !strings.Contains(webtest.APIError(t, r).Message, tc.want) {
			t.Errorf("%s: %d %s, want 400 saying %q", tc.body, r.Status, r.Body, tc.want)
		}
	}

	// A bounded recurrence is kept as given.
	r = e.Do(c, "POST", "/api/v1/maintenance", strings.NewReader(
		`{"reason":"nightly","monitors":["api"],"cron":"@daily","duration":"30m","from":"2026-03-10T00:00:00Z","until":"2026-03-12T00:00:00Z"}`), jsonHdr)
	if r.Status != 201 || !strings.Contains(r.Body, `"until": "2026-03-12T00:00:00Z"`) || !strings.Contains(r.Body, `"timezone": "UTC"`) ||
		!strings.Contains(r.Body, `"starts_at": "2026-03-10T00:00:00Z"`) {
		t.Errorf("bounded window: %d %s", r.Status, r.Body)
	}
	if _, ok := m.Snapshot().Check("api", time.Date(2026, 3, 12, 0, 10, 0, 0, time.UTC)); ok {
		t.Error("api muted after the end of the bounded recurrence")
	}

	// Ending it ends the recurrence, cutting the opening under way.
	r = e.Do(c, "POST", "/api/v1/maintenance/"+w.ID+"/end", nil, nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"ended_by": "admin"`) || !strings.Contains(r.Body, `"state": "past"`) || !strings.Contains(r.Body, `"until"`) {
		t.Fatalf("end: %d %s", r.Status, r.Body)
	}
	if _, ok := m.Snapshot().Check("api", e.Clock.Now()); ok {
		t.Error("api still muted after the recurrence ended")
	}
	if _, ok := m.Snapshot().Check("api", first.AddDate(0, 0, 7).Add(time.Minute)); ok {
		t.Error("api muted by an opening after the recurrence ended")
	}
}
