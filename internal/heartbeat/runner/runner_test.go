package runner

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	hbUUID = "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"
	runID  = "123e4567-e89b-12d3-a456-426614174000"
)

// fakeClock is the clock of the retries: Sleep records the wait and moves
// time forward instead of waiting.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	// onSleep, when set, runs before each recorded sleep returns.
	onSleep func(ctx context.Context, n int) error
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	n := len(c.sleeps)
	hook := c.onSleep
	c.mu.Unlock()
	if hook != nil {
		return hook(ctx, n)
	}
	return ctx.Err()
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// testOptions wires o to s and to a fake clock with no jitter.
func testOptions(s *pingServer, clock *fakeClock, command ...string) (Options, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return Options{
		Server:   s.URL(),
		UUID:     hbUUID,
		Command:  command,
		Stdout:   &stdout,
		Stderr:   &stderr,
		Now:      clock.Now,
		Sleep:    clock.Sleep,
		Jitter:   func(d time.Duration) time.Duration { return d },
		NewRunID: func() string { return runID },
		Client:   &http.Client{Transport: &http.Transport{}},
	}, &stdout, &stderr
}

func run(t *testing.T, o Options) int {
	t.Helper()
	code, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return code
}

func TestReportsStartAndExitStatusWithOutput(t *testing.T) {
	s := newPingServer(t)
	s.uuids[hbUUID] = true
	o, stdout, stderr := testOptions(s, &fakeClock{}, "sh", "-c", "echo hello; echo oops >&2; exit 3")
	o.UUID = strings.ToUpper(hbUUID)
	o.UserAgent = "tocsin-run/test"

	if code := run(t, o); code != 3 {
		t.Errorf("exit status %d, want the command's 3", code)
	}
	if stdout.String() != "hello\n" || stderr.String() != "oops\n" {
		t.Errorf("output not passed through: stdout %q, stderr %q", stdout, stderr)
	}
	got := s.recorded()
	if len(got) == 2 && got[1].Body == "oops\nhello\n" {
		got[1].Body = "hello\noops\n" // two pipes: their order is not kept
	}
	want := []ping{
		{Target: hbUUID, Action: "start", RID: runID, Method: "POST", UA: "tocsin-run/test"},
		{Target: hbUUID, Action: "3", RID: runID, Method: "POST", UA: "tocsin-run/test", Body: "hello\noops\n"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pings (-want +got):\n%s", diff)
	}
}

func TestSlugAndPingKey(t *testing.T) {
	s := newPingServer(t)
	s.slugs["fqOOd6-F4MMNuCEnzTU01w/nightly-export"] = true
	o, _, stderr := testOptions(s, &fakeClock{}, "true")
	o.UUID, o.Slug, o.PingKey = "", "nightly-export", "fqOOd6-F4MMNuCEnzTU01w"
	o.Server = s.URL() + "/ping/" // a URL that already names the ping API
	if code := run(t, o); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	got := s.recorded()
	if len(got) != 2 || got[0].Action != "start" || got[1].Action != "0" || got[1].Target != "fqOOd6-F4MMNuCEnzTU01w/nightly-export" {
		t.Errorf("pings %+v, want start and 0 on the slug URL; stderr %q", got, stderr)
	}
}

func TestKeepsTheTailOfLongOutput(t *testing.T) {
	s := newPingServer(t)
	s.uuids[hbUUID] = true
	// 250 KB of output between two markers; only the end may be sent.
	o, stdout, _ := testOptions(s, &fakeClock{}, "sh", "-c", "echo FIRST; yes 'line é' | head -n 30000; echo LAST")
	if code := run(t, o); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if n := stdout.Len(); n != 6+30000*8+5 {
		t.Errorf("passed through %d bytes, want all %d", n, 6+30000*8+5)
	}
	got := s.recorded()
	if len(got) != 2 {
		t.Fatalf("pings %d, want 2", len(got))
	}
	body := got[1].Body
	if len(body) > DefaultOutputLimit || len(body) < DefaultOutputLimit-3 {
		t.Errorf("body of %d bytes, want the last %d", len(body), DefaultOutputLimit)
	}
	if !strings.HasSuffix(body, "line é\nLAST\n") || strings.Contains(body, "FIRST") {
		t.Errorf("body is not the tail of the output: starts %q, ends %q", body[:20], body[len(body)-20:])
	}
	if !strings.HasPrefix(stdout.String(), "FIRST\n") {
		t.Errorf("stdout does not start with the first line")
	}
}

func TestHonoursPingBodyLimit(t *testing.T) {
	s := newPingServer(t)
	s.uuids[hbUUID] = true
	s.bodyLimit = 8
	o, _, _ := testOptions(s, &fakeClock{}, "sh", "-c", "echo 0123456789; echo abcdef")
	run(t, o)
	if got := s.recorded(); len(got) != 2 || got[1].Body != "9\nabcdef" && got[1].Body != "\nabcdef\n" {
		t.Errorf("pings %+v, want the last 8 bytes as the body", got)
	}
}

// TestServerOutageDuringRun takes the server down while the command runs:
// the exit status ping is retried after a backoff and arrives once the
// server is back, and the command's exit status is kept.
func TestServerOutageDuringRun(t *testing.T) {
	s := newPingServer(t)
	s.uuids[hbUUID] = true
	clock := &fakeClock{}
	clock.onSleep = func(ctx context.Context, n int) error {
		if n == 2 {
			s.up()
		}
		return ctx.Err()
	}
	stdin, release := io.Pipe()
	o, _, stderr := testOptions(s, clock, "sh", "-c", "read line; echo got $line; exit 7")
	o.Stdin = stdin

	done := make(chan int, 1)
	go func() { done <- run(t, o) }()
	if p := <-s.got; p.Action != "start" {
		t.Fatalf("first ping %+v, want start", p)
	}
	s.down()
	if _, err := io.WriteString(release, "go\n"); err != nil {
		t.Fatal(err)
	}
	_ = release.Close()
	if code := <-done; code != 7 {
		t.Errorf("exit status %d, want the command's 7", code)
	}
	got := s.recorded()
	if len(got) != 2 || got[1].Action != "7" || got[1].RID != runID || got[1].Body != "got go\n" {
		t.Fatalf("pings %+v, want start then 7 with the output", got)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, clock.slept()); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
	if stderr.Len() != 0 {
		t.Errorf("a ping that got through in the end was reported as failed: %q", stderr)
	}
}

// TestGivesUpAfterRetryFor answers 503 to every attempt: the retries back
// off exponentially, stop when RetryFor is spent, say so on stderr, and the
// exit status is still the command's.
func TestGivesUpAfterRetryFor(t *testing.T) {
	s := newPingServer(t)
	s.uuids[hbUUID] = true
	clock := &fakeClock{}
	o, _, stderr := testOptions(s, clock, "sh", "-c", "read x; exit 5")
	o.RetryFor = 10 * time.Second
	// The start goes through; then the server fails.
	stdin, release := io.Pipe()
	o.Stdin = stdin
	done := make(chan int, 1)
	go func() { done <- run(t, o) }()
	<-s.got
	s.answer(503, 503, 503, 503, 503, 503, 503, 503)
	_ = release.Close()
	if code := <-done; code != 5 {
		t.Errorf("exit status %d, want the command's 5", code)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 3 * time.Second}
	if diff := cmp.Diff(want, clock.slept()); diff != "" {
		t.Errorf("backoff (-want +got):\n%s", diff)
	}
	msg := stderr.String()
	for _, part := range []string{"could not report exit status 5", "503 service unavailable", "(5 attempts)"} {
		if !strings.Contains(msg, part) {
			t.Errorf("stderr %q does not say %q", msg, part)
		}
	}
}

func TestRateLimitedWaitsRetryAfter(t *testing.T) {
	s := newPingServer(t)
	s.uuids[hbUUID] = true
	s.retry = "7"
	clock := &fakeClock{}
	o, _, stderr := testOptions(s, clock, "sh", "-c", "read x; exit 0")
	stdin, release := io.Pipe()
	o.Stdin = stdin
	done := make(chan int, 1)
	go func() { done <- run(t, o) }()
	<-s.got
	s.answer(http.StatusTooManyRequests)
	_ = release.Close()
	if code := <-done; code != 0 {
		t.Errorf("exit status %d", code)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, clock.slept()); diff != "" {
		t.Errorf("wait after 429 (-want +got):\n%s", diff)
	}
	if got := s.recorded(); len(got) != 2 {
		t.Errorf("pings %+v, want start and 0 (retried); stderr %q", got, stderr)
	}
}

func TestUnknownHeartbeatIsNotRetried(t *testing.T) {
	s := newPingServer(t)
	clock := &fakeClock{}
	o, _, stderr := testOptions(s, clock, "sh", "-c", "exit 4")
	if code := run(t, o); code != 4 {
		t.Errorf("exit status %d, want the command's 4", code)
	}
	if n := len(clock.slept()); n != 0 {
		t.Errorf("retried %d times after a 404", n)
	}
	msg := stderr.String()
	if !strings.Contains(msg, "could not report the start") || !strings.Contains(msg, "404 not found") || !strings.Contains(msg, "check the UUID") {
		t.Errorf("stderr %q does not explain the 404", msg)
	}
}

// TestStartRetriesEndWithTheCommand: with the server down, the start ping
// is retried only while the command runs; then the exit status ping goes
// out on its own.
func TestStartRetriesEndWithTheCommand(t *testing.T) {
	s := newPingServer(t)
	s.uuids[hbUUID] = true
	s.down()
	clock := &fakeClock{}
	clock.onSleep = func(ctx context.Context, n int) error {
		if n == 1 { // the start's backoff: lasts until the command ends
			<-ctx.Done()
			return ctx.Err()
		}
		s.up() // the exit status ping's backoff
		return nil
	}
	o, _, stderr := testOptions(s, clock, "sh", "-c", "read x; exit 0")
	failed := make(chan struct{}, 10)
	o.Client = &http.Client{Transport: failNotifier{http.DefaultTransport, failed}}
	stdin, release := io.Pipe()
	o.Stdin = stdin
	done := make(chan int, 1)
	go func() { done <- run(t, o) }()
	<-failed // the start did not get through; end the command
	_ = release.Close()
	if code := <-done; code != 0 {
		t.Errorf("exit status %d", code)
	}
	got := s.recorded()
	if len(got) != 1 || got[0].Action != "0" {
		t.Errorf("pings %+v, want only the exit status", got)
	}
	if !strings.Contains(stderr.String(), "could not report the start") {
		t.Errorf("stderr %q does not mention the lost start", stderr)
	}
}

// failNotifier tells when a request found no server.
type failNotifier struct {
	rt     http.RoundTripper
	failed chan<- struct{}
}

func (f failNotifier) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := f.rt.RoundTrip(r)
	if err != nil {
		f.failed <- struct{}{}
	}
	return resp, err
}

func TestCommandNotFound(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		code int
	}{
		{"tocsin-no-such-command", 127},
		{filepath.Join(t.TempDir(), "missing"), 127},
		{t.TempDir(), 126}, // a directory cannot be run
	} {
		s := newPingServer(t)
		s.uuids[hbUUID] = true
		o, _, stderr := testOptions(s, &fakeClock{}, tc.cmd, "arg")
		if code := run(t, o); code != tc.code {
			t.Errorf("%s: exit status %d, want %d", tc.cmd, code, tc.code)
		}
		got := s.recorded()
		if len(got) != 2 || got[1].Action != "" && got[1].Action != strconv.Itoa(tc.code) || !strings.Contains(got[1].Body, tc.cmd) {
			t.Errorf("%s: pings %+v, want the status with the error as body", tc.cmd, got)
		}
		if !strings.Contains(stderr.String(), tc.cmd) {
			t.Errorf("%s: stderr %q does not name the command", tc.cmd, stderr)
		}
	}
}

func TestKilledBySignal(t *testing.T) {
	s := newPingServer(t)
	s.uuids[hbUUID] = true
	o, _, _ := testOptions(s, &fakeClock{}, "sh", "-c", "kill -9 $$")
	if code := run(t, o); code != 128+9 {
		t.Errorf("exit status %d, want 137 like a shell", code)
	}
	if got := s.recorded(); len(got) != 2 || got[1].Action != "137" {
		t.Errorf("pings %+v, want 137", got)
	}
}

// signalWriter closes ready when the command prints "ready".
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "ready") {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

func TestForwardsSignals(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		sig          os.Signal
		code         int
	}{
		{"killed", "echo ready; exec sleep 1000", syscall.SIGTERM, 128 + 15},
		{"trapped", "trap 'kill $!; echo caught; exit 42' INT; echo ready; sleep 1000 >/dev/null 2>&1 & wait", os.Interrupt, 42},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newPingServer(t)
			s.uuids[hbUUID] = true
			o, _, _ := testOptions(s, &fakeClock{}, "sh", "-c", tc.script)
			out := &signalWriter{ready: make(chan struct{})}
			o.Stdout = out
			sigs := make(chan os.Signal, 1)
			o.Signals = sigs
			done := make(chan int, 1)
			go func() { done <- run(t, o) }()
			<-out.ready
			sigs <- tc.sig
			if code := <-done; code != tc.code {
				t.Errorf("exit status %d, want %d", code, tc.code)
			}
			if got := s.recorded(); len(got) != 2 || got[1].Action != strconv.Itoa(tc.code) {
				t.Errorf("pings %+v, want %d", got, tc.code)
			}
		})
	}
}

func TestBadOptionsRunNothing(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	cmd := []string{"touch", marker}
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"no command", func(o *Options) { o.Command = nil }, "no command to run"},
		{"no heartbeat", func(o *Options) { o.UUID = "" }, "no heartbeat"},
		{"both", func(o *Options) { o.Slug = "x" }, "two ways"},
		{"bad uuid", func(o *Options) { o.UUID = "5bf66975" }, "is not a UUID"},
		{"bad slug", func(o *Options) { o.UUID, o.Slug, o.PingKey = "", "Nightly Export", "k" }, "a slug has only"},
		{"slug without key", func(o *Options) { o.UUID, o.Slug = "", "nightly" }, "needs the project's ping key"},
		{"bad key", func(o *Options) { o.UUID, o.Slug, o.PingKey = "", "nightly", "a/b" }, "ping key"},
		{"no server", func(o *Options) { o.Server = "" }, "TOCSIN_URL"},
		{"relative server", func(o *Options) { o.Server = "tocsin.example.com" }, "absolute http"},
		{"negative", func(o *Options) { o.RetryFor = -1 }, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Server: "http://127.0.0.1:1", UUID: hbUUID, Command: cmd}
			tc.edit(&o)
			_, err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the command ran despite bad options")
			}
		})
	}
}

// TestSignalAfterTheCommandStopsRetries: once the command has ended, a
// signal gives up on the exit status ping instead of waiting out RetryFor.
func TestSignalAfterTheCommandStopsRetries(t *testing.T) {
	s := newPingServer(t)
	s.uuids[hbUUID] = true
	sigs := make(chan os.Signal, 1)
	clock := &fakeClock{}
	clock.onSleep = func(ctx context.Context, n int) error {
		if n == 1 {
			sigs <- os.Interrupt
			<-ctx.Done() // the wait ends with the signal, not with time
		}
		return ctx.Err()
	}
	o, _, stderr := testOptions(s, clock, "sh", "-c", "read x; exit 6")
	stdin, release := io.Pipe()
	o.Stdin = stdin
	o.Signals = sigs
	o.RetryFor = time.Hour
	done := make(chan int, 1)
	go func() { done <- run(t, o) }()
	<-s.got
	s.answer(503, 503, 503)
	_ = release.Close()
	if code := <-done; code != 6 {
		t.Errorf("exit status %d, want 6", code)
	}
	if n := len(clock.slept()); n != 1 {
		t.Errorf("%d waits, want the retries to stop at the first", n)
	}
	if !strings.Contains(stderr.String(), "could not report exit status 6") {
		t.Errorf("stderr %q", stderr)
	}
}
