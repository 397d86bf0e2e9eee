package web

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// recordingHeartbeats keeps what the API asked to create.
type recordingHeartbeats struct {
	webcore.NoHeartbeats
	mu      sync.Mutex
	created []config.Heartbeat
}

func (f *recordingHeartbeats) CreateHeartbeat(_ context.Context, h config.Heartbeat) (HeartbeatView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, h)
	return HeartbeatView{View: heartbeat.View{Definition: heartbeat.Definition{ID: h.ID, UUID: h.UUID}}, Config: h}, nil
}

func (f *recordingHeartbeats) take() []config.Heartbeat {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.created
	f.created = nil
	return out
}

// The API refuses, naming the field, what encoding/json would let through:
// a duration of "0" (which would quietly become the default) or less, a key
// given twice, unknown keys, and text or lists over the documented limits.
func TestAPIRefusesBadBodies(t *testing.T) {
	t.Parallel()
	hbs := &recordingHeartbeats{}
	e := newEnv(t, func(o *Options) { o.Heartbeats = hbs })
	c := e.setup()
	hdr := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + e.token(c, "ci")}
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
		r := e.do(e.client(), "POST", tc.path, strings.NewReader(tc.body), hdr)
		if r.status != 400 {
			t.Errorf("POST %s %.80s: %d %.200s, want 400", tc.path, tc.body, r.status, r.body)
			continue
		}
		if got := apiError(t, r); got.Code != errs.EINVALID || !strings.Contains(got.Message, tc.want) {
			t.Errorf("POST %s %.80s: %+v, want a message with %q", tc.path, tc.body, got, tc.want)
		}
	}
	if got := hbs.take(); len(got) > 0 {
		t.Errorf("refused bodies reached CreateHeartbeat: %+v", got)
	}

	// A good body arrives whole.
	r := e.do(e.client(), "POST", "/api/v1/heartbeats", strings.NewReader(
		`{"id": "backup", "name": "`+long(200)+`", "cron": "0 3 * * *", "timezone": "Europe/Oslo", "grace": "30m", "max_runtime": "2h", "channels": ["ops"]}`), hdr)
	if r.status != 201 {
		t.Fatalf("good body: %d %s", r.status, r.body)
	}
	want := config.Heartbeat{ID: "backup", Name: long(200), Cron: "0 3 * * *", Timezone: "Europe/Oslo",
		Grace: config.Duration(30 * time.Minute), MaxRuntime: config.Duration(2 * time.Hour), Channels: []string{"ops"}}
	if got := hbs.take(); len(got) != 1 || got[0].Name != want.Name || got[0].Cron != want.Cron || got[0].Timezone != want.Timezone ||
		got[0].Grace != want.Grace || got[0].MaxRuntime != want.MaxRuntime || strings.Join(got[0].Channels, ",") != "ops" {
		t.Errorf("created %+v, want %+v", got, want)
	}
}

// The form on /heartbeats refuses a period of 0 and a name over the limit
// too, instead of quietly taking the default.
func TestHeartbeatFormRefusesZeroAndLongNames(t *testing.T) {
	t.Parallel()
	hbs := &recordingHeartbeats{}
	e := newEnv(t, func(o *Options) { o.Heartbeats = hbs })
	c := e.setup()
	for _, form := range []map[string]string{
		{"id": "a", "period": "0"},
		{"id": "a", "period": "1h", "grace": "0"},
		{"id": "a", "period": "1h", "name": strings.Repeat("n", 201)},
	} {
		v := make(map[string][]string)
		for k, x := range form {
			v[k] = []string{x}
		}
		if r := e.postForm(c, "/heartbeats", v); r.status != 400 {
			t.Errorf("form %v: %d, want 400", form, r.status)
		}
	}
	if got := hbs.take(); len(got) > 0 {
		t.Errorf("refused forms reached CreateHeartbeat: %+v", got)
	}
}
