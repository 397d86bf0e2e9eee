package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/catalog"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/monitor"
	"github.com/tocsin/tocsin/internal/probe/httpx"
	"github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
)

// fakeRuntime is the app's live state reduced to what the web package
// reads: a list of monitors, a config status and a health report.
type fakeRuntime struct {
	mu       sync.Mutex
	cfg      *config.Config
	views    []MonitorView
	status   ConfigStatus
	health   Health
	setCalls int
}

func (f *fakeRuntime) Config() *config.Config {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cfg
}

func (f *fakeRuntime) Catalog() *catalog.Catalog { return catalog.New(f.Config()) }

func (f *fakeRuntime) Monitors() []MonitorView {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.views)
}

func (f *fakeRuntime) Monitor(id string) (MonitorView, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.views {
		if v.Config.ID == id {
			return v, true
		}
	}
	return MonitorView{}, false
}

func (f *fakeRuntime) SetPaused(_ context.Context, id string, paused bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setCalls++
	for i, v := range f.views {
		if v.Config.ID != id {
			continue
		}
		switch {
		case paused && v.State.Status != monitor.StatusPaused:
			f.views[i].State.PausedFrom = v.State.Status
			f.views[i].State.Status = monitor.StatusPaused
		case !paused && v.State.Status == monitor.StatusPaused:
			f.views[i].State.Status = v.State.PausedFrom
			f.views[i].State.PausedFrom = ""
		}
		return nil
	}
	return errs.Errorf(errs.ENOTFOUND, "no monitor %q", id)
}

func (f *fakeRuntime) ConfigStatus() ConfigStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.status
}

func (f *fakeRuntime) Health() Health {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.health
}

func (f *fakeRuntime) pausedStatus(id string) monitor.Status {
	v, _ := f.Monitor(id)
	return v.State.Status
}

var _ Runtime = (*fakeRuntime)(nil)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a running web server over a real SQLite store.
type env struct {
	t     *testing.T
	srv   *Server
	store store.Store
	rt    *fakeRuntime
	clock *testClock
	http  *httptest.Server
}

func httpMonitor(id, name, service, target string, st monitor.Status) MonitorView {
	return MonitorView{
		Config: config.Monitor{ID: id, Name: name, Service: service, Type: "http",
			Interval: config.Duration(30 * time.Second), Timeout: config.Duration(10 * time.Second),
			FailureThreshold: 1, SuccessThreshold: 1, Block: &httpx.Check{URL: target}},
		State: monitor.State{Status: st},
	}
}

// newEnv starts a server; opt may adjust the options before New.
func newEnv(t *testing.T, opt func(*Options)) *env {
	t.Helper()
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "t.db"), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rt := &fakeRuntime{
		cfg: &config.Config{Services: []config.Service{{ID: "shop", Name: "Web shop"}}},
		views: []MonitorView{
			httpMonitor("web", "Website", "shop", "https://shop.example/", monitor.StatusUp),
			httpMonitor("api", "API", "shop", "https://api.example/health", monitor.StatusDown),
			httpMonitor("lone", "Lonely check", "", "https://lone.example/", monitor.StatusPending),
		},
		status: ConfigStatus{Path: "/etc/tocsin.yaml", LoadedAt: clock.Now()},
		health: Health{SchedulerLag: 0, MaxLag: 30 * time.Second},
	}
	o := Options{Store: st, Runtime: rt, Now: clock.Now, Version: "test", Kinds: kinds.All(kinds.Deps{})}
	if opt != nil {
		opt(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &env{t: t, srv: s, store: st, rt: rt, clock: clock, http: hs}
}

// client returns an HTTP client with a cookie jar that does not follow
// redirects, so tests see them.
func (e *env) client() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(c *http.Client, method, path string, body io.Reader, hdr map[string]string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (e *env) get(c *http.Client, path string) response { return e.do(c, "GET", path, nil, nil) }

func (e *env) postForm(c *http.Client, path string, form url.Values) response {
	return e.do(c, "POST", path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// setup runs the first-run form and returns the logged-in client.
func (e *env) setup() *http.Client {
	e.t.Helper()
	c := e.client()
	r := e.postForm(c, "/setup", url.Values{"name": {"admin"}, "password": {"correct horse"}, "password2": {"correct horse"}})
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("setup: %d %s", r.status, r.body)
	}
	return c
}

// token creates an API token through the API with a logged-in client.
func (e *env) token(c *http.Client, name string) string {
	e.t.Helper()
	r := e.do(c, "POST", "/api/v1/tokens", strings.NewReader(`{"name":"`+name+`"}`), map[string]string{"Content-Type": "application/json"})
	if r.status != http.StatusCreated {
		e.t.Fatalf("creating token: %d %s", r.status, r.body)
	}
	var out struct {
		Data apiToken `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Data.Token
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// apiError decodes an error response, failing when it is not one.
func apiError(t *testing.T, r response) errorDetail {
	t.Helper()
	var b errorBody
	if err := json.Unmarshal([]byte(r.body), &b); err != nil || b.Error.Code == "" {
		t.Fatalf("not a JSON error (%d): %q", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type = %q", ct)
	}
	return b.Error
}

func errorf(code string) error { return errs.Errorf(code, "test") }
