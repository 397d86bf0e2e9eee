package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/testkit"
)

const (
	hbUUID      = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
	hbLimited   = "6bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
	hbPingKey   = "test-ping-key-0123456789"
	hbBodyLimit = 1000
)

// startWithClock runs an App reading the time from now.
func startWithClock(t *testing.T, path string, now func() time.Time) *running {
	t.Helper()
	return runApp(t, Options{ConfigPath: path, WatchInterval: -1, Now: now})
}

type pingAnswer struct {
	status int
	body   string
	header http.Header
}

func doPing(t *testing.T, method, url string, body []byte) pingAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", "pingtest/1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return pingAnswer{status: res.StatusCode, body: string(b), header: res.Header}
}

func pingConfig(t *testing.T, driver string, extra string) string {
	return `server:
  listen: 127.0.0.1:0
  pings:
    key: ` + hbPingKey + `
    auto_create: true
    body_limit: ` + fmt.Sprint(hbBodyLimit) + `
    heartbeat_rate: 10
    client_rate: 0
` + storageYAML(t, driver) + `
heartbeats:
  - id: job
    uuid: ` + hbUUID + `
    slug: nightly
    period: 1h
    grace: 10m
  - id: limited
    uuid: ` + hbLimited + `
    period: 1h
` + extra
}

// TestPingAPI drives every URL form of the ping API through the real
// server and checks answers and what was stored.
func TestPingAPI(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 28, 10, 8, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, pingConfig(t, "sqlite", ""))
	r := startWithClock(t, path, clock.Now)
	u := r.url + "/ping/" + hbUUID

	for _, tc := range []struct {
		method, url string
		body        []byte
		status      int
		answer      string
	}{
		{"GET", u, nil, 200, "OK"},
		{"HEAD", u, nil, 200, ""},
		{"POST", u + "/log", []byte("a log line"), 200, "OK"},
		{"GET", u + "/fail", nil, 200, "OK"},
		{"GET", u + "/0", nil, 200, "OK"},
		{"GET", u + "/", nil, 200, "OK"},
		{"GET", strings.ToUpper(u[:len(r.url)+6]) + strings.ToUpper(hbUUID), nil, 404, ""},
		{"GET", r.url + "/ping/" + strings.ToUpper(hbUUID), nil, 200, "OK"},
		{"GET", u + "/256", nil, 400, "invalid url format"},
		{"GET", u + "/-1", nil, 400, "invalid url format"},
		{"GET", u + "/bogus", nil, 400, "invalid url format"},
		{"GET", u + "/fail/more", nil, 400, "invalid url format"},
		{"GET", r.url + "/ping/not-a-uuid", nil, 400, "invalid url format"},
		{"GET", r.url + "/ping/7bf66975-d4c7-4bf5-bcc8-b8d8a82ea278", nil, 200, "OK (not found)"},
		{"GET", r.url + "/ping/" + hbPingKey + "/nightly", nil, 200, "OK"},
		{"GET", r.url + "/ping/" + hbPingKey + "/nightly/start", nil, 200, "OK"},
		{"GET", r.url + "/ping/" + hbPingKey + "/nightly/3", nil, 200, "OK"},
		{"GET", r.url + "/ping/wrong-key-wrong-key/nightly", nil, 200, "OK (not found)"},
		{"GET", r.url + "/ping/" + hbPingKey + "/Bad%20Slug", nil, 400, "invalid url format"},
		{"GET", r.url + "/ping/" + hbPingKey + "/unknown", nil, 200, "OK (not found)"},
		{"GET", r.url + "/ping/" + hbPingKey + "/backup?create=1", nil, 201, "Created"},
		{"GET", r.url + "/ping/" + hbPingKey + "/backup?create=1", nil, 200, "OK"},
		{"POST", r.url + "/ping/" + hbPingKey + "/backup/fail", []byte("disk full"), 200, "OK"},
		{"PUT", u, nil, 405, "method not allowed"},
		{"GET", u + "?rid=" + strings.Repeat("x", 200), nil, 400, "invalid rid"},
	} {
		got := doPing(t, tc.method, tc.url, tc.body)
		if got.status != tc.status || tc.answer != "" && got.body != tc.answer {
			t.Errorf("%s %s = %d %q, want %d %q", tc.method, tc.url, got.status, got.body, tc.status, tc.answer)
		}
		if tc.status != 404 && got.header.Get("Ping-Body-Limit") != fmt.Sprint(hbBodyLimit) {
			t.Errorf("%s %s: Ping-Body-Limit %q", tc.method, tc.url, got.header.Get("Ping-Body-Limit"))
		}
	}

	st := r.app.Store()
	ctx := t.Context()
	ps, err := st.Pings(ctx, "job", store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	// GET, HEAD, log, fail, 0, trailing slash, upper-case uuid, three slug pings.
	if len(ps) != 10 {
		t.Errorf("%d pings stored for job, want 10: %+v", len(ps), ps)
	}
	kinds := map[string]int{}
	for _, p := range ps {
		kinds[p.Kind]++
	}
	if kinds["success"] != 5 || kinds["log"] != 1 || kinds["fail"] != 1 || kinds["exit"] != 2 || kinds["start"] != 1 {
		t.Errorf("kinds stored: %v", kinds)
	}
	if ps[len(ps)-1].Method != "GET" || ps[len(ps)-1].UserAgent != "pingtest/1" || ps[len(ps)-1].Source != "127.0.0.1" {
		t.Errorf("first ping stored as %+v", ps[len(ps)-1])
	}
	if v, ok := r.app.hb.View("job"); !ok || v.Status != heartbeat.StatusDown || !v.State.LastFailed {
		t.Errorf("after exit status 3, job is %+v", v)
	}
	created, ok := r.app.hb.View("backup")
	if !ok || !created.Stored || created.Slug != "backup" {
		t.Fatalf("auto-created heartbeat: %+v, %v", created, ok)
	}
	if bs, _ := st.Pings(ctx, "backup", store.Page{}); len(bs) != 3 || string(bs[0].Body) != "disk full" {
		t.Errorf("backup pings: %+v", bs)
	}

	t.Run("bodies", func(t *testing.T) {
		big := bytes.Repeat([]byte("0123456789"), hbBodyLimit/10+50)
		binary := []byte{0, 0xff, 0xfe, 'a', 0, '\n', 0x80}
		for _, body := range [][]byte{big, binary} {
			if got := doPing(t, "POST", u, body); got.status != 200 || got.body != "OK" {
				t.Fatalf("POST %d bytes: %d %q", len(body), got.status, got.body)
			}
		}
		ps, _ := st.Pings(ctx, "job", store.Page{Limit: 2})
		if !bytes.Equal(ps[0].Body, binary) || ps[0].Truncated {
			t.Errorf("binary body stored as %q (truncated %v)", ps[0].Body, ps[0].Truncated)
		}
		if !bytes.Equal(ps[1].Body, big[:hbBodyLimit]) || !ps[1].Truncated {
			t.Errorf("big body stored with %d bytes (truncated %v), want %d and marked", len(ps[1].Body), ps[1].Truncated, hbBodyLimit)
		}
	})

	t.Run("rid pairing", func(t *testing.T) {
		doPing(t, "GET", u+"/start?rid=r1", nil)
		clock.Add(10 * time.Second)
		doPing(t, "GET", u+"/start?rid=r2", nil)
		clock.Add(5 * time.Second)
		doPing(t, "GET", u+"?rid=r2", nil)
		clock.Add(20 * time.Second)
		doPing(t, "POST", u+"/1?rid=r1", []byte("exit 1"))
		ps, _ := st.Pings(ctx, "job", store.Page{Limit: 2})
		if ps[0].RunID != "r1" || ps[0].Duration != 35*time.Second || ps[0].ExitStatus != 1 {
			t.Errorf("end of r1 stored as %+v, want 35s", ps[0])
		}
		if ps[1].RunID != "r2" || ps[1].Duration != 5*time.Second {
			t.Errorf("end of r2 stored as %+v, want 5s", ps[1])
		}
		if v, _ := r.app.hb.View("job"); v.State.LastDuration != 35*time.Second || len(v.State.Runs) != 0 {
			t.Errorf("state after both runs: %+v", v.State)
		}
	})

	t.Run("rate limit", func(t *testing.T) {
		// heartbeat_rate 10: bursts of 20 pass, then 429 until time passes
		// (the clock stands still here).
		lu := r.url + "/ping/" + hbLimited
		for i := range 20 {
			if got := doPing(t, "GET", lu, nil); got.status != 200 {
				t.Fatalf("ping %d: %d %q", i, got.status, got.body)
			}
		}
		got := doPing(t, "GET", lu, nil)
		if got.status != 429 || got.body != "rate limit exceeded" || got.header.Get("Retry-After") == "" {
			t.Errorf("21st ping: %d %q", got.status, got.body)
		}
		if got := doPing(t, "GET", u, nil); got.status != 200 {
			t.Errorf("another heartbeat is limited too: %d", got.status)
		}
		clock.Add(time.Second)
		if got := doPing(t, "GET", lu, nil); got.status != 200 {
			t.Errorf("after a second: %d %q", got.status, got.body)
		}
		if n, _ := st.CountPings(ctx, "limited"); n != 21 {
			t.Errorf("%d pings stored for limited, want 21 (refused ones are not stored)", n)
		}
	})
}

// TestHeartbeatAlerts: a missed deadline goes through the state machine
// and the outbox as monitor.down with a reason; the next ping brings
// monitor.up. On both databases.
func TestHeartbeatAlerts(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			hook := testkit.NewWebhook(t)
			path := filepath.Join(t.TempDir(), "tocsin.yaml")
			writeConfig(t, path, pingConfig(t, driver, `  - id: quick
    uuid: 8bf66975-d4c7-4bf5-bcc8-b8d8a82ea278
    service: jobs
    period: 1s
    grace: 1s
channels:
  - id: hook
    type: webhook
    webhook:
      url: `+hook.URL+`
services:
  - id: jobs
    channels: [hook]
`))
			r := start(t, path)
			qu := r.url + "/ping/8bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
			if got := doPing(t, "GET", qu, nil); got.status != 200 {
				t.Fatalf("ping: %d %q", got.status, got.body)
			}
			down := hook.WaitFor(t, 20*time.Second, testkit.EventIs("monitor.down", "quick"))
			reason, _ := down.Event["reason"].(string)
			if !strings.HasPrefix(reason, "no ping since ") || !strings.Contains(reason, "(every 1s) + 1s grace") {
				t.Errorf("down reason %q", reason)
			}
			if down.Event["service_id"] != "jobs" {
				t.Errorf("service_id %v", down.Event["service_id"])
			}
			if got := doPing(t, "POST", qu, []byte("back")); got.status != 200 {
				t.Fatalf("ping: %d", got.status)
			}
			hook.WaitFor(t, 20*time.Second, testkit.EventIs("monitor.up", "quick"))
			// A failure ping alerts at once.
			if got := doPing(t, "GET", qu+"/4", nil); got.status != 200 {
				t.Fatalf("ping: %d", got.status)
			}
			hook.WaitFor(t, 20*time.Second, func(d testkit.Delivery) bool {
				rs, _ := d.Event["reason"].(string)
				return testkit.EventIs("monitor.down", "quick")(d) && strings.Contains(rs, "exited with status 4")
			})
		})
	}
}

// TestPingsSurviveKill sends a burst of pings from several clients, kills
// the server with SIGKILL in the middle, and counts: every ping answered
// 200 is in the database.
func TestPingsSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills a server process")
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dbPath := filepath.Join(dir, "tocsin.db")
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, `server:
  listen: `+addr+`
  pings:
    heartbeat_rate: 0
    client_rate: 0
storage:
  dsn: `+dbPath+`
heartbeats:
  - id: job
    uuid: `+hbUUID+`
`)
	child := startChild(t, path)
	url := "http://" + addr + "/ping/" + hbUUID
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := client.Get(url + "/log"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var acked, sent atomic.Int64
	acked.Add(1) // the readiness ping
	sent.Add(1)
	// enough is closed by the client whose ping is the 2000th acknowledged.
	enough := make(chan struct{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				sent.Add(1)
				res, err := client.Post(url, "text/plain", strings.NewReader("burst"))
				if err != nil {
					return // the server is gone
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == 200 && acked.Add(1) == 2000 {
					close(enough)
				}
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(time.Until(deadline)):
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	close(stop)
	wg.Wait()

	db, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: "sqlite", DSN: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n, err := db.CountPings(context.Background(), "job")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %d, acknowledged %d, stored %d", sent.Load(), acked.Load(), n)
	if acked.Load() < 2000 {
		t.Fatalf("only %d pings acknowledged before the deadline", acked.Load())
	}
	if n < acked.Load() {
		t.Errorf("%d pings stored, fewer than the %d acknowledged", n, acked.Load())
	}
	if n > sent.Load() {
		t.Errorf("%d pings stored, more than the %d sent", n, sent.Load())
	}
	_ = os.Remove(dbPath)
}

// TestHeartbeatAPIAndUI creates, lists, pauses and deletes heartbeats
// through the JSON API and the UI of the real server, and checks that a
// heartbeat created at run time survives a restart.
func TestHeartbeatAPIAndUI(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, pingConfig(t, "sqlite", "services:\n  - id: exports\n"))
	r := start(t, path)
	token, cookie := signIn(t, r.app.Store())
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	compact := func(s string) string {
		var b bytes.Buffer
		if err := json.Compact(&b, []byte(s)); err != nil {
			return s
		}
		return b.String()
	}
	call := func(method, p, body string, session bool) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, r.url+p, strings.NewReader(body))
		if session {
			req.AddCookie(&http.Cookie{Name: "tocsin_session", Value: cookie})
			if method == "POST" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		} else {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		out := string(b)
		if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			out = compact(out)
		}
		return res.StatusCode, out, res.Header
	}

	for _, tc := range []struct {
		body   string
		status int
		want   string
	}{
		{`{"id": "backup", "service": "exports", "cron": "0 3 * * *", "timezone": "Europe/Oslo", "grace": "30m", "max_runtime": "2h", "slug": "backup"}`, 201, `"status":"new"`},
		{`{"id": "bad-tz", "cron": "0 3 * * *", "timezone": "Mars/Base"}`, 400, `unknown timezone`},
		{`{"id": "never", "cron": "0 0 30 2 *"}`, 400, `never fires`},
		{`{"id": "job"}`, 409, `taken`},
		{`{"id": "other", "slug": "backup"}`, 409, `slug`},
		{`{"id": "x", "service": "nowhere"}`, 400, `undefined service`},
		{`{"id": "x", "unknown": 1}`, 400, ``},
	} {
		status, body, _ := call("POST", "/api/v1/heartbeats", tc.body, false)
		body = compact(body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("POST %s = %d %s, want %d containing %q", tc.body, status, body, tc.status, tc.want)
		}
	}
	_, created, _ := call("GET", "/api/v1/heartbeats/backup", "", false)
	created = compact(created)
	var uuidCreated string
	if i := strings.Index(created, `"uuid":"`); i >= 0 {
		uuidCreated = created[i+8 : i+8+36]
	}
	if !config36(uuidCreated) || !strings.Contains(created, `"stored":true`) || !strings.Contains(created, `"max_runtime_ms":7200000`) {
		t.Fatalf("created heartbeat: %s", created)
	}
	if got := doPing(t, "POST", r.url+"/ping/"+uuidCreated+"/start", []byte("starting")); got.status != 200 {
		t.Fatalf("ping the created heartbeat: %d", got.status)
	}
	if _, body, _ := call("GET", "/api/v1/heartbeats/backup/pings", "", false); body == "" || !strings.Contains(body, `"kind":"start"`) || !strings.Contains(body, `"body":"starting"`) {
		t.Errorf("pings: %s", body)
	}
	if _, body, _ := call("GET", "/api/v1/heartbeats", "", false); !strings.Contains(body, `"id":"job"`) || !strings.Contains(body, `"id":"backup"`) || !strings.Contains(body, `"status":"running"`) {
		t.Errorf("list: %s", body)
	}
	if _, body, _ := call("GET", "/api/v1/heartbeats?limit=1", "", false); !strings.Contains(body, `"next":"job"`) || strings.Contains(body, `"id":"limited"`) {
		t.Errorf("first page of one: %s", body)
	}
	if _, body, _ := call("GET", "/api/v1/heartbeats?limit=1&before=job", "", false); !strings.Contains(body, `"id":"limited"`) {
		t.Errorf("second page: %s", body)
	}
	if status, body, _ := call("POST", "/api/v1/heartbeats/backup/pause", "", false); status != 200 || !strings.Contains(body, `"status":"paused"`) {
		t.Errorf("pause: %d %s", status, body)
	}
	// The page says since when it is paused: the engine's state for the
	// heartbeat's id has the time the pause began.
	if status, body, _ := call("GET", "/heartbeats/backup", "", true); status != 200 || !strings.Contains(body, `data-problem>Paused since <time datetime="`) {
		t.Errorf("GET /heartbeats/backup while paused: %d, no Paused since line", status)
	}
	if status, body, _ := call("POST", "/api/v1/heartbeats/backup/resume", "", false); status != 200 || strings.Contains(body, `"status":"paused"`) {
		t.Errorf("resume: %d %s", status, body)
	}
	if status, _, _ := call("DELETE", "/api/v1/heartbeats/job", "", false); status != 409 {
		t.Errorf("deleting a config heartbeat: %d, want 409", status)
	}

	// The UI.
	if status, body, _ := call("GET", "/heartbeats", "", true); status != 200 || !strings.Contains(body, "backup") || !strings.Contains(body, hbUUID) {
		t.Errorf("GET /heartbeats: %d", status)
	}
	// The overview lists heartbeats too, and its filter finds them.
	if status, body, _ := call("GET", "/", "", true); status != 200 || !strings.Contains(body, `href="/heartbeats/backup"`) || !strings.Contains(body, `href="/heartbeats/job"`) || !strings.Contains(body, " heartbeats") {
		t.Errorf("GET / (%d) does not list the heartbeats:\n%s", status, body)
	}
	if status, body, _ := call("GET", "/?q=backup", "", true); status != 200 || !strings.Contains(body, `href="/heartbeats/backup"`) || strings.Contains(body, `href="/heartbeats/job"`) {
		t.Errorf("GET /?q=backup (%d) should list backup and only it", status)
	}
	status, page, _ := call("GET", "/heartbeats/backup", "", true)
	for _, want := range []string{"tocsin run --server http://127.0.0.1:0 --heartbeat " + uuidCreated, "/ping/" + uuidCreated, "Invoke-RestMethod", "starting", "running"} {
		if !strings.Contains(page, want) {
			t.Errorf("GET /heartbeats/backup (%d) lacks %q", status, want)
		}
	}
	if status, _, h := call("POST", "/heartbeats", "id=from-form&period=10m&grace=5m", true); status != 303 || h.Get("Location") != "/heartbeats/from-form" {
		t.Errorf("form create: %d %s", status, h.Get("Location"))
	}
	if status, body, _ := call("POST", "/heartbeats", "id=bad-form&period=soon", true); status != 400 || !strings.Contains(body, "not a duration") {
		t.Errorf("bad form: %d", status)
	}
	if status, _, h := call("GET", "/monitors/backup", "", true); status != 303 || h.Get("Location") != "/heartbeats/backup" {
		t.Errorf("/monitors/backup: %d %s, want a redirect to the heartbeat", status, h.Get("Location"))
	}
	if status, body, _ := call("GET", "/metrics", "", false); status != 200 || !strings.Contains(body, `tocsin_pings_total{kind="start"} 1`) {
		t.Errorf("metrics: %d", status)
	}

	// Stored heartbeats come back after a restart; deleting one works.
	r.stop()
	r2 := start(t, path)
	if v, ok := r2.app.hb.View("backup"); !ok || !v.Stored || len(v.State.Runs) != 1 {
		t.Errorf("after a restart: %+v, %v; want the stored heartbeat, still running", v, ok)
	}
	if v, ok := r2.app.hb.View("from-form"); !ok || v.Schedule.Period != 10*time.Minute {
		t.Errorf("form heartbeat after a restart: %+v, %v", v, ok)
	}
	req, _ := http.NewRequest("DELETE", r2.url+"/api/v1/heartbeats/backup", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 {
		t.Errorf("DELETE: %d", res.StatusCode)
	}
	if _, ok := r2.app.hb.View("backup"); ok {
		t.Error("deleted heartbeat still known")
	}
	if got := doPing(t, "GET", r2.url+"/ping/"+uuidCreated, nil); got.body != "OK (not found)" {
		t.Errorf("ping to a deleted heartbeat: %q", got.body)
	}
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func config36(s string) bool { return len(s) == 36 && strings.Count(s, "-") == 4 }

// TestPingSourceBehindProxy: behind a trusted proxy a ping's source is the
// client the proxy names; from anywhere else the header is ignored.
func TestPingSourceBehindProxy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, "server:\n  trusted_proxies: [127.0.0.1]\n"+storageYAML(t, "sqlite")+
		"heartbeats:\n  - id: job\n    uuid: "+hbUUID+"\n    period: 1h\n")
	r := runApp(t, Options{ConfigPath: path, WatchInterval: -1})
	req, err := http.NewRequest("POST", r.url+"/ping/"+hbUUID, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", "192.0.2.99, 198.51.100.7")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("ping through the proxy: %d", res.StatusCode)
	}
	pings, err := r.app.Store().Pings(context.Background(), "job", store.Page{})
	if err != nil || len(pings) != 1 {
		t.Fatalf("stored pings %+v, %v; want one", pings, err)
	}
	if pings[0].Source != "198.51.100.7" {
		t.Errorf("ping source %q, want the client the trusted proxy named, 198.51.100.7", pings[0].Source)
	}
}
