package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/agent"
	"github.com/tocsin/tocsin/internal/monitor"
	probekinds "github.com/tocsin/tocsin/internal/probe/kinds"
	"github.com/tocsin/tocsin/internal/store"
	"github.com/tocsin/tocsin/internal/testkit"
)

func agentsConfig(t *testing.T, driver, targetURL, tokenFile string) string {
	return `server:
  listen: 127.0.0.1:0
  agent_silent_after: 5s
` + storageYAML(t, driver) + `
agents:
  - id: edge
    location: external-eu
    token_file: ` + tokenFile + `
monitors:
  - id: edge-site
    type: http
    interval: 200ms
    locations: [external-eu]
    http:
      url: ` + targetURL + `
  - id: host-port
    type: tcp
    interval: 200ms
    agent: db-01
    tcp:
      address: ` + strings.TrimPrefix(targetURL, "http://") + `
`
}

// waitFor polls cond for up to 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within 30s", what)
}

func stateIs(a *App, id string, want monitor.Status) func() bool {
	return func() bool {
		en, ok := a.eng.View(id)
		return ok && en.State.Status == want
	}
}

func runAgent(ctx context.Context, t *testing.T, url, token string, logs *bytes.Buffer) chan error {
	buf, err := agent.OpenBuffer(t.TempDir(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if logs != nil {
		log = slog.New(slog.NewTextHandler(logs, nil))
	}
	done := make(chan error, 1)
	go func() {
		defer buf.Close()
		done <- agent.Run(ctx, agent.Options{Server: url, Token: token, Buffer: buf, Logger: log,
			Kinds: probekinds.All(probekinds.Deps{}), Poll: 100 * time.Millisecond})
	}()
	return done
}

// TestAgentsEndToEnd: an agent of the file and one created with the CLI
// run their monitors against a real server; their results drive the
// monitors' states; an agent that stops fails its agent monitor, and a
// revoked one is refused and says so.
func TestAgentsEndToEnd(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			target := testkit.NewTarget(t)
			dir := t.TempDir()
			edgeToken := agent.NewToken()
			if err := os.WriteFile(filepath.Join(dir, "edge.token"), []byte(edgeToken+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "tocsin.yaml")
			writeConfig(t, path, agentsConfig(t, driver, target.URL, filepath.Join(dir, "edge.token")))
			r := start(t, path)
			st := r.app.Store()
			apiToken, cookie := signIn(t, st)

			code, out, errOut := cliEnv(t, r.url, apiToken, "agent-token", "create", "--location", "dc-2", "db-01")
			dbToken := strings.TrimSpace(out)
			if code != 0 || !strings.HasPrefix(dbToken, "tca_") || !strings.Contains(errOut, "shown this once") {
				t.Fatalf("agent-token create: exit %d: %q %s", code, out, errOut)
			}
			if code, _, errOut := cliEnv(t, r.url, apiToken, "agent-token", "create", "edge"); code != 1 || !strings.Contains(errOut, "config file") {
				t.Errorf("agent-token create of an agent of the file: exit %d: %s", code, errOut)
			}

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			edgeDone := runAgent(ctx, t, r.url, edgeToken, nil)
			dbCtx, stopDB := context.WithCancel(ctx)
			dbDone := runAgent(dbCtx, t, r.url, dbToken, nil)

			waitUntil(t, "edge-site up", stateIs(r.app, "edge-site", monitor.StatusUp))
			waitUntil(t, "host-port up", stateIs(r.app, "host-port", monitor.StatusUp))
			waitUntil(t, "agent:edge up", stateIs(r.app, "agent:edge", monitor.StatusUp))
			target.SetFailing(true)
			waitUntil(t, "edge-site down, seen by the agent", stateIs(r.app, "edge-site", monitor.StatusDown))
			target.SetFailing(false)
			res, err := st.Results(t.Context(), "edge-site", store.Page{Limit: 5})
			if err != nil || len(res) == 0 {
				t.Fatalf("stored results of edge-site: %v, %v", res, err)
			}

			code, out, _ = cliEnv(t, r.url, apiToken, "agent-token", "list")
			if out = squash(out); code != 0 || !strings.Contains(out, "db-01 dc-2 live") || !strings.Contains(out, "edge external-eu live") {
				t.Errorf("agent-token list: exit %d:\n%s", code, out)
			}

			page := strings.Join(strings.Fields(signedIn(t, r.url, "/agents", true, "", cookie)), " ")
			for _, want := range []string{`<td>db-01</td><td>dc-2</td> <td><span class="badge up">live</span>`, `<td>edge</td><td>external-eu</td>`, `action="/agents/db-01/revoke"`, "config file"} {
				if !strings.Contains(page, want) {
					t.Errorf("/agents lacks %q:\n%s", want, page)
				}
			}
			// The page creates an agent and shows its token once.
			form := url.Values{"id": {"web-01"}, "location": {"dc-2"}}
			req, _ := http.NewRequest("POST", r.url+"/agents", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "tocsin_session", Value: cookie})
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), `<code class="secret" id="new-token">tca_`) {
				t.Errorf("POST /agents: %d\n%s", resp.StatusCode, body)
			}

			// db-01 stops: its agent monitor fails, saying since when.
			stopDB()
			if err := <-dbDone; err != nil {
				t.Fatalf("agent db-01: %v", err)
			}
			waitUntil(t, "agent:db-01 down", stateIs(r.app, "agent:db-01", monitor.StatusDown))
			en, _ := r.app.eng.View("agent:db-01")
			if !strings.Contains(en.State.LastReason, "agent db-01 silent since ") {
				t.Errorf("reason = %q", en.State.LastReason)
			}

			// Revoked: the agent is refused and says so.
			if code, out, errOut := cliEnv(t, r.url, apiToken, "agent-token", "revoke", "db-01"); code != 0 || !strings.Contains(out, "revoked") {
				t.Fatalf("agent-token revoke: exit %d: %s%s", code, out, errOut)
			}
			var logs bytes.Buffer
			err = <-runAgent(ctx, t, r.url, dbToken, &logs)
			if !errors.Is(err, agent.ErrRefused) || !strings.Contains(logs.String(), "revoked") {
				t.Errorf("revoked agent: %v\n%s", err, logs.String())
			}
			cancel()
			if err := <-edgeDone; err != nil {
				t.Errorf("agent edge: %v", err)
			}
		})
	}
}

// TestAgentProcess runs `tocsin agent` as its own process against a
// server, stops the server for a while and starts it again on the same
// address and database: the results taken meanwhile arrive with their own
// times, in order, each once.
func TestAgentProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "tocsin")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/tocsin").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	target := testkit.NewTarget(t)
	dir := t.TempDir()
	token := agent.NewToken()
	os.WriteFile(filepath.Join(dir, "edge.token"), []byte(token), 0o600)
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, agentsConfig(t, "sqlite", target.URL, filepath.Join(dir, "edge.token")))
	r := start(t, path)
	addr := strings.TrimPrefix(r.url, "http://")

	var logs bytes.Buffer
	cmd := exec.Command(bin, "agent", "--server", r.url, "--token", token, "--location", "external-eu",
		"--buffer", filepath.Join(dir, "buffer"), "--poll", "200ms")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	st := r.app.Store()
	count := func() int {
		res, _ := st.Results(t.Context(), "edge-site", store.Page{Limit: 1000})
		return len(res)
	}
	waitUntil(t, "results from the agent process", func() bool { return count() >= 3 })
	r.stop()
	downAt := time.Now()
	time.Sleep(2 * time.Second)
	upAt := time.Now()

	ln := listenOn(t, addr)
	r = runApp(t, Options{ConfigPath: path, Listener: ln})
	st = r.app.Store()
	waitUntil(t, "the buffered results", func() bool {
		res, _ := st.Results(t.Context(), "edge-site", store.Page{Limit: 1000})
		n := 0
		for _, x := range res {
			if x.Time.After(downAt.Add(200*time.Millisecond)) && x.Time.Before(upAt) {
				n++
			}
		}
		return n >= 5
	})
	res, err := st.Results(t.Context(), "edge-site", store.Page{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(res); i++ {
		if !res[i].Time.Before(res[i-1].Time) {
			t.Fatalf("results %d and %d at %v and %v: out of order or twice", i-1, i, res[i-1].Time, res[i].Time)
		}
		if gap := res[i-1].Time.Sub(res[i].Time); gap > 2*time.Second {
			t.Errorf("%v between results: some were lost", gap)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("tocsin agent after SIGTERM: %v\n%s", err, logs.String())
	}
}

// listenOn listens on addr again once the server that had it let go.
func listenOn(t *testing.T, addr string) net.Listener {
	t.Helper()
	var err error
	for range 100 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("listen on %s again: %v", addr, err)
	return nil
}
