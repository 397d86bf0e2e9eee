package proc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// LogLine is one line of a process's JSON log: "time", "level", "msg" and
// the attributes.
type LogLine map[string]any

// Msg is the line's message.
func (l LogLine) Msg() string { s, _ := l["msg"].(string); return s }

// Str returns the attribute key as text ("" when absent).
func (l LogLine) Str(key string) string {
	switch v := l[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// Process is one `tocsin serve` (or other tocsin command) running as a
// child process, its JSON log read as it writes it.
type Process struct {
	// Name says which process this is in messages (a replica id).
	Name string

	cmd    *exec.Cmd
	exited chan struct{}
	err    error

	mu      sync.Mutex
	url     string
	lines   []LogLine
	raw     []string
	changed chan struct{}
}

// Serve starts `tocsin serve --config cfgPath` with a JSON log at info
// level, named name in messages. The process is killed when the test ends;
// when the test failed, the end of its log is written to the test log.
func Serve(t testing.TB, cfgPath, name string) *Process {
	t.Helper()
	return Start(t, name, "serve", "--config", cfgPath, "--log-format", "json", "--log-level", "info")
}

// Start runs the tocsin binary (see Binary) with args.
func Start(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	p := &Process{Name: name, exited: make(chan struct{}), changed: make(chan struct{})}
	p.cmd = exec.Command(Binary(t), args...)
	p.cmd.Stdout = io.Discard
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	read := make(chan struct{})
	go func() {
		defer close(read)
		p.read(stderr)
	}()
	go func() {
		<-read
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			p.mu.Lock()
			tail := p.raw[max(0, len(p.raw)-60):]
			p.mu.Unlock()
			t.Logf("the last %d log lines of %s:\n%s", len(tail), name, strings.Join(tail, "\n"))
		}
	})
	return p
}

func (p *Process) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var l LogLine
		if json.Unmarshal([]byte(line), &l) != nil {
			l = LogLine{"msg": line}
		}
		p.mu.Lock()
		p.lines = append(p.lines, l)
		p.raw = append(p.raw, line)
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}
}

// Logs returns the lines logged so far.
func (p *Process) Logs() []LogLine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]LogLine(nil), p.lines...)
}

// WaitLog waits for a line that match accepts and returns it; it fails
// the test after timeout, or when the process ends without one.
func (p *Process) WaitLog(t testing.TB, timeout time.Duration, what string, match func(LogLine) bool) LogLine {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	seen := 0
	for {
		p.mu.Lock()
		lines, changed := p.lines[seen:], p.changed
		p.mu.Unlock()
		for _, l := range lines {
			if match(l) {
				return l
			}
		}
		seen += len(lines)
		select {
		case <-changed:
		case <-p.exited:
			if l, ok := p.find(seen, match); ok {
				return l
			}
			t.Fatalf("%s ended (%v) before logging %s", p.Name, p.err, what)
		case <-deadline.C:
			t.Fatalf("%s did not log %s within %s", p.Name, what, timeout)
		}
	}
}

func (p *Process) find(from int, match func(LogLine) bool) (LogLine, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.lines[from:] {
		if match(l) {
			return l, true
		}
	}
	return nil, false
}

// URL waits for the server to say where it listens ("tocsin serving") and
// returns its base URL, such as http://127.0.0.1:41234.
func (p *Process) URL(t testing.TB) string {
	t.Helper()
	p.mu.Lock()
	url := p.url
	p.mu.Unlock()
	if url != "" {
		return url
	}
	l := p.WaitLog(t, 2*time.Minute, `"tocsin serving"`, func(l LogLine) bool { return l.Msg() == "tocsin serving" })
	p.mu.Lock()
	p.url = l.Str("addr")
	p.mu.Unlock()
	return l.Str("addr")
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// Kill ends the process with SIGKILL, as a crash or a lost host would,
// and waits for it to be gone.
func (p *Process) Kill() {
	if p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// Stop ends the process with SIGTERM, a clean stop, and waits up to
// timeout for it before killing it. It returns the process's exit error.
func (p *Process) Stop(timeout time.Duration) error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(timeout):
		p.Kill()
	}
	return p.err
}

// Get fetches path from the running server and returns the status and
// body; a failed request returns status 0 and the error as the body.
func (p *Process) Get(t testing.TB, path string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL(t)+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Metric reads one series from the server's /metrics: the first of name
// whose labels include those given as name, value pairs; false when there
// is none or /metrics does not answer.
func (p *Process) Metric(t testing.TB, name string, labels ...string) (float64, bool) {
	t.Helper()
	code, body := p.Get(t, "/metrics")
	if code != http.StatusOK {
		return 0, false
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: parsing /metrics: %v", p.Name, err)
	}
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetUntyped() != nil:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// WriteConfig writes a configuration file into dir and returns its path.
func WriteConfig(t testing.TB, dir, name, yaml string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
