// Package webtest is the web layer's test harness: it builds the whole
// server with web.New over a real SQLite store in a temporary directory,
// with a runtime and a clock the test sets, and offers what the tests of
// web, web/api and web/ui do to it: sign in, create a token, get and post
// with a session or a token. Only tests import it.
package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
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
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/httpx"
	"github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
	"github.com/tocsin/tocsin/internal/web"
	"github.com/tocsin/tocsin/internal/web/api"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// Runtime is the app's live state reduced to what the web layer reads: a
// list of monitors, a config status and a health report. A test changes
// the fields under Mu while the server runs.
type Runtime struct {
	Mu           sync.Mutex
	Cfg          *config.Config
	Views        []web.MonitorView
	CfgStatus    web.ConfigStatus
	HealthReport web.Health
	// Kinds describe the monitors' targets for a search; nil describes
	// none.
	Kinds webcore.Kinds
}

// Config returns Cfg.
func (f *Runtime) Config() *config.Config {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.Cfg
}

// Catalog builds the catalog of Cfg.
func (f *Runtime) Catalog() *catalog.Catalog { return catalog.New(f.Config()) }

// searchHas is MonitorQuery.Search by brute force: each field lower-cased
// on its own.
func searchHas(k webcore.Kinds, q web.MonitorQuery, m *config.Monitor) bool {
	needle := strings.ToLower(strings.TrimSpace(q.Search))
	if needle == "" {
		return true
	}
	svc := m.Service
	if q.ServiceName != nil {
		svc = q.ServiceName(svc)
	}
	if k == nil {
		k = webcore.PlainKinds{}
	}
	for _, hay := range append(webcore.SearchFields(k)(m), svc) {
		if strings.Contains(strings.ToLower(hay), needle) {
			return true
		}
	}
	return false
}

// MonitorPage answers by brute force from Views, the way the app's
// index must: the failing first (longest failing first), then the rest by
// service in Cfg's order of services, monitors of none last.
func (f *Runtime) MonitorPage(q web.MonitorQuery) (web.MonitorPage, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	group := map[string]int{}
	if f.Cfg != nil {
		for _, s := range f.Cfg.Services {
			if _, dup := group[s.ID]; !dup && s.ID != "" {
				group[s.ID] = len(group)
			}
		}
	}
	groupOf := func(v web.MonitorView) int {
		if g, ok := group[v.Config.Service]; ok {
			return g
		}
		return len(group)
	}
	var out web.MonitorPage
	kinds := map[string]bool{}
	var match []web.MonitorView
	for _, v := range f.Views {
		status := webcore.StatusOf(v.State)
		kinds[v.Config.Type] = true
		c := &out.Counts
		c.Total++
		switch status {
		case "up":
			c.Up++
		case "warning":
			c.Warning++
		case "down":
			c.Down++
		case "paused":
			c.Paused++
		default:
			c.Pending++
		}
		if v.State.Flapping {
			c.Flapping++
		}
		switch {
		case q.Status == "flapping" && !v.State.Flapping,
			q.Status != "" && q.Status != "flapping" && status != q.Status,
			q.Kind != "" && v.Config.Type != q.Kind,
			q.Services != nil && !slices.Contains(q.Services, v.Config.Service),
			!searchHas(f.Kinds, q, &v.Config):
			continue
		}
		match = append(match, v)
	}
	out.Kinds = slices.Sorted(maps.Keys(kinds))
	out.Total = len(match)
	failing := func(v web.MonitorView) bool {
		s := webcore.StatusOf(v.State)
		return s == "down" || s == "warning"
	}
	if q.FailingFirst {
		slices.SortStableFunc(match, func(a, b web.MonitorView) int {
			switch {
			case failing(a) != failing(b):
				if failing(a) {
					return -1
				}
				return 1
			case failing(a) && a.State.Since.IsZero() != b.State.Since.IsZero():
				if a.State.Since.IsZero() {
					return 1
				}
				return -1
			case failing(a) && !a.State.Since.Equal(b.State.Since):
				return a.State.Since.Compare(b.State.Since)
			}
			return groupOf(a) - groupOf(b)
		})
	}
	start := 0
	if q.After != "" {
		i := slices.IndexFunc(f.Views, func(v web.MonitorView) bool { return v.Config.ID == q.After })
		if i < 0 || q.FailingFirst {
			return web.MonitorPage{}, errs.Errorf(errs.EINVALID, "no monitor %q is configured", q.After)
		}
		// The matching monitors after the cursor's place in Views.
		start = len(match)
		for j, v := range match {
			if slices.IndexFunc(f.Views, func(w web.MonitorView) bool { return w.Config.ID == v.Config.ID }) > i {
				start = j
				break
			}
		}
	}
	start = min(start+max(q.Offset, 0), len(match))
	end := min(start+max(q.Limit, 0), len(match))
	out.Monitors = slices.Clone(match[start:end])
	out.More = end < len(match)
	return out, nil
}

// Monitor returns the view with the id.
func (f *Runtime) Monitor(id string) (web.MonitorView, bool) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	for _, v := range f.Views {
		if v.Config.ID == id {
			return v, true
		}
	}
	return web.MonitorView{}, false
}

// SetPaused pauses or resumes a monitor the way the engine does.
func (f *Runtime) SetPaused(_ context.Context, id string, paused bool) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	for i, v := range f.Views {
		if v.Config.ID != id {
			continue
		}
		switch {
		case paused && v.State.Status != monitor.StatusPaused:
			f.Views[i].State.PausedFrom = v.State.Status
			f.Views[i].State.Status = monitor.StatusPaused
		case !paused && v.State.Status == monitor.StatusPaused:
			f.Views[i].State.Status = v.State.PausedFrom
			f.Views[i].State.PausedFrom = ""
		}
		return nil
	}
	return errs.Errorf(errs.ENOTFOUND, "no monitor %q", id)
}

// ConfigStatus returns CfgStatus.
func (f *Runtime) ConfigStatus() web.ConfigStatus {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.CfgStatus
}

// Health returns HealthReport.
func (f *Runtime) Health() web.Health {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.HealthReport
}

// PausedStatus returns the status of the monitor with the id.
func (f *Runtime) PausedStatus(id string) monitor.Status {
	v, _ := f.Monitor(id)
	return v.State.Status
}

var _ web.Runtime = (*Runtime)(nil)

// Clock is the settable clock of the store's conformance suite.
type Clock = storetest.Clock

// Env is a running web server over a real SQLite store.
type Env struct {
	T      testing.TB
	Server *web.Server
	Store  store.Store
	RT     *Runtime
	Clock  *Clock
	HTTP   *httptest.Server
}

// HTTPMonitor is the view of an http monitor with the given state.
func HTTPMonitor(id, name, service, target string, st monitor.Status) web.MonitorView {
	return web.MonitorView{
		Config: config.Monitor{ID: id, Name: name, Service: service, Type: "http",
			Interval: config.Duration(30 * time.Second), Timeout: config.Duration(10 * time.Second),
			FailureThreshold: 1, SuccessThreshold: 1, Block: &httpx.Check{URL: target}},
		State: monitor.State{Status: st},
	}
}

// New starts a server at 2026-03-01 12:00 UTC with the service "shop" and
// three monitors: "web" (up) and "api" (down) in it, "lone" (pending)
// without a service. opt may adjust the options before web.New.
func New(t testing.TB, opt func(*web.Options)) *Env {
	t.Helper()
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "t.db"), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rt := &Runtime{
		Cfg: &config.Config{Services: []config.Service{{ID: "shop", Name: "Web shop"}}},
		Views: []web.MonitorView{
			HTTPMonitor("web", "Website", "shop", "https://shop.example/", monitor.StatusUp),
			HTTPMonitor("api", "API", "shop", "https://api.example/health", monitor.StatusDown),
			HTTPMonitor("lone", "Lonely check", "", "https://lone.example/", monitor.StatusPending),
		},
		CfgStatus:    web.ConfigStatus{Path: "/etc/tocsin.yaml", LoadedAt: clock.Now()},
		HealthReport: web.Health{SchedulerLag: 0, MaxLag: 30 * time.Second},
	}
	rt.Kinds = kinds.All(kinds.Deps{})
	o := web.Options{Store: st, Runtime: rt, Now: clock.Now, Version: "test", Kinds: rt.Kinds}
	if opt != nil {
		opt(&o)
	}
	s, err := web.New(o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &Env{T: t, Server: s, Store: st, RT: rt, Clock: clock, HTTP: hs}
}

// Client returns an HTTP client with a cookie jar that does not follow
// redirects, so tests see them.
func (e *Env) Client() *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.T.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Do sends a request to the server with c, with the headers in hdr.
func (e *Env) Do(c *http.Client, method, path string, body io.Reader, hdr map[string]string) Response {
	e.T.Helper()
	req, err := http.NewRequest(method, e.HTTP.URL+path, body)
	if err != nil {
		e.T.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.T.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// Get gets path with c.
func (e *Env) Get(c *http.Client, path string) Response { return e.Do(c, "GET", path, nil, nil) }

// PostForm posts form to path with c, from the server's own origin.
func (e *Env) PostForm(c *http.Client, path string, form url.Values) Response {
	return e.Do(c, "POST", path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// Setup runs the first-run form (user admin, password "correct horse") and
// returns the logged-in client.
func (e *Env) Setup() *http.Client {
	e.T.Helper()
	c := e.Client()
	r := e.PostForm(c, "/setup", url.Values{"name": {"admin"}, "password": {"correct horse"}, "password2": {"correct horse"}})
	if r.Status != http.StatusSeeOther {
		e.T.Fatalf("setup: %d %s", r.Status, r.Body)
	}
	return c
}

// Token creates an API token through the API with a logged-in client.
func (e *Env) Token(c *http.Client, name string) string {
	e.T.Helper()
	r := e.Do(c, "POST", "/api/v1/tokens", strings.NewReader(`{"name":"`+name+`"}`), map[string]string{"Content-Type": "application/json"})
	if r.Status != http.StatusCreated {
		e.T.Fatalf("creating token: %d %s", r.Status, r.Body)
	}
	var out struct {
		Data api.Token `json:"data"`
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		e.T.Fatal(err)
	}
	return out.Data.Token
}

// SaveResults stores n results of a monitor, a minute apart from start,
// with the reasons "result 0" to "result n-1".
func (e *Env) SaveResults(id string, n int, start time.Time, status func(int) probe.Status) {
	e.T.Helper()
	var b store.Batch
	for i := range n {
		b.Results = append(b.Results, probe.Result{MonitorID: id, Time: start.Add(time.Duration(i) * time.Minute),
			Duration: time.Duration(i+1) * time.Millisecond, Status: status(i), Reason: fmt.Sprintf("result %d", i)})
	}
	if err := e.Store.SaveBatch(context.Background(), b); err != nil {
		e.T.Fatal(err)
	}
}

// Bearer is the Authorization header of a token.
func Bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// ErrorDetail is the body of a JSON error answer.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// APIError decodes a JSON error answer, failing t when r is not one.
func APIError(t testing.TB, r Response) ErrorDetail {
	t.Helper()
	var b struct {
		Error ErrorDetail `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.Body), &b); err != nil || b.Error.Code == "" {
		t.Fatalf("not a JSON error (%d): %q", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type = %q", ct)
	}
	return b.Error
}
