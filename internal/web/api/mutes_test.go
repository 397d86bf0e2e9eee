package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/mute"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

var jsonHdr = map[string]string{"Content-Type": "application/json"}

// TestAPIMaintenance creates, lists and ends a window through the API, and
// checks that the snapshot the engine reads follows each change.
func TestAPIMaintenance(t *testing.T) {
	t.Parallel()
	m := &webtest.Mutes{}
	e := webtest.New(t, webtest.WithMutes(m))
	e.RT.Cfg.Maintenance = []config.Maintenance{{ID: "nightly", Reason: "backups", Match: config.MaintenanceMatch{Monitors: []string{"lone"}}, Cron: "0 2 * * *", Duration: config.Duration(time.Hour)}}
	c := e.Setup()
	now := e.Clock.Now()

	r := e.Do(c, "POST", "/api/v1/maintenance", strings.NewReader(`{"reason":"moving racks","services":["shop"],"duration":"2h"}`), jsonHdr)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var one api.One[api.MaintenanceWindow]
	if err := json.Unmarshal([]byte(r.Body), &one); err != nil {
		t.Fatal(err)
	}
	w := one.Data
	if w.State != "active" || w.CreatedBy != "admin" || !w.EndsAt.Equal(now.Add(2*time.Hour)) || w.Source != mute.SourceStored {
		t.Errorf("created window: %+v", w)
	}
	if mu, ok := m.Snapshot().Check("api", now); !ok || mu.ID != w.ID || mu.Kind != mute.KindMaintenance {
		t.Errorf("api not muted by the new window: %+v %v", mu, ok)
	}

	r = e.Get(c, "/api/v1/maintenance")
	var list api.List[api.MaintenanceWindow]
	if err := json.Unmarshal([]byte(r.Body), &list); err != nil || len(list.Data) != 2 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	if n := list.Data[0]; n.ID != "nightly" || n.Source != "config" || n.State != "upcoming" || !n.StartsAt.Equal(time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("the config window: %+v", n)
	}

	for _, tc := range []struct{ body, want string }{
		{`{"services":["shop"],"duration":"1h"}`, "reason is required"},
		{`{"reason":"x","services":["shp"],"duration":"1h"}`, `unknown service "shp"`},
		{`{"reason":"x","tags":["nope"],"monitors":["ghost"],"duration":"1h"}`, `unknown monitor "ghost"`},
		{`{"reason":"x","duration":"1h"}`, "must name at least one"},
		{`{"reason":"x","services":["shop"]}`, "ends_at or duration is required"},
		{`{"reason":"x","services":["shop"],"duration":"1h","ends_at":"2026-03-01T15:00:00Z"}`, "not both"},
		{`{"reason":"x","services":["shop"],"starts_at":"2026-03-01T15:00:00Z","ends_at":"2026-03-01T14:00:00Z"}`, "is not after the start"},
		{`{"reason":"x","services":["shop"],"duration":"0s"}`, "longer than zero"},
		{`{"reason":"x","services":["shop"],"duration":"1h","colour":"red"}`, "unknown field"},
	} {
		r := e.Do(c, "POST", "/api/v1/maintenance", strings.NewReader(tc.body), jsonHdr)
		if r.Status != 400 || !strings.Contains(webtest.APIError(t, r).Message, tc.want) {
			t.Errorf("%s: %d %s, want 400 saying %q", tc.body, r.Status, r.Body, tc.want)
		}
	}

	e.Clock.Add(time.Minute)
	r = e.Do(c, "POST", "/api/v1/maintenance/"+w.ID+"/end", nil, nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"ended_by": "admin"`) || !strings.Contains(r.Body, `"state": "past"`) {
		t.Fatalf("end: %d %s", r.Status, r.Body)
	}
	if _, ok := m.Snapshot().Check("api", e.Clock.Now()); ok {
		t.Error("api still muted after the window ended")
	}
	for path, want := range map[string]int{
		"/api/v1/maintenance/" + w.ID + "/end": 409, // already ended
		"/api/v1/maintenance/nightly/end":      409, // the configuration's
		"/api/v1/maintenance/999/end":          404,
		"/api/v1/maintenance/what/end":         404,
	} {
		if r := e.Do(c, "POST", path, nil, nil); r.Status != want {
			t.Errorf("POST %s: %d %s, want %d", path, r.Status, r.Body, want)
		}
	}
	if r := e.Do(c, "DELETE", "/api/v1/maintenance/"+w.ID, nil, nil); r.Status != 409 {
		t.Errorf("DELETE of an ended window: %d", r.Status)
	}
}

// TestAPISilences creates and expires a silence through the API; bad
// matchers, no reason and no end are clear 400s.
func TestAPISilences(t *testing.T) {
	t.Parallel()
	m := &webtest.Mutes{}
	e := webtest.New(t, webtest.WithMutes(m))
	c := e.Setup()
	tok := e.Token(c, "cli")
	now := e.Clock.Now()
	hdr := webtest.Bearer(tok)
	hdr["Content-Type"] = "application/json"

	r := e.Do(e.Client(), "POST", "/api/v1/silences", strings.NewReader(`{"matchers":["service=shop","monitor!~w.*"],"reason":"flaky upstream","ends_at":"2026-03-03T12:00:00Z"}`), hdr)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var one api.One[api.Silence]
	if err := json.Unmarshal([]byte(r.Body), &one); err != nil {
		t.Fatal(err)
	}
	s := one.Data
	if s.State != "active" || s.CreatedBy != "admin" || strings.Join(s.Matchers, " ") != "service=shop monitor!~w.*" {
		t.Errorf("created silence: %+v", s)
	}
	if _, ok := m.Snapshot().Check("api", now); !ok {
		t.Error("api not silenced")
	}
	if _, ok := m.Snapshot().Check("web", now); ok {
		t.Error("web silenced, though monitor!~w.* excludes it")
	}

	for _, tc := range []struct{ body, want string }{
		{`{"matchers":["service=shop"],"duration":"1h"}`, "reason is required"},
		{`{"matchers":["service=shop"],"reason":"x"}`, "ends_at or duration is required"},
		{`{"matchers":["tag=~(db"],"reason":"x","duration":"1h"}`, "invalid regular expression"},
		{`{"matchers":["colour=red"],"reason":"x","duration":"1h"}`, `unknown matcher name "colour"`},
		{`{"matchers":[],"reason":"x","duration":"1h"}`, "at least one matcher"},
		{`{"matchers":["service=shop"],"reason":"x","starts_at":"2026-03-02T00:00:00Z","ends_at":"2026-03-01T00:00:00Z"}`, "is not after the start"},
		{`{"matchers":["service=shop"],"reason":"x","duration":"100d"}`, "at most 90 days"},
	} {
		r := e.Do(e.Client(), "POST", "/api/v1/silences", strings.NewReader(tc.body), hdr)
		if r.Status != 400 || !strings.Contains(webtest.APIError(t, r).Message, tc.want) {
			t.Errorf("%s: %d %s, want 400 saying %q", tc.body, r.Status, r.Body, tc.want)
		}
	}

	r = e.Get(c, "/api/v1/silences")
	var list api.List[api.Silence]
	if err := json.Unmarshal([]byte(r.Body), &list); err != nil || len(list.Data) != 1 {
		t.Fatalf("list: %s", r.Body)
	}
	id := list.Data[0].ID
	path := "/api/v1/silences/" + strings.TrimSpace(jsonNumber(id)) + "/expire"
	if r := e.Do(c, "POST", path, nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"state": "expired"`) || !strings.Contains(r.Body, `"expired_by": "admin"`) {
		t.Fatalf("expire: %d %s", r.Status, r.Body)
	}
	if _, ok := m.Snapshot().Check("api", now); ok {
		t.Error("api still silenced after expiring")
	}
	if r := e.Do(c, "POST", path, nil, nil); r.Status != 409 {
		t.Errorf("expire twice: %d", r.Status)
	}
	if r := e.Do(c, "POST", "/api/v1/silences/77/expire", nil, nil); r.Status != 404 {
		t.Errorf("expire of no silence: %d", r.Status)
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }
