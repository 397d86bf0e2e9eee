package systemd

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// answer is a Runner that gives systemctl's output and checks the
// command line it was asked to run.
func answer(t *testing.T, unit, out string, err error) Runner {
	return func(_ context.Context, name string, args ...string) ([]byte, error) {
		want := []string{"systemctl", "show", "--property=LoadState,ActiveState,SubState,Result", "--", unit}
		if diff := cmp.Diff(want, append([]string{name}, args...)); diff != "" {
			t.Errorf("command line (-want +got):\n%s", diff)
		}
		return []byte(out), err
	}
}

func show(load, active, sub, result string) string {
	return "LoadState=" + load + "\nActiveState=" + active + "\nSubState=" + sub + "\nResult=" + result + "\n"
}

func TestSystemd(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	open := l.Addr().(*net.TCPAddr).Port
	shut, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := shut.Addr().(*net.TCPAddr).Port
	shut.Close()

	tests := []struct {
		name   string
		port   int
		out    string
		err    error
		status probe.Status
		reason string
	}{
		{"running", 0, show("loaded", "active", "running", "success"), nil, probe.OK, "postfix.service is active (running)"},
		{"running, listening", open, show("loaded", "active", "running", "success"), nil, probe.OK,
			"postfix.service is active (running), TCP port " + strconv.Itoa(open) + " listening"},
		{"running, port closed", closed, show("loaded", "active", "running", "success"), nil, probe.Critical,
			"postfix.service is active (running), but nothing listens on TCP port " + strconv.Itoa(closed)},
		{"properties in another order", 0, "SubState=exited\nResult=success\nActiveState=active\nLoadState=loaded\n", nil, probe.OK, "postfix.service is active (exited)"},
		{"failed", 0, show("loaded", "failed", "failed", "exit-code"), nil, probe.Critical, "postfix.service is failed (failed, result exit-code)"},
		{"stopped", 0, show("loaded", "inactive", "dead", "success"), nil, probe.Critical, "postfix.service is inactive (dead)"},
		{"restart loop", 0, show("loaded", "activating", "auto-restart", "exit-code"), nil, probe.Critical,
			"postfix.service keeps failing: systemd restarts it, activating (auto-restart, result exit-code)"},
		{"starting", 0, show("loaded", "activating", "start-pre", "success"), nil, probe.Warning, "postfix.service is activating (start-pre)"},
		{"unknown unit", 0, show("not-found", "inactive", "dead", "success"), nil, probe.Critical, "unit postfix.service is not known to systemd"},
		{"masked", 0, show("masked", "inactive", "dead", "success"), nil, probe.Critical, "unit postfix.service is masked: it cannot be started"},
		{"no systemctl", 0, "", ErrNoSystemctl, probe.Unknown,
			"systemd postfix.service: systemctl is not installed on this host: systemd checks need a host run by systemd (use a process check otherwise)"},
		{"no systemd", 0, "", errors.New("exit status 1: System has not been booted with systemd as init system (PID 1). Can't operate."), probe.Unknown,
			"systemd postfix.service: systemctl show failed: exit status 1: System has not been booted with systemd"},
		{"garbage", 0, "what\n", nil, probe.Unknown, `systemd postfix.service: systemctl show gave no ActiveState ("what")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(&Check{Unit: "postfix.service", Port: tt.port})
			if err != nil {
				t.Fatal(err)
			}
			p.run = answer(t, "postfix.service", tt.out, tt.err)
			r := p.Probe(t.Context())
			if r.Status != tt.status || !strings.HasPrefix(r.Reason, tt.reason) {
				t.Fatalf("got %v %q\nwant %v %q", r.Status, r.Reason, tt.status, tt.reason)
			}
		})
	}
}

// fakeSystemctl puts a systemctl script first in PATH.
func fakeSystemctl(t *testing.T, script string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("shell scripts")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "systemctl"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
}

// TestExec runs systemctl as a program: arguments, output, exit status
// and standard error all go through.
func TestExec(t *testing.T) {
	t.Run("answers", func(t *testing.T) {
		fakeSystemctl(t, `[ "$1 $2 $3 $4" = "show --property=LoadState,ActiveState,SubState,Result -- sshd.service" ] || { echo "bad arguments: $*" >&2; exit 2; }
echo LoadState=loaded; echo ActiveState=active; echo SubState=running; echo Result=success
`)
		p, err := New(&Check{Unit: "sshd.service"})
		if err != nil {
			t.Fatal(err)
		}
		if r := p.Probe(t.Context()); r.Status != probe.OK || r.Reason != "sshd.service is active (running)" {
			t.Fatalf("got %v %q", r.Status, r.Reason)
		}
	})
	t.Run("fails", func(t *testing.T) {
		fakeSystemctl(t, "echo 'Failed to connect to bus: Host is down' >&2; exit 1\n")
		p, err := New(&Check{Unit: "sshd.service"})
		if err != nil {
			t.Fatal(err)
		}
		if r := p.Probe(t.Context()); r.Status != probe.Unknown || r.Reason != "systemd sshd.service: systemctl show failed: exit status 1: Failed to connect to bus: Host is down" {
			t.Fatalf("got %v %q", r.Status, r.Reason)
		}
	})
	t.Run("hangs", func(t *testing.T) {
		fakeSystemctl(t, "exec sleep 30\n")
		t.Setenv("PATH", os.Getenv("PATH")+string(os.PathListSeparator)+"/bin"+string(os.PathListSeparator)+"/usr/bin")
		p, err := New(&Check{Unit: "sshd.service"})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		if r := p.Probe(ctx); r.Status != probe.Critical || r.Reason != "systemd sshd.service: systemctl did not answer in time" {
			t.Fatalf("got %v %q", r.Status, r.Reason)
		}
	})
	t.Run("absent", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		p, err := New(&Check{Unit: "sshd.service"})
		if err != nil {
			t.Fatal(err)
		}
		if r := p.Probe(t.Context()); r.Status != probe.Unknown || !strings.Contains(r.Reason, "systemctl is not installed on this host") {
			t.Fatalf("got %v %q", r.Status, r.Reason)
		}
	})
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		check Check
		want  []config.FieldError
	}{
		{"fine", Check{Unit: "getty@tty1.service", Port: 22}, nil},
		{"no unit", Check{}, []config.FieldError{{Field: "unit", Message: "unit is required (such as postfix.service)"}}},
		{"option", Check{Unit: "--all"}, []config.FieldError{{Field: "unit", Message: `"--all" is not a unit name (such as postfix.service or getty@tty1.service)`}}},
		{"path", Check{Unit: "/etc/passwd"}, []config.FieldError{{Field: "unit", Message: `"/etc/passwd" is not a unit name (such as postfix.service or getty@tty1.service)`}}},
		{"bad port", Check{Unit: "a.service", Port: -1}, []config.FieldError{{Field: "port", Message: "port must be a TCP port from 1 to 65535, found -1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.check.Validate(nil)); diff != "" {
				t.Errorf("Validate() (-want +got):\n%s", diff)
			}
		})
	}
}
