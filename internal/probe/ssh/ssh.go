package ssh

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// MaxOutput is how much of a command's output (stdout and stderr together)
// is kept for the checks; the rest is read and discarded.
const MaxOutput = 64 << 10

// Prober runs the ssh check of one monitor.
type Prober struct {
	dialer         *Dialer
	command        string
	exitStatus     int
	outputContains string
	outputRegex    *regexp.Regexp
	now            func() time.Time
}

// New provisions an ssh prober from its block.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("ssh check has no ssh block")
	}
	if err := config.JoinFieldErrors("ssh", c.Validate(nil)); err != nil {
		return nil, err
	}
	d, err := NewDialer(&c.Connection)
	if err != nil {
		return nil, fmt.Errorf("ssh check %s: %w", c.Address, err)
	}
	d.ExpectBanner(c.Expect.BannerContains)
	p := &Prober{dialer: d, command: c.Command, outputContains: c.Expect.OutputContains, now: time.Now}
	if c.Expect.ExitStatus != nil {
		p.exitStatus = *c.Expect.ExitStatus
	}
	if c.Expect.OutputRegex != "" {
		p.outputRegex = regexp.MustCompile(c.Expect.OutputRegex) // validated above
	}
	return p, nil
}

// Dialer returns the prober's dialer, so tests can point it elsewhere.
func (p *Prober) Dialer() *Dialer { return p.dialer }

// Probe connects, logs in and runs the command, reporting the stage reached.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	// The dialer measures the timing phases: no trace.
	pr := probe.Begin(p.now, "ssh "+p.dialer.Address()+": ", nil)
	res, prefix := &pr.Res, pr.Prefix
	finish := func(stage Stage, status probe.Status, reason string, timing probe.Timing) probe.Result {
		res.Timing = timing
		res.Metrics = append([]probe.Metric{stage.Metric()}, res.Metrics...)
		return pr.Finish(status, reason)
	}

	conn, err := p.dialer.Connect(ctx)
	if err != nil {
		var se *StageError
		if errors.As(err, &se) {
			return finish(se.Stage, se.Status, prefix+se.Error(), se.Timing)
		}
		return finish(StageConnect, probe.Critical, prefix+err.Error(), probe.Timing{})
	}
	defer conn.Close()
	summary := fmt.Sprintf("%s, host key %s %s", conn.Banner, conn.HostKeyType, conn.Fingerprint)
	if conn.Client == nil {
		return finish(StageDone, probe.OK, summary+", no credentials: login not tried", conn.Timing)
	}
	summary += ", logged in as " + p.dialer.User()
	if p.command == "" {
		return finish(StageDone, probe.OK, summary, conn.Timing)
	}

	out := &probe.LimitedBuffer{Max: MaxOutput}
	cmdStart := p.now()
	code, err := run(conn.Client, p.command, out)
	took := probe.FormatDuration(p.now().Sub(cmdStart))
	res.Metrics = append(res.Metrics, probe.Metric{Name: "output_bytes", Value: float64(out.Total()), Unit: "B", Min: "0"})
	cmd := probe.Clip(p.command, 60)
	if err != nil {
		if probe.Expired(ctx) {
			return finish(StageCommand, probe.FailureStatus(ctx.Err()), fmt.Sprintf("%sfailed at command: %q timed out after %s%s", prefix, cmd, took, seen(out)), conn.Timing)
		}
		return finish(StageCommand, probe.Critical, fmt.Sprintf("%sfailed at command: %q: %s%s", prefix, cmd, sshReason(err), seen(out)), conn.Timing)
	}
	res.Metrics = append(res.Metrics, probe.Metric{Name: "exit_status", Value: float64(code), Min: "0", Max: "255"})
	if code != p.exitStatus {
		return finish(StageCommand, probe.Critical, fmt.Sprintf("%sfailed at command: %q exited %d, expected %d%s", prefix, cmd, code, p.exitStatus, seen(out)), conn.Timing)
	}
	got := out.Bytes()
	cut := ""
	if out.Truncated() {
		cut = fmt.Sprintf(" (first %d bytes checked)", MaxOutput)
	}
	if p.outputContains != "" && !strings.Contains(string(got), p.outputContains) {
		return finish(StageCommand, probe.Critical, fmt.Sprintf("%sfailed at command: output of %q does not contain %q%s%s", prefix, cmd, p.outputContains, cut, seen(out)), conn.Timing)
	}
	if p.outputRegex != nil && !p.outputRegex.Match(got) {
		return finish(StageCommand, probe.Critical, fmt.Sprintf("%sfailed at command: output of %q does not match /%s/%s%s", prefix, cmd, p.outputRegex, cut, seen(out)), conn.Timing)
	}
	return finish(StageDone, probe.OK, fmt.Sprintf("%s, %q exited %d in %s", summary, cmd, code, took), conn.Timing)
}

// run runs cmd in a new session and returns its exit status.
func run(c *gossh.Client, cmd string, out *probe.LimitedBuffer) (int, error) {
	s, err := c.NewSession()
	if err != nil {
		return 0, fmt.Errorf("opening a session: %w", err)
	}
	defer s.Close()
	s.Stdout, s.Stderr = out, out
	err = s.Run(cmd)
	var exit *gossh.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitStatus(), nil
	}
	var missing *gossh.ExitMissingError
	if errors.As(err, &missing) {
		return 0, errors.New("the command ended without an exit status (killed by a signal, or the connection dropped)")
	}
	return 0, err
}

// seen quotes the start of the output for a reason.
func seen(out *probe.LimitedBuffer) string {
	b := strings.TrimSpace(string(out.Bytes()))
	if b == "" {
		return ""
	}
	first, _, _ := strings.Cut(b, "\n")
	return fmt.Sprintf("; output: %q", probe.Clip(first, 100))
}

var _ probe.Prober = (*Prober)(nil)
