package app

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/monitor"
)

// readmeCommands returns the command lines of README.md's block between
// <!-- readme-commands --> and <!-- /readme-commands -->, without the code
// fence and the trailing "# ..." comments.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- readme-commands -->")
	block, _, ok2 := strings.Cut(rest, "<!-- /readme-commands -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- readme-commands --> ... <!-- /readme-commands --> block")
	}
	var lines []string
	for _, line := range strings.Split(block, "\n") {
		line = strings.TrimSpace(stripComment(line))
		if line == "" || strings.HasPrefix(line, "```") {
			continue
		}
		lines = append(lines, line)
	}
	return lines
}

// stripComment drops a shell comment: a "#" outside quotes after a blank.
func stripComment(line string) string {
	quoted := false
	for i, c := range line {
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '#' && !quoted && (i == 0 || line[i-1] == ' '):
			return line[:i]
		}
	}
	return line
}

// shellWords splits a command line into words the way sh does for the
// little the README uses: blanks separate words, single quotes keep them.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	in, quoted := false, false
	for _, c := range line {
		switch {
		case c == '\'':
			quoted, in = !quoted, true
		case c == ' ' && !quoted:
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(c)
			in = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if in {
		words = append(words, w.String())
	}
	return words
}

// TestReadmeCommands runs the commands of README.md's "Using it" block, read
// from README.md itself, in a fresh folder, as written (go build aside:
// the code runs in-process): init writes the starter, validate accepts it,
// user add creates the admin with the password from stdin, serve runs it
// (in-process, on free ports: the only change, made to the file and to the
// URL in the commands), check runs a monitor against the running demo
// target, and run wraps a command and pings the starter's heartbeat, which
// must then be up. When the README and the starter drift apart, this fails.
func TestReadmeCommands(t *testing.T) {
	lines := readmeCommands(t)
	dir := t.TempDir()
	t.Chdir(dir) // the README's commands use the default ./tocsin.yaml
	path := filepath.Join(dir, "tocsin.yaml")
	addr := ""
	var r *running
	seen := map[string]bool{}
	for _, line := range lines {
		stdin := ""
		if before, after, ok := strings.Cut(line, " | "); ok {
			w := shellWords(t, before)
			if len(w) < 2 || w[0] != "echo" {
				t.Fatalf("README: only echo '...' | may feed a command, got %q", line)
			}
			stdin = strings.Join(w[1:], " ") + "\n"
			line = after
		}
		words := shellWords(t, line)
		if len(words) >= 2 && words[0] == "go" && words[1] == "build" {
			continue // the test runs the code in-process
		}
		if len(words) < 2 || words[0] != "./tocsin" {
			t.Fatalf("README: %q does not run ./tocsin", line)
		}
		args := words[1:]
		seen[args[0]] = true
		if addr != "" {
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "127.0.0.1:8080", addr)
			}
		}
		if args[0] == "serve" {
			if len(args) != 1 {
				t.Fatalf("README: the test runs only a plain ./tocsin serve, got %q", line)
			}
			r, addr = serveStarter(t, path)
			continue
		}
		if (args[0] == "check" || args[0] == "run") && r == nil {
			t.Fatalf("README: %q comes before ./tocsin serve", line)
		}
		code, stdout, stderr := runCLI(t, stdin, args...)
		if code != 0 {
			t.Fatalf("README: %q: exit %d\n%s%s", line, code, stdout, stderr)
		}
		switch args[0] {
		case "check":
			var out struct{ Status string }
			if err := json.Unmarshal([]byte(stdout), &out); err != nil || out.Status != "OK" {
				t.Errorf("README: %q printed %s (%v), want status OK", line, stdout, err)
			}
		case "run":
			waitState(t, r.app, starterHeartbeat, monitor.StatusUp)
		}
	}
	for _, cmd := range []string{"init", "validate", "serve", "check", "run", "user"} {
		if !seen[cmd] {
			t.Errorf("README's commands no longer run ./tocsin %s", cmd)
		}
	}
}

// starterHeartbeat is the starter's heartbeat, the one the README's
// `tocsin run` line pings.
const starterHeartbeat = "try-run"

// serveStarter starts the server on the starter at path, moved to free
// ports, and waits until it and the demo target answer (not for the
// monitors: the starter's run on a 10s and 30s grid); it returns the server
// and the address it listens on.
func serveStarter(t *testing.T, path string) (*running, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(b)
	ln := listen(t)
	demo := freeAddr(t)
	for _, r := range [][2]string{
		{"127.0.0.1:8080", ln.Addr().String()},
		{"127.0.0.1:8081", demo},
	} {
		if !strings.Contains(cfg, r[0]) {
			ln.Close()
			t.Fatalf("the starter no longer has %q", r[0])
		}
		cfg = strings.ReplaceAll(cfg, r[0], r[1])
	}
	writeConfig(t, path, cfg)
	r := runApp(t, Options{ConfigPath: path, Listener: ln, WatchInterval: -1})
	for _, u := range []string{r.url + "/healthz", "http://" + demo + "/"} {
		waitOK(t, u)
	}
	return r, ln.Addr().String()
}

// waitOK waits until GET u answers 200.
func waitOK(t *testing.T, u string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(u)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v %v", u, res, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
