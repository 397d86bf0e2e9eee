package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/agent"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/store/sqlstore"
	"github.com/tocsin/tocsin/internal/store/storetest"
)

var kinds = probekinds.All(probekinds.Deps{})

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// submitted records what the server hands to the engine.
type submitted struct {
	mu  sync.Mutex
	got []probe.Result
}

func (s *submitted) Submit(r probe.Result) { s.mu.Lock(); s.got = append(s.got, r); s.mu.Unlock() }
func (s *submitted) All() []probe.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

func openStore(t *testing.T, driver string) store.Store {
	t.Helper()
	dsn := filepath.Join(t.TempDir(), "tocsin.db")
	if driver == "postgres" {
		dsn = storetest.PostgresDSN(t)
	}
	st, err := sqlstore.Open(t.Context(), sqlstore.Options{Driver: driver, DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

const testConfig = `
server:
  agent_silent_after: 60s
agents:
  - id: edge
    location: external-eu
    token_file: %TOKEN%
monitors:
  - id: site
    type: http
    interval: 100ms
    locations: [local, external-eu]
    http:
      url: %URL%
  - id: disk
    type: tcp
    interval: 100ms
    agent: edge
    tcp:
      address: %ADDR%
  - id: inside
    type: tcp
    tcp:
      address: %ADDR%
  - id: other-agent
    type: tcp
    agent: db-01
    tcp:
      address: %ADDR%
`

type fixture struct {
	srv   *agent.Server
	url   string
	token string
	sub   *submitted
	clk   *clock
	cfg   *config.Config
	st    store.Store
	// down makes the server's Durable fail, as a store that cannot write.
	down atomic.Bool
}

func newFixture(t *testing.T, driver string) *fixture {
	t.Helper()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	t.Cleanup(target.Close)
	dir := t.TempDir()
	token := agent.NewToken()
	// The file holds the token's hash: the server never needs the token.
	if err := os.WriteFile(filepath.Join(dir, "edge.token"), []byte(strings.ToUpper(hexHash(token))+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := strings.NewReplacer("%TOKEN%", filepath.Join(dir, "edge.token"), "%URL%", target.URL,
		"%ADDR%", strings.TrimPrefix(target.URL, "http://")).Replace(testConfig)
	cfg, err := config.Parse([]byte(body), filepath.Join(dir, "tocsin.yaml"), kinds)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{token: token, sub: &submitted{}, clk: &clock{t: time.Now().UTC()}, cfg: cfg, st: openStore(t, driver)}
	durable := func(ctx context.Context) error {
		if f.down.Load() {
			return errors.New("disk full")
		}
		return nil
	}
	f.srv, err = agent.NewServer(t.Context(), agent.ServerOptions{Store: f.st, Submit: f.sub.Submit, Durable: durable, Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	f.srv.Register(func(p string, h http.Handler) { mux.Handle(p, h) })
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	f.url = hs.URL
	return f
}

func hexHash(token string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range agent.HashToken(token) {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}

func (f *fixture) push(t *testing.T, token string, rs ...probe.Result) (int, []agent.Verdict) {
	t.Helper()
	b, _ := json.Marshal(agent.PushRequest{Results: rs})
	req, _ := http.NewRequest(http.MethodPost, f.url+agent.ResultsPath, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Data agent.PushResponse `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&env)
	return resp.StatusCode, env.Data.Results
}

func drivers(t *testing.T, fn func(t *testing.T, driver string)) {
	for _, d := range []string{"sqlite", "postgres"} {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// TestAssignment: an agent gets the monitors that name it and those of
// its location, nothing else, and a version that does not change while
// the config does not.
func TestAssignment(t *testing.T) {
	f := newFixture(t, "sqlite")
	a, err := f.srv.Assignment(agent.Identity{ID: "edge", Location: "external-eu"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Monitors, []string{"site", "disk"}) {
		t.Errorf("assigned %v, want [site disk]", a.Monitors)
	}
	cfg, err := config.Parse([]byte(a.Config), "assignment", kinds)
	if err != nil {
		t.Fatalf("the assignment does not load: %v\n%s", err, a.Config)
	}
	if len(cfg.Monitors) != 2 {
		t.Fatalf("the assignment holds %d monitors:\n%s", len(cfg.Monitors), a.Config)
	}
	// Empty and absent lists and maps read alike.
	norm := strings.NewReplacer("{}", "null", "[]", "null")
	for i := range 2 {
		got, want := cfg.Monitors[i], f.cfg.Monitors[i]
		want.Agent, want.Locations = "", nil
		x, _ := json.Marshal(got)
		y, _ := json.Marshal(want)
		if norm.Replace(string(x)) != norm.Replace(string(y)) {
			t.Errorf("assigned monitor differs from the server's:\n%s\n%s", x, y)
		}
	}
	again, _ := f.srv.Assignment(agent.Identity{ID: "edge", Location: "external-eu"})
	if again.Version != a.Version {
		t.Errorf("version changed without a config change")
	}
	// ETag: a poll with the version answers 304.
	req, _ := http.NewRequest(http.MethodGet, f.url+agent.AssignmentPath, nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("If-None-Match", `"`+a.Version+`"`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("poll with the current version = %d, want 304", resp.StatusCode)
	}
}

// TestResultsChecked: results of monitors not assigned to the agent, from
// the far future or too old are refused; the location is the server's
// idea, not the agent's; a replay is accepted once.
func TestResultsChecked(t *testing.T) {
	drivers(t, func(t *testing.T, driver string) {
		f := newFixture(t, driver)
		now := f.clk.Now()
		ok := probe.Result{MonitorID: "site", Time: now.Add(-time.Minute), Status: probe.OK, Location: "local"}
		code, v := f.push(t, f.token,
			ok,
			probe.Result{MonitorID: "inside", Time: now, Status: probe.OK},
			probe.Result{MonitorID: "other-agent", Time: now, Status: probe.OK},
			probe.Result{MonitorID: "nope", Time: now, Status: probe.OK},
			probe.Result{MonitorID: "disk", Time: now.Add(time.Hour), Status: probe.OK},
			probe.Result{MonitorID: "disk", Time: now.Add(-8 * 24 * time.Hour), Status: probe.OK},
		)
		if code != http.StatusOK || len(v) != 6 {
			t.Fatalf("push = %d %+v", code, v)
		}
		if !v[0].Accepted {
			t.Errorf("good result refused: %s", v[0].Error)
		}
		for i, want := range []string{`"inside" is not assigned`, `"other-agent" is not assigned`, `"nope" is not assigned`, "in the future", "older than"} {
			if v[i+1].Accepted || !strings.Contains(v[i+1].Error, want) {
				t.Errorf("result %d: %+v, want refused with %q", i+1, v[i+1], want)
			}
		}
		// A replay of the same result, and an older one, are accepted and
		// not handed on again.
		_, v = f.push(t, f.token, ok, probe.Result{MonitorID: "site", Time: now.Add(-2 * time.Minute), Status: probe.OK})
		if !v[0].Accepted || !v[1].Accepted {
			t.Errorf("replay refused: %+v", v)
		}
		got := f.sub.All()
		if len(got) != 1 || got[0].Location != "external-eu" || got[0].MonitorID != "site" {
			t.Errorf("handed on %+v, want the one site result, from external-eu", got)
		}
		for _, tok := range []string{"", "tca_wrong", hexHash(f.token)} {
			if code, _ := f.push(t, tok, ok); code != http.StatusUnauthorized {
				t.Errorf("push with token %q = %d, want 401", tok, code)
			}
		}
	})
}

// TestSilence: an agent's monitor fails once it has been silent longer
// than the limit, says since when, and recovers when it reports again.
func TestSilence(t *testing.T) {
	drivers(t, func(t *testing.T, driver string) {
		f := newFixture(t, driver)
		start := f.clk.Now()
		f.srv.Check(t.Context())
		f.clk.Add(61 * time.Second)
		f.srv.Check(t.Context())
		f.srv.Check(t.Context()) // no change: nothing new
		if _, err := f.srv.Authenticate(t.Context(), f.token); err != nil {
			t.Fatal(err)
		}
		f.srv.Seen("edge")
		seenAt := f.clk.Now()
		f.srv.Check(t.Context())
		f.clk.Add(2 * time.Minute)
		f.srv.Check(t.Context())
		got := f.sub.All()
		want := []struct {
			status probe.Status
			reason string
		}{
			{probe.OK, "agent edge: waiting for its first report"},
			{probe.Critical, "agent edge has not reported since " + start.Format("15:04 UTC")},
			{probe.OK, "agent edge reported at " + seenAt.Format("15:04:05 UTC")},
			{probe.Critical, "agent edge silent since " + seenAt.Format("15:04 UTC")},
		}
		if len(got) != len(want) {
			t.Fatalf("results %+v, want %d", got, len(want))
		}
		for i, w := range want {
			if got[i].MonitorID != "agent:edge" || got[i].Status != w.status || got[i].Reason != w.reason {
				t.Errorf("result %d = %s %v %q, want %v %q", i, got[i].MonitorID, got[i].Status, got[i].Reason, w.status, w.reason)
			}
		}
		// The last contact is stored: a new server knows it.
		seen, err := f.st.AgentsLastSeen(t.Context())
		if err != nil || !seen["edge"].Equal(seenAt.Truncate(time.Millisecond)) {
			t.Errorf("stored last seen = %v, %v; want %v", seen, err, seenAt)
		}
	})
}

// TestRunAndReplay runs the agent against a server that is away for a
// while: results taken meanwhile stay buffered and arrive, in order, with
// their own times, none lost and none twice; an agent restarted in the
// middle of a push sends its batch again and the server takes it once.
func TestRunAndReplay(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.clk = nil
	dir := t.TempDir()
	var up sync.Mutex
	down := false
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up.Lock()
		d := down
		up.Unlock()
		if d {
			http.Error(w, "away", http.StatusBadGateway)
			return
		}
		pr, _ := http.NewRequest(r.Method, f.url+r.URL.Path, r.Body)
		pr.Header = r.Header
		resp, err := http.DefaultClient.Do(pr)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	defer gate.Close()
	run := func(ctx context.Context) (*agent.Buffer, chan error) {
		buf, err := agent.OpenBuffer(dir, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			done <- agent.Run(ctx, agent.Options{Server: gate.URL, Token: f.token, Location: "external-eu", Buffer: buf, Kinds: kinds, Poll: 50 * time.Millisecond})
			buf.Close()
		}()
		return buf, done
	}
	ctx, cancel := context.WithCancel(t.Context())
	buf, done := run(ctx)
	waitFor(t, func() bool { return count(f.sub.All(), "disk") >= 3 })
	up.Lock()
	down = true
	up.Unlock()
	waitFor(t, func() bool { return buf.Pending() >= 10 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	pending := buf.Pending()

	// The server is back; the agent restarts with its buffer.
	up.Lock()
	down = false
	up.Unlock()
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	buf, done = run(ctx)
	waitFor(t, func() bool { return buf.Pending() == 0 && count(f.sub.All(), "disk") >= pending })
	cancel()
	<-done

	got := f.sub.All()
	for _, id := range []string{"site", "disk"} {
		var times []time.Time
		for _, r := range got {
			if r.MonitorID == id {
				times = append(times, r.Time)
			}
		}
		for i := 1; i < len(times); i++ {
			if !times[i].After(times[i-1]) {
				t.Fatalf("%s: result %d at %v is not after %v: out of order or twice", id, i, times[i], times[i-1])
			}
		}
		// No gap: results every 100 ms through the outage, so none
		// is more than a few intervals from the one before.
		for i := 1; i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap > 2*time.Second {
				t.Errorf("%s: %v between results %d and %d: results lost", id, gap, i-1, i)
			}
		}
	}

	// A batch the server took but whose answer the agent never saw is sent
	// again after a restart: the server takes it once.
	buf, err := agent.OpenBuffer(filepath.Join(t.TempDir(), "b"), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := got[len(got)-1].Time
	r := probe.Result{MonitorID: "disk", Time: last.Add(time.Second), Status: probe.OK}
	buf.Append(r)
	entries, _ := buf.Peek(10)
	f.push(t, f.token, entries[0].Result) // answered, but the answer is lost
	buf.Close()
	buf, err = agent.OpenBuffer(filepath.Join(t.TempDir(), "b"), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = buf
	before := len(f.sub.All())
	f.push(t, f.token, entries[0].Result)
	if n := len(f.sub.All()); n != before {
		t.Errorf("a replayed batch was taken twice: %d results, want %d", n, before)
	}
}

func count(rs []probe.Result, id string) int {
	n := 0
	for _, r := range rs {
		if r.MonitorID == id {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("condition not met in 20s")
}

// TestRevoked: a revoked agent's requests are refused and Run says so.
func TestRevoked(t *testing.T) {
	drivers(t, func(t *testing.T, driver string) {
		f := newFixture(t, driver)
		_, token, err := f.srv.Create(t.Context(), "db-01", "dc-2")
		if err != nil {
			t.Fatal(err)
		}
		who, err := f.srv.Authenticate(t.Context(), token)
		if err != nil || who.ID != "db-01" || who.Location != "dc-2" {
			t.Fatalf("Authenticate = %+v, %v", who, err)
		}
		if _, _, err := f.srv.Create(t.Context(), "edge", ""); err == nil {
			t.Error("Create of an agent of the file: no error")
		}
		if err := f.srv.Revoke(t.Context(), "db-01"); err != nil {
			t.Fatal(err)
		}
		buf, err := agent.OpenBuffer(t.TempDir(), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer buf.Close()
		var logs bytes.Buffer
		err = agent.Run(t.Context(), agent.Options{Server: f.url, Token: token, Buffer: buf, Kinds: kinds,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err == nil || !strings.Contains(err.Error(), "unknown or was revoked") {
			t.Errorf("Run = %v, want the refusal", err)
		}
		if !strings.Contains(logs.String(), "revoked") {
			t.Errorf("the agent did not say its token was refused: %s", logs.String())
		}
	})
}

// TestLocationLive: a location is live while one of its agents reports
// within the silence limit; a location no agent has is never live.
func TestLocationLive(t *testing.T) {
	f := newFixture(t, "sqlite")
	if f.srv.LocationLive("external-eu") {
		t.Error("external-eu is live before its agent reported")
	}
	f.srv.Seen("edge")
	if !f.srv.LocationLive("external-eu") || f.srv.LocationLive("external-us") {
		t.Errorf("after edge reported: external-eu %v, external-us %v", f.srv.LocationLive("external-eu"), f.srv.LocationLive("external-us"))
	}
	f.clk.Add(61 * time.Second)
	if f.srv.LocationLive("external-eu") {
		t.Error("external-eu is still live after its agent went silent")
	}
}

// TestOffsetSpreads: first runs fall inside the interval, the same for
// the same monitor, and spread across it for many monitors.
func TestOffsetSpreads(t *testing.T) {
	const every = 30 * time.Second
	quarters := [4]int{}
	for i := range 200 {
		id := fmt.Sprintf("m%03d", i)
		o := agent.Offset(id, every)
		if o < 0 || o >= every || o != agent.Offset(id, every) {
			t.Fatalf("Offset(%s) = %v", id, o)
		}
		quarters[o*4/every]++
	}
	for q, n := range quarters {
		if n < 25 {
			t.Errorf("quarter %d of the interval has %d of 200 first runs: %v", q, n, quarters)
		}
	}
	if agent.Offset("x", 0) != 0 {
		t.Error("a zero interval has an offset")
	}
}

// TestPushAnsweredOnlyWhenStored: while the server cannot store results, a
// push is answered 503 with Retry-After and no verdicts, so the agent keeps
// its results and sends them again; the second push is answered once they
// are stored, and hands nothing to the engine twice.
func TestPushAnsweredOnlyWhenStored(t *testing.T) {
	drivers(t, func(t *testing.T, driver string) {
		f := newFixture(t, driver)
		r := probe.Result{MonitorID: "site", Time: f.clk.Now().Add(-time.Second), Status: probe.OK}
		f.down.Store(true)
		if code, v := f.push(t, f.token, r); code != http.StatusServiceUnavailable || len(v) != 0 {
			t.Fatalf("push while the store fails = %d %+v, want 503 and no verdicts", code, v)
		}
		f.down.Store(false)
		if code, v := f.push(t, f.token, r); code != http.StatusOK || len(v) != 1 || !v[0].Accepted {
			t.Fatalf("push again = %d %+v, want 200 accepted", code, v)
		}
		if got := f.sub.All(); len(got) != 1 {
			t.Errorf("handed on %d results, want the one, once", len(got))
		}
	})
}

// TestReplayAfterServerRestart: a server that restarted knows nothing of
// the pushes it answered before; the newest stored result of each monitor
// and location seeds its replay check, so a batch the agent sends again
// (the answer was lost in the restart) is accepted and not stored twice,
// while newer results are handed on.
func TestReplayAfterServerRestart(t *testing.T) {
	f := newFixture(t, sqlstore.DriverSQLite)
	stored := f.clk.Now().Add(-time.Minute)
	sub := &submitted{}
	srv, err := agent.NewServer(t.Context(), agent.ServerOptions{Store: f.st, Submit: sub.Submit, Now: f.clk.Now,
		Newest: func(monitorID, location string) time.Time {
			if monitorID == "site" && location == "external-eu" {
				return stored
			}
			return time.Time{}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Apply(f.cfg); err != nil {
		t.Fatal(err)
	}
	who := agent.Identity{ID: "edge", Location: "external-eu"}
	v, err := srv.Accept(t.Context(), who, []probe.Result{
		{MonitorID: "site", Time: stored, Status: probe.OK},
		{MonitorID: "site", Time: stored.Add(-30 * time.Second), Status: probe.OK},
		{MonitorID: "site", Time: stored.Add(30 * time.Second), Status: probe.OK},
	})
	if err != nil || len(v) != 3 || !v[0].Accepted || !v[1].Accepted || !v[2].Accepted {
		t.Fatalf("Accept = %+v, %v; want all three accepted", v, err)
	}
	got := sub.All()
	if len(got) != 1 || !got[0].Time.Equal(stored.Add(30*time.Second)) {
		t.Errorf("handed on %+v, want only the result newer than the stored one", got)
	}
}
