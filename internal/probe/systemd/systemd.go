// Package systemd is the systemd host check: a unit is active, as
// `systemctl show` reports it, and optionally a TCP port listens. It is a
// liveness check: an active unit is not a working service, so pair it
// with a functional check of what the unit serves.
package systemd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/prometheus/procfs"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/process"
)

// maxOutput is the most of systemctl's answer kept: a few short lines.
const maxOutput = 16 << 10

// Runner runs a program with the probe's context and returns its standard
// output; err holds the exit status and standard error.
type Runner func(ctx context.Context, name string, args ...string) (stdout []byte, err error)

// ErrNoSystemctl is what a Runner returns when there is no systemctl.
var ErrNoSystemctl = errors.New("systemctl not found")

// Exec runs systemctl from PATH.
func Exec(ctx context.Context, name string, args ...string) ([]byte, error) {
	if _, err := exec.LookPath(name); err != nil {
		return nil, ErrNoSystemctl
	}
	var out, errOut probe.LimitedBuffer
	out.Max, errOut.Max = maxOutput, maxOutput
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LANG=C", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0"}
	// A child that keeps the output open must not hold the probe past
	// its timeout.
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(string(errOut.Bytes())); msg != "" {
			return out.Bytes(), fmt.Errorf("%w: %s", err, probe.Clip(msg, 200))
		}
		return out.Bytes(), err
	}
	return out.Bytes(), nil
}

// Prober runs the systemd check of one monitor.
type Prober struct {
	c    Check
	run  Runner
	root string // where /proc is, for the port
	now  func() time.Time
}

// New provisions a systemd prober from its block; it runs systemctl with
// Exec.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("systemd check has no systemd block")
	}
	if err := config.JoinFieldErrors("systemd", c.Validate(nil)); err != nil {
		return nil, err
	}
	return &Prober{c: *c, run: Exec, root: procfs.DefaultMountPoint, now: time.Now}, nil
}

// unitState is what systemd says of a unit.
type unitState struct {
	Load, Active, Sub, Result string
}

// Probe asks systemd for the unit's state and checks its port.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	run := probe.Begin(p.now, "systemd "+p.c.Unit+": ", nil)
	out, err := p.run(ctx, "systemctl", "show", "--property=LoadState,ActiveState,SubState,Result", "--", p.c.Unit)
	switch {
	case errors.Is(err, ErrNoSystemctl):
		return run.Fail(probe.Unknown, "systemctl is not installed on this host: systemd checks need a host run by systemd (use a process check otherwise)")
	case probe.Expired(ctx):
		return run.Fail(probe.FailureStatus(ctx.Err()), "systemctl did not answer in time")
	case err != nil:
		return run.Fail(probe.Unknown, "systemctl show failed: "+err.Error())
	}
	st := parseShow(out)
	if st.Active == "" {
		return run.Fail(probe.Unknown, fmt.Sprintf("systemctl show gave no ActiveState (%q)", probe.Clip(strings.TrimSpace(string(out)), 80)))
	}
	status, text := judge(p.c.Unit, st)
	if status != probe.OK {
		return run.Finish(status, text)
	}
	if p.c.Port != 0 {
		if r := process.PortReason(ctx, p.root, p.c.Port); r != "" {
			return run.Finish(probe.Critical, text+", but "+r)
		}
		text += fmt.Sprintf(", TCP port %d listening", p.c.Port)
	}
	return run.Finish(probe.OK, text)
}

// parseShow reads the Key=Value lines of `systemctl show`.
func parseShow(out []byte) unitState {
	var st unitState
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok {
			continue
		}
		switch k {
		case "LoadState":
			st.Load = v
		case "ActiveState":
			st.Active = v
		case "SubState":
			st.Sub = v
		case "Result":
			st.Result = v
		}
	}
	return st
}

// judge turns a unit's state into a status and a reason. A unit that
// systemd restarts over and over (activating, auto-restart) is down: it
// is "activating" only between two failures.
func judge(unit string, st unitState) (probe.Status, string) {
	state := fmt.Sprintf("%s (%s)", st.Active, st.Sub)
	if st.Result != "" && st.Result != "success" {
		state = fmt.Sprintf("%s (%s, result %s)", st.Active, st.Sub, st.Result)
	}
	switch {
	case st.Load == "not-found":
		return probe.Critical, fmt.Sprintf("unit %s is not known to systemd", unit)
	case st.Load == "masked":
		return probe.Critical, fmt.Sprintf("unit %s is masked: it cannot be started", unit)
	case st.Active == "active" || st.Active == "reloading":
		return probe.OK, unit + " is " + state
	case st.Active == "activating" && st.Sub == "auto-restart":
		return probe.Critical, unit + " keeps failing: systemd restarts it, " + state
	case st.Active == "activating" || st.Active == "deactivating":
		return probe.Warning, unit + " is " + state
	}
	return probe.Critical, unit + " is " + state
}

var _ probe.Prober = (*Prober)(nil)
