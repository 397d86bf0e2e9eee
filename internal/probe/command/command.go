// Package command runs a Nagios plugin: an executable whose exit status is
// the result (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), whose first line is
// the summary and whose performance data become metrics. The plugin runs in
// a process group of its own with a hard timeout, and its output is
// bounded. Command monitors come only from the configuration file.
package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// MaxOutput is how much of the plugin's standard output is kept; the rest
// is read and discarded, so a plugin printing megabytes neither blocks on a
// full pipe nor costs memory. Standard error keeps less.
const (
	MaxOutput = 64 << 10
	maxStderr = 4 << 10
)

// pipeGrace bounds how long Wait waits for output pipes held open by a
// process that left the plugin's group after the plugin itself ended.
const pipeGrace = time.Second

// inheritedVars are passed to the plugin from Tocsin's environment unless
// inherit_env says to pass all of it.
var inheritedVars = []string{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}

// Prober runs the command check of one monitor.
type Prober struct {
	path string
	name string // the executable's base name, for reasons
	args []string
	env  []string
	dir  string
	now  func() time.Time
}

// New provisions a command prober from its block. The block must come from
// the configuration file (probe.Kinds.CheckCreatableByAPI refuses it elsewhere).
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("command check has no command block")
	}
	if err := config.JoinFieldErrors("command", c.Validate(nil)); err != nil {
		return nil, err
	}
	p := &Prober{path: c.Path, name: filepath.Base(c.Path), args: slices.Clone(c.Args), dir: c.Dir, now: time.Now}
	if c.InheritEnv {
		p.env = os.Environ()
	} else {
		for _, k := range inheritedVars {
			if v, ok := os.LookupEnv(k); ok {
				p.env = append(p.env, k+"="+v)
			}
		}
	}
	keys := make([]string, 0, len(c.Env))
	for k := range c.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p.env = append(p.env, k+"="+c.Env[k])
	}
	return p, nil
}

// Probe runs the plugin once.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	run := probe.Begin(p.now, p.name+": ", nil)
	start, res, finish, prefix := run.Start, &run.Res, run.Finish, run.Prefix

	stdout := &probe.LimitedBuffer{Max: MaxOutput}
	stderr := &probe.LimitedBuffer{Max: maxStderr}
	cmd := exec.Command(p.path, p.args...)
	cmd.Env, cmd.Dir = p.env, p.dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = pipeGrace
	startGroup(cmd)
	if err := cmd.Start(); err != nil {
		return finish(probe.Unknown, prefix+"cannot start: "+startReason(err))
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// The plugin is asked to stop (SIGTERM) a little before the deadline
	// and killed with its whole group at the deadline, so the run ends in
	// time even when the plugin or its children ignore SIGTERM.
	soft, cancel := softDeadline(ctx)
	defer cancel()
	var err error
	timedOut := false
	select {
	case err = <-done:
	case <-soft.Done():
		timedOut = true
		signalGroup(cmd, false)
		select {
		case err = <-done:
		case <-ctx.Done():
			signalGroup(cmd, true)
			err = <-done
		}
	}
	// Children left behind by a plugin that exited on its own go too.
	signalGroup(cmd, true)

	out := ParseOutput(string(stdout.Bytes()))
	res.Metrics = out.Metrics
	cut := ""
	if stdout.Truncated() {
		cut = fmt.Sprintf(" (output cut at %d KiB)", MaxOutput>>10)
	}
	took := probe.FormatDuration(p.now().Sub(start))
	if timedOut {
		status := probe.Critical
		if errors.Is(ctx.Err(), context.Canceled) {
			status = probe.Unknown
		}
		reason := prefix + "timed out after " + took + "; the plugin and its children were killed"
		if out.Summary != "" {
			reason += fmt.Sprintf(" (it had printed %q)", probe.Clip(out.Summary, 100))
		}
		return finish(status, reason)
	}

	code := 0
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
		if code < 0 { // killed by a signal we did not send
			return finish(probe.Unknown, prefix+"ended by "+exitErr.String()+stderrNote(stderr))
		}
	case errors.Is(err, exec.ErrWaitDelay):
		// The plugin exited but something it started kept the output open.
		if st := cmd.ProcessState; st != nil {
			code = st.ExitCode()
		}
	default:
		return finish(probe.Unknown, prefix+probe.Clip(err.Error(), 200))
	}

	summary := out.Summary
	if summary == "" {
		summary = "printed nothing"
		if s := firstLine(stderr); s != "" {
			summary += fmt.Sprintf("; stderr: %q", probe.Clip(s, 160))
		}
	}
	switch code {
	case 0, 1, 2, 3:
		return finish(probe.Status(code), prefix+summary+cut)
	default:
		return finish(probe.Unknown, fmt.Sprintf("%sexit status %d, not a Nagios status (0-3): %s%s%s", prefix, code, summary, cut, stderrNote(stderr)))
	}
}

// softDeadline returns a context that ends a little before ctx's deadline:
// a tenth of the time left, at most one second.
func softDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	grace := min(time.Until(d)/10, time.Second)
	return context.WithDeadline(ctx, d.Add(-grace))
}

func firstLine(b *probe.LimitedBuffer) string {
	s := strings.TrimSpace(string(b.Bytes()))
	first, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(first)
}

func stderrNote(b *probe.LimitedBuffer) string {
	if s := firstLine(b); s != "" {
		return fmt.Sprintf("; stderr: %q", probe.Clip(s, 160))
	}
	return ""
}

func startReason(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied (is it executable?)"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return probe.Clip(err.Error(), 200)
}

var _ probe.Prober = (*Prober)(nil)
