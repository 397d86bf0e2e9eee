package app

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/heartbeat/runner"
	"github.com/tocsin/tocsin/internal/store"
)

func TestCLIRun(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		_, _ = w.Write([]byte("OK"))
	}))
	defer srv.Close()
	env := map[string]string{"TOCSIN_URL": srv.URL, "TOCSIN_PING_KEY": "k3y"}
	main := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
		return code, out.String() + errb.String()
	}

	if code, out := main("run", "--slug", "nightly", "--", "sh", "-c", "echo done; exit 9"); code != 9 || out != "done\n" {
		t.Errorf("run: exit %d, output %q; want the command's 9 and its output", code, out)
	}
	mu.Lock()
	got := strings.Join(paths, " ")
	mu.Unlock()
	if got != "/ping/k3y/nightly/start /ping/k3y/nightly/9" {
		t.Errorf("pinged %s", got)
	}

	delete(env, "TOCSIN_URL")
	if code, out := main("run", "--heartbeat", "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278", "--", "true"); code != 2 || !strings.Contains(out, "TOCSIN_URL") {
		t.Errorf("run without a server: exit %d, output %q; want 2 and a pointer to TOCSIN_URL", code, out)
	}
}

// startOn runs an App from path on addr until stop is called.
func startOn(t *testing.T, path, addr string) (*App, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := runApp(t, Options{ConfigPath: path, Listener: ln, WatchInterval: -1})
	return r.app, r.stop
}

// TestRunThroughOutage wraps a real command with tocsin run against a real
// server that goes away while the command runs and comes back later: the
// start and the exit status arrive, paired by their run id, with the
// output, and the command's exit code is kept.
func TestRunThroughOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the server twice")
	}
	const uuid = "0c9f3b52-5f3e-4c59-9d4e-2f1d6a7b8c90"
	dir := t.TempDir()
	path := filepath.Join(dir, "tocsin.yaml")
	writeConfig(t, path, storageYAML(t, "sqlite")+"heartbeats:\n  - id: export\n    uuid: "+uuid+"\n    period: 1h\n    grace: 10m\n")
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := probe.Addr().String()
	probe.Close()
	first, stopFirst := startOn(t, path, addr)

	flag := filepath.Join(dir, "go-on")
	var out lockedBuffer
	type ran struct {
		code int
		err  error
	}
	res := make(chan ran, 1)
	// refused tells when a ping found the server gone; started when the
	// server acknowledged the start, which it does once the ping is stored.
	refused := make(chan struct{}, 1)
	started := make(chan struct{}, 1)
	notify := func(c chan struct{}) {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		switch {
		case err != nil:
			notify(refused)
		case resp.StatusCode == http.StatusOK && strings.HasSuffix(r.URL.Path, "/start"):
			notify(started)
		}
		return resp, err
	})}
	go func() {
		code, err := runner.Run(context.Background(), runner.Options{
			Server:   "http://" + addr,
			UUID:     uuid,
			Command:  []string{"sh", "-c", `echo exporting; while [ ! -f "$0" ]; do sleep 0.02; done; echo "export failed" >&2; exit 4`, flag},
			Stdout:   &out,
			Stderr:   &out,
			Client:   client,
			RetryFor: 30 * time.Second,
			Timeout:  2 * time.Second,
		})
		res <- ran{code, err}
	}()

	// The start is stored while the command runs.
	ctx := context.Background()
	select {
	case <-started:
	case <-time.After(15 * time.Second):
		t.Fatal("the start ping was never acknowledged")
	}
	if pings, err := first.Store().Pings(ctx, "export", store.Page{}); err != nil || len(pings) != 1 || pings[0].Kind != "start" {
		t.Fatalf("no start ping stored: %+v, %v", pings, err)
	}
	// The server goes away; the command ends; the report waits for the
	// server to come back.
	stopFirst()
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-refused:
	case <-time.After(15 * time.Second):
		t.Fatal("the exit ping never met the stopped server")
	}
	second, _ := startOn(t, path, addr)
	var r ran
	select {
	case r = <-res:
	case <-time.After(45 * time.Second):
		t.Fatal("tocsin run did not finish")
	}
	if r.err != nil || r.code != 4 {
		t.Errorf("tocsin run = %d, %v; want the command's exit status 4", r.code, r.err)
	}
	pings, err := second.Store().Pings(ctx, "export", store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pings) != 2 {
		t.Fatalf("stored %d pings, want start and exit: %+v", len(pings), pings)
	}
	end, start := pings[0], pings[1]
	if end.Kind != "exit" || end.ExitStatus != 4 || end.RunID == "" || end.RunID != start.RunID {
		t.Errorf("end ping %+v after start %+v, want exit 4 with the start's run id", end, start)
	}
	if body := string(end.Body); !strings.Contains(body, "exporting") || !strings.Contains(body, "export failed") {
		t.Errorf("end ping body %q, want the command's output", body)
	}
	if end.Duration <= 0 {
		t.Errorf("end ping has no run duration: %+v", end)
	}
	// Standard output and standard error are copied apart, so their lines
	// may interleave either way.
	if got := out.String(); got != "exporting\nexport failed\n" && got != "export failed\nexporting\n" {
		t.Errorf("the command's own output was %q", got)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRunCreatesBySlug: with --create, the first run of a job whose slug the
// server does not know yet creates its heartbeat, where the server allows it.
func TestRunCreatesBySlug(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	writeConfig(t, path, "server:\n  pings:\n    key: run-test-ping-key-0123\n    auto_create: true\n"+storageYAML(t, "sqlite"))
	r := runApp(t, Options{ConfigPath: path, WatchInterval: -1})
	env := map[string]string{"TOCSIN_URL": r.url, "TOCSIN_PING_KEY": "run-test-ping-key-0123"}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"run", "--slug", "fresh-job", "--create", "--", "sh", "-c", "echo made"},
		Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	if code != 0 || out.String() != "made\n" {
		t.Fatalf("tocsin run --create: exit %d, output %q, errors %q", code, out.String(), errb.String())
	}
	var id string
	for _, v := range r.app.hb.Views() {
		if v.Definition.Slug == "fresh-job" {
			id = v.Definition.ID
		}
	}
	if id == "" {
		t.Fatalf("no heartbeat with slug fresh-job was created; stderr %q", errb.String())
	}
	pings, err := r.app.Store().Pings(context.Background(), id, store.Page{})
	if err != nil || len(pings) != 2 || pings[0].Kind != "exit" || pings[1].Kind != "start" {
		t.Errorf("pings of the created heartbeat: %+v, %v; want start and exit; tocsin run said %q", pings, err, errb.String())
	}
	if code := Main(context.Background(), []string{"run", "--heartbeat", "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278", "--create", "--", "true"},
		Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }}); code != 2 {
		t.Errorf("--create with --heartbeat: exit %d, want 2 (a usage error)", code)
	}
}
