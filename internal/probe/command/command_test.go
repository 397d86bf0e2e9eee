package command_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/command"
)

// plugin writes a shell script and returns its path.
func plugin(t *testing.T, name, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("plugins are shell scripts")
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func runPlugin(t *testing.T, c command.Check, timeout time.Duration) probe.Result {
	t.Helper()
	p, err := command.New(&c)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.Probe(ctx)
}

func TestNagiosExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status probe.Status
		reason string
	}{
		{"ok", `echo "DISK OK - / 40% used | used=40%;90;95;0;100"`, probe.OK, "check_disk: DISK OK - / 40% used"},
		{"warning", `echo "DISK WARNING - / 91% used | used=91%;90;95;0;100"; exit 1`, probe.Warning, "check_disk: DISK WARNING - / 91% used"},
		{"critical", `echo "DISK CRITICAL - / 99% used"; exit 2`, probe.Critical, "check_disk: DISK CRITICAL - / 99% used"},
		{"unknown", `echo "DISK UNKNOWN - cannot stat /"; exit 3`, probe.Unknown, "check_disk: DISK UNKNOWN - cannot stat /"},
		{"other exit status", `echo "Segmentation fault"; exit 139`, probe.Unknown, "check_disk: exit status 139, not a Nagios status (0-3): Segmentation fault"},
		{"silent with stderr", `echo "df: /: Permission denied" >&2; exit 2`, probe.Critical, `check_disk: printed nothing; stderr: "df: /: Permission denied"`},
		{"killed by a signal", `kill -9 $$`, probe.Unknown, "check_disk: ended by signal: killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runPlugin(t, command.Check{Path: plugin(t, "check_disk", tt.body)}, 10*time.Second)
			if r.Status != tt.status || r.Reason != tt.reason {
				t.Errorf("got %s %q, want %s %q", r.Status, r.Reason, tt.status, tt.reason)
			}
		})
	}
}

func TestPerfdataBecomesMetrics(t *testing.T) {
	body := `echo "DISK CRITICAL - /var is full | /=40%;90;95"
echo "/ 40%"
echo "/var 98% | '/var'=98%;90;95;0;100"
echo "'free /var'=0.2GB;;;0"
exit 2`
	r := runPlugin(t, command.Check{Path: plugin(t, "check_disk", body)}, 10*time.Second)
	if r.Status != probe.Critical {
		t.Fatalf("status %s: %s", r.Status, r.Reason)
	}
	want := []probe.Metric{
		{Name: "/", Value: 40, Unit: "%", Warn: "90", Crit: "95"},
		{Name: "/var", Value: 98, Unit: "%", Warn: "90", Crit: "95", Min: "0", Max: "100"},
		{Name: "free /var", Value: 0.2, Unit: "GB", Min: "0"},
	}
	if len(r.Metrics) != len(want) {
		t.Fatalf("metrics %+v, want %+v", r.Metrics, want)
	}
	for i := range want {
		if r.Metrics[i] != want[i] {
			t.Errorf("metric %d = %+v, want %+v", i, r.Metrics[i], want[i])
		}
	}
}

func TestArgsEnvAndDir(t *testing.T) {
	t.Setenv("TOCSIN_TEST_SERVER_SECRET", "do-not-pass")
	dir := t.TempDir()
	body := `echo "OK - args=$1,$2 token=$API_TOKEN leaked=${TOCSIN_TEST_SERVER_SECRET:-no} pwd=$(pwd)"`
	c := command.Check{Path: plugin(t, "check_env", body), Args: []string{"-w", "a b"}, Env: map[string]string{"API_TOKEN": "t0k"}, Dir: dir}
	r := runPlugin(t, c, 10*time.Second)
	want := "check_env: OK - args=-w,a b token=t0k leaked=no pwd=" + dir
	if r.Reason != want {
		t.Errorf("reason %q, want %q", r.Reason, want)
	}
	c.InheritEnv = true
	if r := runPlugin(t, c, 10*time.Second); !strings.Contains(r.Reason, "leaked=do-not-pass") {
		t.Errorf("inherit_env: reason %q", r.Reason)
	}
}

// TestHungPluginIsKilledWithItsChildren runs a plugin whose child ignores
// SIGTERM and never exits; the run must end at the timeout with both gone.
func TestHungPluginIsKilledWithItsChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	body := `trap '' TERM
echo "CHECK starting"
sleep 600 &
echo $! > ` + pidFile + `
wait
echo "CHECK OK - done"`
	r := runPlugin(t, command.Check{Path: plugin(t, "check_hang", body)}, 2*time.Second)
	if r.Status != probe.Critical || !strings.Contains(r.Reason, "check_hang: timed out after") || !strings.Contains(r.Reason, `the plugin and its children were killed (it had printed "CHECK starting")`) {
		t.Errorf("got %s %q", r.Status, r.Reason)
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Errorf("the plugin's child %d is still running", pid)
	}
}

// alive reports whether pid runs (a zombie waiting for its parent to reap
// it does not count).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, after, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(after, "Z") && !strings.HasPrefix(after, "X")
}

func TestMegabytesOfOutput(t *testing.T) {
	body := `echo "BIG OK - lots to say | size=5000000B"
head -c 5000000 /dev/zero | tr '\0' x
echo`
	r := runPlugin(t, command.Check{Path: plugin(t, "check_big", body)}, 20*time.Second)
	if r.Status != probe.OK || r.Reason != "check_big: BIG OK - lots to say (output cut at 64 KiB)" {
		t.Errorf("got %s %q", r.Status, r.Reason)
	}
	if len(r.Metrics) != 1 || r.Metrics[0].Value != 5e6 {
		t.Errorf("metrics %+v", r.Metrics)
	}
}

func TestBackgroundChildHoldingOutput(t *testing.T) {
	// The plugin exits at once but leaves a child holding stdout open; the
	// run must not wait for the child.
	body := `echo "OK - forked"
sleep 600 &
exit 0`
	r := runPlugin(t, command.Check{Path: plugin(t, "check_fork", body)}, 20*time.Second)
	if r.Status != probe.OK || r.Reason != "check_fork: OK - forked" {
		t.Errorf("got %s %q", r.Status, r.Reason)
	}
}

func TestNewRefusesMissingPlugin(t *testing.T) {
	if _, err := command.New(&command.Check{Path: filepath.Join(t.TempDir(), "check_nothing")}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("New: %v", err)
	}
}
