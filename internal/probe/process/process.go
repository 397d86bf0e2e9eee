// Package process is the process host check: a process found by name in
// /proc or by its pid file is running, as many times as expected, and
// optionally a TCP port listens. It is a liveness check: a running
// process is not a working service, so pair it with a functional check of
// what the process serves.
package process

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/procfs"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// maxPidFile is the most of a pid file read: a pid is a short number.
const maxPidFile = 64

// Prober runs the process check of one monitor.
type Prober struct {
	c    Check
	root string // where /proc is
	goos string
	now  func() time.Time
}

// New provisions a process prober from its block.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("process check has no process block")
	}
	b := *c
	b.Defaults(nil, func(string) bool { return false })
	if err := config.JoinFieldErrors("process", b.Validate(nil)); err != nil {
		return nil, err
	}
	return &Prober{c: b, root: procfs.DefaultMountPoint, goos: runtime.GOOS, now: time.Now}, nil
}

// what names the process checked, for reasons.
func (p *Prober) what() string {
	if p.c.Name != "" {
		return p.c.Name
	}
	return "pid file " + p.c.PidFile
}

// Probe looks the process up and checks its port.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	run := probe.Begin(p.now, "process "+p.what()+": ", nil)
	if p.goos != "linux" && p.root == procfs.DefaultMountPoint {
		return run.Fail(probe.Unknown, fmt.Sprintf("process checks read /proc, which this host (%s) does not have: host checks run on Linux", p.goos))
	}
	fsys, err := procfs.NewFS(p.root)
	if err != nil {
		return run.Fail(probe.Unknown, fmt.Sprintf("cannot read %s: %v", p.root, err))
	}

	var pidNote string // what the pid file said, when it did not hold a running process
	pidOK, pid := true, 0
	if p.c.PidFile != "" {
		pid, pidNote = p.pidFromFile(fsys)
		pidOK = pidNote == ""
	}
	var pids []int
	if p.c.Name != "" {
		if pids, err = p.named(ctx, fsys); err != nil {
			return run.Fail(probe.Unknown, fmt.Sprintf("cannot list processes in %s: %v", p.root, err))
		}
		run.Res.Metrics = []probe.Metric{{Name: "processes", Value: float64(len(pids)), Min: "0"}}
		if pidOK && pid != 0 && !containsPid(pids, pid) {
			pidOK, pidNote = false, fmt.Sprintf("pid file %s names %d, which is %s", p.c.PidFile, pid, p.describe(fsys, pid))
		}
	}

	switch {
	case p.c.Name != "" && len(pids) < p.c.MinCount:
		reason := "no process named " + p.c.Name
		if len(pids) > 0 {
			reason = fmt.Sprintf("%s named %s, expected at least %d", processes(len(pids)), p.c.Name, p.c.MinCount)
		}
		if pidNote != "" {
			reason += " (" + pidNote + ")"
		}
		return run.Finish(probe.Critical, reason)
	case p.c.Name != "" && p.c.MaxCount > 0 && len(pids) > p.c.MaxCount:
		return run.Finish(probe.Critical, fmt.Sprintf("%s named %s, expected at most %d", processes(len(pids)), p.c.Name, p.c.MaxCount))
	case !pidOK:
		if p.c.Name != "" {
			return run.Finish(probe.Critical, fmt.Sprintf("%s named %s, but %s", processes(len(pids)), p.c.Name, pidNote))
		}
		return run.Finish(probe.Critical, pidNote)
	}

	summary := p.summary(pid, pids)
	if p.c.Port != 0 {
		if r := PortReason(ctx, p.root, p.c.Port); r != "" {
			return run.Finish(probe.Critical, summary+", but "+r)
		}
		summary += fmt.Sprintf(", TCP port %d listening", p.c.Port)
	}
	return run.Finish(probe.OK, summary)
}

// summary says what runs: "postfix/master runs (pid 1234)", "3 processes
// named php-fpm run".
func (p *Prober) summary(pid int, pids []int) string {
	switch {
	case p.c.Name == "":
		return fmt.Sprintf("pid %d from %s runs", pid, p.c.PidFile)
	case len(pids) == 1:
		return fmt.Sprintf("%s runs (pid %d)", p.c.Name, pids[0])
	}
	return fmt.Sprintf("%d processes named %s run", len(pids), p.c.Name)
}

// pidFromFile reads the pid file and checks that its process exists. note
// says what is wrong, "" when the process runs.
func (p *Prober) pidFromFile(fsys procfs.FS) (pid int, note string) {
	f, err := os.Open(p.c.PidFile)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Sprintf("pid file %s does not exist", p.c.PidFile)
		}
		return 0, fmt.Sprintf("cannot read pid file %s: %v", p.c.PidFile, unwrapPath(err))
	}
	defer func() { _ = f.Close() }()
	buf := make([]byte, maxPidFile)
	n, _ := f.Read(buf)
	field := strings.TrimSpace(string(buf[:n]))
	if i := strings.IndexAny(field, " \t\n"); i >= 0 {
		field = field[:i]
	}
	pid, err = strconv.Atoi(field)
	if err != nil || pid <= 0 {
		// What the file holds is not shown: a pid file set through the
		// API may name any file Tocsin can read.
		return 0, fmt.Sprintf("pid file %s does not hold a process id", p.c.PidFile)
	}
	if _, err := fsys.Proc(pid); err != nil {
		return pid, fmt.Sprintf("pid file %s names %d, which is gone", p.c.PidFile, pid)
	}
	return pid, ""
}

// describe says what process pid is, when it is not one named Name.
func (p *Prober) describe(fsys procfs.FS, pid int) string {
	pr, err := fsys.Proc(pid)
	if err != nil {
		return "gone"
	}
	comm, err := pr.Comm()
	if err != nil {
		return "not readable"
	}
	return fmt.Sprintf("%q, not %s", comm, p.c.Name)
}

// named lists the pids of the processes that match Name.
func (p *Prober) named(ctx context.Context, fsys procfs.FS) ([]int, error) {
	procs, err := fsys.AllProcs()
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, pr := range procs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("stopped after %d of %d processes: %w", len(pids), len(procs), err)
		}
		// A process may end between the listing and the read: it is
		// then no longer running, and not counted.
		comm, _ := pr.Comm()
		args, _ := pr.CmdLine()
		prog := ""
		if len(args) > 0 {
			prog = args[0]
		}
		if Matches(p.c.Name, comm, prog) {
			pids = append(pids, pr.PID)
		}
	}
	return pids, nil
}

// Matches reports whether a process with short name comm running program
// prog (the first word of its command line) answers to name: see
// Check.Name.
func Matches(name, comm, prog string) bool {
	if name == comm || name == prog || (prog != "" && name == path.Base(prog)) {
		return true
	}
	parts := strings.Split(strings.Trim(name, "/"), "/")
	if len(parts) < 2 || prog == "" {
		return false
	}
	folders := strings.Split(path.Dir(prog), "/")
	if path.Base(prog) != parts[len(parts)-1] {
		return false
	}
	want := parts[:len(parts)-1]
	for _, f := range folders {
		if len(want) > 0 && f == want[0] {
			want = want[1:]
		}
	}
	return len(want) == 0
}

// processes is "1 process", "3 processes".
func processes(n int) string {
	if n == 1 {
		return "1 process"
	}
	return strconv.Itoa(n) + " processes"
}

func containsPid(pids []int, pid int) bool {
	for _, p := range pids {
		if p == pid {
			return true
		}
	}
	return false
}

// unwrapPath drops the path an *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var _ probe.Prober = (*Prober)(nil)
