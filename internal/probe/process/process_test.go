package process

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

func linuxOnly(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("process checks read Linux /proc")
	}
}

// sleeper starts a sleep process, under a name of its own so no other
// process on the host can match it, and writes its pid file.
func sleeper(t *testing.T) (name, pidFile string, pid int) {
	t.Helper()
	name = "tsn" + strconv.Itoa(os.Getpid()%100000)
	pid = sleeperNamed(t, name)
	pidFile = filepath.Join(t.TempDir(), name+".pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return name, pidFile, pid
}

// gonePid is the pid of a process that has ended.
func gonePid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true program")
	}
	return cmd.Process.Pid
}

func run(t *testing.T, c Check) probe.Result {
	t.Helper()
	p, err := New(&c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p.Probe(t.Context())
}

func TestProcess(t *testing.T) {
	linuxOnly(t)
	name, pidFile, pid := sleeper(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	_ = closed.Close()
	t.Cleanup(func() { l.Close() })

	dir := t.TempDir()
	stale := filepath.Join(dir, "stale.pid")
	gone := gonePid(t)
	if err := os.WriteFile(stale, []byte(strconv.Itoa(gone)), 0o644); err != nil {
		t.Fatal(err)
	}
	junk := filepath.Join(dir, "junk.pid")
	if err := os.WriteFile(junk, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	self := filepath.Join(dir, "self.pid")
	if err := os.WriteFile(self, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	selfComm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pid")

	tests := []struct {
		name   string
		check  Check
		status probe.Status
		reason string
	}{
		{"by name", Check{Name: name}, probe.OK, name + " runs (pid " + strconv.Itoa(pid) + ")"},
		{"by path", Check{Name: "bin/" + name}, probe.OK, "bin/" + name + " runs (pid " + strconv.Itoa(pid) + ")"},
		{"by pid file", Check{PidFile: pidFile}, probe.OK, "pid " + strconv.Itoa(pid) + " from " + pidFile + " runs"},
		{"name and pid file", Check{Name: name, PidFile: pidFile}, probe.OK, name + " runs (pid " + strconv.Itoa(pid) + ")"},
		{"the test itself", Check{PidFile: self, Port: port}, probe.OK,
			"pid " + strconv.Itoa(os.Getpid()) + " from " + self + " runs, TCP port " + strconv.Itoa(port) + " listening"},
		{"port closed", Check{Name: name, Port: closedPort}, probe.Critical,
			name + " runs (pid " + strconv.Itoa(pid) + "), but nothing listens on TCP port " + strconv.Itoa(closedPort) + " (checked /proc/net/tcp and tcp6)"},
		{"no such name", Check{Name: name + "x"}, probe.Critical, "no process named " + name + "x"},
		{"gone, with the pid file", Check{Name: name + "x", PidFile: stale}, probe.Critical,
			"no process named " + name + "x (pid file " + stale + " names " + strconv.Itoa(gone) + ", which is gone)"},
		{"pid file of another process", Check{Name: name, PidFile: self}, probe.Critical,
			"1 process named " + name + ", but pid file " + self + " names " + strconv.Itoa(os.Getpid()) + `, which is "` + strings.TrimSpace(string(selfComm)) + `", not ` + name},
		{"too few", Check{Name: name, MinCount: 2}, probe.Critical, "1 process named " + name + ", expected at least 2"},
		{"counts written as zero", Check{Name: name, MinCount: 0, MaxCount: 0}, probe.OK, name + " runs"},
		{"stale pid file", Check{PidFile: stale}, probe.Critical, "pid file " + stale + " names " + strconv.Itoa(gone) + ", which is gone"},
		{"junk pid file", Check{PidFile: junk}, probe.Critical, `pid file ` + junk + ` does not hold a process id`},
		{"no pid file", Check{PidFile: missing}, probe.Critical, "pid file " + missing + " does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.check)
			if r.Status != tt.status || !strings.HasPrefix(r.Reason, tt.reason) && !strings.HasSuffix(r.Reason, tt.reason) {
				t.Fatalf("got %v %q\nwant %v %q", r.Status, r.Reason, tt.status, tt.reason)
			}
		})
	}
}

func TestMaxCount(t *testing.T) {
	linuxOnly(t)
	name, _, _ := sleeper(t)
	sleeperNamed(t, name) // a second process of the same program
	r := run(t, Check{Name: name, MaxCount: 1})
	if want := "2 processes named " + name + ", expected at most 1"; r.Status != probe.Critical || r.Reason != want {
		t.Fatalf("got %v %q, want %q", r.Status, r.Reason, want)
	}
	if r := run(t, Check{Name: name, MinCount: 2, MaxCount: 2}); r.Status != probe.OK || r.Reason != "2 processes named "+name+" run" || r.Metrics[0].Value != 2 {
		t.Fatalf("got %v %q %+v", r.Status, r.Reason, r.Metrics)
	}
}

// sleeperNamed starts a sleep program linked as bin/name and returns
// its pid.
func sleeperNamed(t *testing.T, name string) int {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep program")
	}
	prog := filepath.Join(t.TempDir(), "bin", name)
	if err := os.MkdirAll(filepath.Dir(prog), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(sleep, prog); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prog, "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

func TestListeningFallsBackToDialing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	noProc := filepath.Join(t.TempDir(), "none")
	if ok, how := Listening(t.Context(), noProc, port); !ok || how != "answering on 127.0.0.1" {
		t.Errorf("open port without /proc: %v %q", ok, how)
	}
	l.Close()
	if ok, how := Listening(t.Context(), noProc, port); ok || how != "no answer on 127.0.0.1 or ::1" {
		t.Errorf("closed port without /proc: %v %q", ok, how)
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		name, comm, prog string
		want             bool
	}{
		{"master", "master", "/usr/lib/postfix/sbin/master", true},
		{"postfix/master", "master", "/usr/lib/postfix/sbin/master", true},
		{"postfix/master", "master", "/usr/libexec/postfix/master", true},
		{"postfix/master", "master", "/usr/sbin/master", false},
		{"postfix/master", "master", "/opt/postfix-old/master", false},
		{"sbin/postfix/master", "master", "/usr/lib/postfix/sbin/master", false},
		{"sshd", "sshd", "sshd: root@pts/0", true},
		{"nginx", "nginx", "nginx: master process /usr/sbin/nginx", true},
		{"/usr/sbin/cron", "cron", "/usr/sbin/cron", true},
		{"cron", "crond", "/usr/sbin/crond", false},
		{"kworker", "kworker/0:1", "", false},
	}
	for _, tt := range tests {
		if got := Matches(tt.name, tt.comm, tt.prog); got != tt.want {
			t.Errorf("Matches(%q, %q, %q) = %v, want %v", tt.name, tt.comm, tt.prog, got, tt.want)
		}
	}
}

func TestNotLinux(t *testing.T) {
	p, err := New(&Check{Name: "sshd"})
	if err != nil {
		t.Fatal(err)
	}
	p.goos = "openbsd"
	if r := p.Probe(t.Context()); r.Status != probe.Unknown || r.Reason != "process sshd: process checks read /proc, which this host (openbsd) does not have: host checks run on Linux" {
		t.Errorf("got %v %q", r.Status, r.Reason)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		check Check
		want  []config.FieldError
	}{
		{"name", Check{Name: "sshd", MinCount: 1, Port: 22}, nil},
		{"pid file", Check{PidFile: "/run/sshd.pid"}, nil},
		{"nothing", Check{}, []config.FieldError{{Message: "set name (such as postfix/master), pid_file (such as /run/sshd.pid), or both"}}},
		{"counts without name", Check{PidFile: "/run/x.pid", MaxCount: 2}, []config.FieldError{{Field: "max_count", Message: "min_count and max_count count the processes of a name; set name"}}},
		{"max below min", Check{Name: "a", MinCount: 3, MaxCount: 2}, []config.FieldError{{Field: "max_count", Message: "max_count (2) must not be below min_count (3)"}}},
		{"negative", Check{Name: "a", MinCount: -1}, []config.FieldError{{Field: "min_count", Message: "min_count must be 0 or more, found -1"}}},
		{"bad port", Check{Name: "a", Port: 70000}, []config.FieldError{{Field: "port", Message: "port must be a TCP port from 1 to 65535, found 70000"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.check.Validate(nil)); diff != "" {
				t.Errorf("Validate() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStopsWithItsContext checks that a run past its timeout stops
// reading /proc and says so.
func TestStopsWithItsContext(t *testing.T) {
	linuxOnly(t)
	p, err := New(&Check{Name: "sshd"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := p.Probe(ctx)
	if r.Status != probe.Unknown || !strings.HasPrefix(r.Reason, "process sshd: cannot list processes in /proc: stopped after 0 of ") || !strings.HasSuffix(r.Reason, "context canceled") {
		t.Errorf("got %v %q", r.Status, r.Reason)
	}
}

// TestListeningTables reads socket tables laid out like the kernel's: a
// port counts only when a socket listens on it, over IPv4 or IPv6.
func TestListeningTables(t *testing.T) {
	root := filepath.Join("testdata", "proc")
	for _, tc := range []struct {
		port int
		want bool
	}{
		{3306, true}, // 0CEA on 127.0.0.1
		{443, true},  // 01BB on ::
		{25, false},  // only an established connection from port 25
		{54321, false},
	} {
		ok, how := Listening(t.Context(), root, tc.port)
		if ok != tc.want {
			t.Errorf("port %d: listening %v (%s), want %v", tc.port, ok, how, tc.want)
		}
		if !ok && how != "checked testdata/proc/net/tcp and tcp6" {
			t.Errorf("port %d: how %q", tc.port, how)
		}
	}
}
