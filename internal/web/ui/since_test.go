package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/heartbeat/schedule"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/webcore"
	"github.com/tocsin/tocsin/internal/web/webtest"
)

// failingEnv has "api" (shop) down for 37 minutes, "lone" (no service)
// down for 2 hours, "web" (shop) up, and a heartbeat "backup" in shop
// that stopped pinging: its last ping, 3 hours ago, said all was well.
func failingEnv(t *testing.T) (*webtest.Env, *http.Client) {
	t.Helper()
	e, hbs := shopEnv(t)
	now := e.Clock.Now()
	e.RT.Mu.Lock()
	e.RT.Views[1].State = monitor.State{Status: monitor.StatusDown, Since: now.Add(-37 * time.Minute), LastReason: "GET https://api.example/health: 503, expected 200"}
	e.RT.Views[2].State = monitor.State{Status: monitor.StatusDown, Since: now.Add(-2 * time.Hour), LastReason: "connection refused"}
	e.RT.Views[0].State = monitor.State{Status: monitor.StatusUp, Since: now.Add(-26 * time.Hour)}
	e.RT.Mu.Unlock()
	last := now.Add(-3 * time.Hour)
	hbs.Views = []web.HeartbeatView{silentBackup(last)}
	return e, e.Setup()
}

// shopEnv is webtest's owned shop with heartbeats to fill in.
func shopEnv(t *testing.T) (*webtest.Env, *webtest.Heartbeats) {
	t.Helper()
	hbs := &webtest.Heartbeats{}
	e := webtest.New(t, func(o *web.Options) { o.Heartbeats = hbs })
	webtest.OwnedShop(e)
	return e, hbs
}

func silentBackup(last time.Time) webcore.HeartbeatView {
	d := heartbeat.Definition{ID: "backup", UUID: "0b9a4f3e-1c1d-4c8e-9d1e-2f1b5a6c7d8e", Name: "Backup", Service: "shop",
		Schedule: schedule.Schedule{Period: time.Hour, Grace: 30 * time.Minute}}
	st := heartbeat.State{LastPing: last, LastReason: "the job exited with status 0", Overdue: true}
	v := heartbeat.View{Definition: d, State: st, Status: heartbeat.StatusDown, NextExpected: last.Add(time.Hour)}
	return webcore.HeartbeatView{View: v, Config: config.Heartbeat{ID: d.ID, Name: d.Name, Service: d.Service}}
}

func TestOverviewFailingFirstWithSinceWhen(t *testing.T) {
	t.Parallel()
	e, c := failingEnv(t)
	r := e.Get(c, "/")
	if r.Status != 200 {
		t.Fatalf("overview: %d", r.Status)
	}
	for _, want := range []string{
		`down since <time datetime="2026-03-01T11:23:00Z" title="2026-03-01 11:23:00 UTC">11:23 UTC (37 min)</time>`,
		`down since <time datetime="2026-03-01T10:00:00Z" title="2026-03-01 10:00:00 UTC">10:00 UTC (2 h)</time>`,
		// The heartbeat went down when its deadline passed: ping + 1h + 30m grace.
		`down since <time datetime="2026-03-01T10:30:00Z" title="2026-03-01 10:30:00 UTC">10:30 UTC (1 h 30 min)</time>`,
		`<p class="owners">Owners: `, "Alice Example",
	} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Count(r.Body, `class="since small"`) != 3 {
		t.Errorf("%d since-when lines, want 3 (the up monitor has none)", strings.Count(r.Body, `class="since small"`))
	}
	// Other holds the oldest failure, so it comes first; in the shop the
	// failing API before the website that is up.
	order(t, r.Body, ">Lonely check<", "<h2>Web shop</h2>", ">API<", ">Website<")
	order(t, r.Body, "10:00 UTC (2 h)", "11:23 UTC (37 min)")

	// The viewer's zone, with UTC beside it, from the query or the cookie.
	want := `<time datetime="2026-03-01T11:23:00Z" title="2026-03-01 11:23:00 UTC">12:23 CET / 11:23 UTC (37 min)</time>`
	if r := e.Get(c, "/?tz=Europe/Paris"); !strings.Contains(r.Body, want) {
		t.Errorf("?tz=Europe/Paris lacks %q", want)
	}
	u, err := url.Parse(e.HTTP.URL)
	if err != nil {
		t.Fatal(err)
	}
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "tz", Value: "Europe/Paris"}})
	if r := e.Get(c, "/"); !strings.Contains(r.Body, want) {
		t.Errorf("the tz cookie is not used: lacks %q", want)
	}
	for _, bad := range []string{"../../etc/passwd", "Mars/Olympus", strings.Repeat("A", 100), "/etc/localtime", "Local"} {
		r := e.Get(c, "/?tz="+bad)
		if r.Status != 200 || !strings.Contains(r.Body, "11:23 UTC (37 min)") {
			t.Errorf("tz=%q: %d, want UTC times", bad, r.Status)
		}
	}
}

func TestOverviewFilters(t *testing.T) {
	t.Parallel()
	e, c := failingEnv(t)
	cases := []struct {
		query      string
		want, lack []string
	}{
		{"service=shop", []string{"Website", "API", "Backup"}, []string{"Lonely check"}},
		{"owner=alice", []string{"Website", "API", "Backup"}, []string{"Lonely check"}},
		{"owner=bob", []string{"Website", "Backup"}, []string{"Lonely check"}}, // bob owns through the team ops
		{"kind=heartbeat", []string{"Backup"}, []string{"Website", "Lonely check"}},
		{"kind=http", []string{"Website", "Lonely check"}, []string{"Backup"}},
		{"state=down&service=shop", []string{"API", "Backup"}, []string{"Website", "Lonely check"}},
		{"q=web&owner=ops", []string{"Website"}, []string{"Lonely check"}},
	}
	for _, tc := range cases {
		r := e.Get(c, "/?"+tc.query)
		if r.Status != 200 {
			t.Errorf("%s: %d", tc.query, r.Status)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(r.Body, ">"+w+"<") {
				t.Errorf("%s lacks %q", tc.query, w)
			}
		}
		for _, l := range tc.lack {
			if strings.Contains(r.Body, ">"+l+"<") {
				t.Errorf("%s shows %q", tc.query, l)
			}
		}
	}
	// The summary's links keep the other filters.
	if r := e.Get(c, "/?service=shop&owner=alice"); !strings.Contains(r.Body, `href="/?owner=alice&amp;service=shop&amp;state=up"`) {
		t.Errorf("the summary's links drop the filters")
	}
	for _, q := range []string{"service=nope", "owner=nobody", "kind=telnet", "state=sideways"} {
		if r := e.Get(c, "/?"+q); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, r.Status)
		}
	}
}

func TestPagesOpenWithTheProblem(t *testing.T) {
	t.Parallel()
	e, c := failingEnv(t)
	cases := map[string]string{
		"/monitors/api": `<p class="problem" data-problem>Down since <time datetime="2026-03-01T11:23:00Z" title="2026-03-01 11:23:00 UTC">11:23 UTC (37 min)</time>: GET https://api.example/health: 503, expected 200</p>`,
		"/monitors/web": `<p class="problem" data-problem>Up since <time datetime="2026-02-28T10:00:00Z" title="2026-02-28 10:00:00 UTC">Feb 28 10:00 UTC (1 d 2 h)</time>.</p>`,
		// A silent heartbeat says when it last pinged and when the next
		// ping was due, not what the last ping said.
		"/heartbeats/backup": `<p class="problem" data-problem>No ping since <time datetime="2026-03-01T09:00:00Z" title="2026-03-01 09:00:00 UTC">09:00 UTC (3 h)</time>, expected by <time datetime="2026-03-01T10:00:00Z" title="2026-03-01 10:00:00 UTC">10:00 UTC</time>.</p>`,
	}
	for path, want := range cases {
		r := e.Get(c, path)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		if !strings.Contains(r.Body, want) {
			t.Errorf("%s lacks %s", path, want)
		}
		// Problem, then owners, then the rest.
		order(t, r.Body, `data-problem`, `<p class="owners">Owners: `, `<dl class="facts">`)
	}
	if r := e.Get(c, "/heartbeats/backup"); strings.Contains(r.Body, `data-problem>Last ping`) {
		t.Errorf("the silent heartbeat's heading still quotes its last ping")
	}
	if err := e.RT.SetPaused(t.Context(), "web", true); err != nil {
		t.Fatal(err)
	}
	e.RT.Mu.Lock()
	e.RT.Views[0].State.Since = e.Clock.Now().Add(-5 * time.Minute)
	e.RT.Mu.Unlock()
	if r := e.Get(c, "/monitors/web?tz=Europe/Paris"); !strings.Contains(r.Body, `>Paused since <time datetime="2026-03-01T11:55:00Z" title="2026-03-01 11:55:00 UTC">12:55 CET / 11:55 UTC (5 min)</time>.</p>`) {
		t.Errorf("paused monitor: no Paused since line")
	}
}

// order fails t unless the strings occur in body in this order.
func order(t *testing.T, body string, in ...string) {
	t.Helper()
	at := -1
	for _, s := range in {
		i := strings.Index(body, s)
		if i < 0 {
			t.Errorf("%q missing", s)
			return
		}
		if i < at {
			t.Errorf("%q comes before %q; want %q", s, in[0], in)
			return
		}
		at = i
	}
}

// A paused heartbeat says since when, on its page, on the overview and on
// the heartbeats list, in the viewer's zone with UTC beside it, and so does
// a paused monitor ("web") on the overview; a pause is not a failure, so
// neither sorts among the failing.
func TestPausedHeartbeatSince(t *testing.T) {
	t.Parallel()
	e, hbs := shopEnv(t)
	now := e.Clock.Now()
	e.RT.Mu.Lock()
	e.RT.Views[1].State = monitor.State{Status: monitor.StatusDown, Since: now.Add(-37 * time.Minute), LastReason: "connection refused"}
	e.RT.Views[0].State = monitor.State{Status: monitor.StatusPaused, Since: now.Add(-5 * time.Minute)}
	e.RT.Mu.Unlock()
	v := silentBackup(now.Add(-3 * time.Hour))
	v.Paused, v.PausedSince = true, now.Add(-5*time.Minute)
	hbs.Views = []web.HeartbeatView{v}
	c := e.Setup()
	when := `<time datetime="2026-03-01T11:55:00Z" title="2026-03-01 11:55:00 UTC">12:55 CET / 11:55 UTC (5 min)</time>`
	for path, want := range map[string]string{
		"/heartbeats/backup?tz=Europe/Paris": `data-problem>Paused since ` + when + `: missing pings are not reported until it is resumed.</p>`,
		"/?tz=Europe/Paris":                  `<div class="since small">paused since ` + when + `</div>`,
		"/heartbeats?tz=Europe/Paris":        `<div class="since small">paused since ` + when + `</div>`,
	} {
		r := e.Get(c, path)
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		if !strings.Contains(r.Body, want) {
			t.Errorf("%s lacks %s", path, want)
		}
	}
	// The failing monitors still come first: "api" (down 37 min) leads the
	// shop group, not the paused heartbeat.
	body := e.Get(c, "/?tz=Europe/Paris").Body
	order(t, body, `href="/monitors/api"`, `href="/heartbeats/backup"`)
	order(t, body, `href="/monitors/api"`, `href="/monitors/web"`)
	if n := strings.Count(body, `paused since `+when); n != 2 {
		t.Errorf("the overview says %q %d times, want 2 (the monitor and the heartbeat)", "paused since", n)
	}
}
