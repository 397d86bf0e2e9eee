package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// The API refuses, naming the field, what encoding/json would let through:
// a duration of "0" (which would quietly become the default) or less, a key
// given twice, unknown keys, and text or lists over the documented limits.
func TestAPIRefusesBadBodies(t *testing.T) {
	t.Parallel()
	hbs := &webtest.Heartbeats{}
	e := webtest.New(t, func(o *web.Options) { o.Heartbeats = hbs })
	c := e.Setup()
	hdr := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + e.Token(c, "ci")}
	long := func(n int) string { return strings.Repeat("é", n) }
	cases := []struct {
		path, body, want string
	}{
		{"/api/v1/heartbeats", `{"id": "a", "period": "0"}`, `field "period" must be a duration longer than zero, such as "30s" or "1h", not "0"`},
		{"/api/v1/heartbeats", `{"id": "a", "period": "-5m"}`, `field "period" must be a duration longer than zero`},
		{"/api/v1/heartbeats", `{"id": "a", "cron": "@daily", "grace": "0s"}`, `field "grace" must be a duration longer than zero`},
		{"/api/v1/heartbeats", `{"id": "a", "max_runtime": "0"}`, `field "max_runtime" must be a duration longer than zero`},
		{"/api/v1/heartbeats", `{"id": "a", "period": "soon"}`, `field "period": invalid duration "soon"`},
		{"/api/v1/heartbeats", `{"id": "a", "period": 60}`, `field "period" must be a string, not number`},
		{"/api/v1/heartbeats", `{"id": "a", "period": "1h", "period": "0"}`, `field "period" is given twice`},
		{"/api/v1/heartbeats", `{"id": "a", "ID": "b"}`, `field "ID" is given twice`},
		{"/api/v1/heartbeats", `{"id": "a", "extra": {"k": 1, "k": 2}}`, `field "extra.k" is given twice`},
		{"/api/v1/heartbeats", `{"id": "a", "perod": "1h"}`, `unknown field "perod"`},
		{"/api/v1/heartbeats", `{"id": "a", "name": "` + long(201) + `"}`, `field "name" is 201 characters long; the limit is 200`},
		{"/api/v1/heartbeats", `{"id": "a", "cron": "` + long(101) + `"}`, `field "cron" is 101 characters long; the limit is 100`},
		{"/api/v1/heartbeats", `{"id": "a", "timezone": "` + long(1001) + `"}`, `field "timezone" is 1001 characters long; the limit is 1000`},
		{"/api/v1/heartbeats", `{"id": "a", "channels": [` + strings.TrimSuffix(strings.Repeat(`"ops",`, 101), ",") + `]}`, `field "channels" has more than 100 items`},
		{"/api/v1/heartbeats", `{"id": "a", "channels": [3]}`, `field "channels" must be a string, not number`},
		{"/api/v1/heartbeats", `["a"]`, `must be a JSON object`},
		{"/api/v1/heartbeats", `{"id": "a"`, `not valid JSON`},
		{"/api/v1/heartbeats", `{"id": "a"} {"id": "b"}`, `data after the JSON object`},
		{"/api/v1/heartbeats", ` `, `the request body is empty`},
		{"/api/v1/tokens", `{"name": "ci2", "name": "x"}`, `field "name" is given twice`},
		{"/api/v1/tokens", `{"name": "` + long(101) + `"}`, `at most 100 characters`},
	}
	for _, tc := range cases {
		r := e.Do(e.Client(), "POST", tc.path, strings.NewReader(tc.body), hdr)
		if r.Status != 400 {
			t.Errorf("POST %s %.80s: %d %.200s, want 400", tc.path, tc.body, r.Status, r.Body)
			continue
		}
		if got := webtest.APIError(t, r); got.Code != errs.EINVALID || !strings.Contains(got.Message, tc.want) {
			t.Errorf("POST %s %.80s: %+v, want a message with %q", tc.path, tc.body, got, tc.want)
		}
	}
	if got := hbs.Take(); len(got) > 0 {
		t.Errorf("refused bodies reached CreateHeartbeat: %+v", got)
	}

	// A good body arrives whole.
	r := e.Do(e.Client(), "POST", "/api/v1/heartbeats", strings.NewReader(
		`{"id": "backup", "name": "`+long(200)+`", "cron": "0 3 * * *", "timezone": "Europe/Oslo", "grace": "30m", "max_runtime": "2h", "channels": ["ops"]}`), hdr)
	if r.Status != 201 {
		t.Fatalf("good body: %d %s", r.Status, r.Body)
	}
	want := config.Heartbeat{ID: "backup", Name: long(200), Cron: "0 3 * * *", Timezone: "Europe/Oslo",
		Grace: config.Duration(30 * time.Minute), MaxRuntime: config.Duration(2 * time.Hour), Channels: []string{"ops"}}
	if got := hbs.Take(); len(got) != 1 || got[0].Name != want.Name || got[0].Cron != want.Cron || got[0].Timezone != want.Timezone ||
		got[0].Grace != want.Grace || got[0].MaxRuntime != want.MaxRuntime || strings.Join(got[0].Channels, ",") != "ops" {
		t.Errorf("created %+v, want %+v", got, want)
	}
}
