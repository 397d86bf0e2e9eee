package app

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
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
