// Package runner wraps a job the way `tocsin run` does: it reports the
// start to a heartbeat, runs the command with its input and output passed
// through, keeps the tail of that output, and reports the exit status with
// the tail as the ping body. Pings follow the Healthchecks.io ping API, so
// the wrapper works against any server that speaks it.
//
// A ping failure never changes the command's exit status: the wrapper's exit
// status is the command's (128+N when signal N killed it, 127 when it could
// not be found, 126 when it could not be started).
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// Defaults for the Options left at zero.
const (
	DefaultRetryFor    = time.Minute
	DefaultTimeout     = 10 * time.Second
	DefaultOutputLimit = 100 << 10 // 100 KiB, the ping body limit servers use by default
	// waitDelay bounds the wait for the command's output to close after it
	// exited: a job that leaves a daemon holding its stdout must not hang
	// the wrapper.
	waitDelay = 5 * time.Second
)

// Options configure one wrapped run.
type Options struct {
	// Server is the base URL of the Tocsin server, such as
	// https://tocsin.example.com; pings go to Server + "/ping/...". A URL
	// that already ends in /ping is used as it is.
	Server string
	// UUID names the heartbeat; or Slug and PingKey together do.
	UUID    string
	Slug    string
	PingKey string
	// Create asks the server to create the slug's heartbeat when it does
	// not exist yet (?create=1; the server must allow it with
	// server.pings.auto_create). Only with Slug.
	Create bool

	// Command is the program and its arguments.
	Command []string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	// Signals received here are forwarded to the running command.
	Signals <-chan os.Signal

	// RetryFor bounds the time spent retrying one ping. Default 1m.
	RetryFor time.Duration
	// Timeout bounds one attempt. Default 10s.
	Timeout time.Duration
	// OutputLimit is how much of the output's tail is kept and sent.
	// Default 100 KiB; a smaller Ping-Body-Limit from the server wins.
	OutputLimit int
	// UserAgent is sent with every ping.
	UserAgent string

	// Client, Now, Sleep, Jitter and NewRunID default to the real thing;
	// tests replace them.
	Client   *http.Client
	Now      func() time.Time
	Sleep    func(ctx context.Context, d time.Duration) error
	Jitter   func(d time.Duration) time.Duration
	NewRunID func() string
}

var (
	reUUID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	reSlug = regexp.MustCompile(`^[a-z0-9_-]{1,100}$`)
	reKey  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)
)

// check validates o and fills in defaults. Its errors are the user's.
func (o *Options) check() (*pinger, error) {
	switch {
	case len(o.Command) == 0 || o.Command[0] == "":
		return nil, errors.New("no command to run: write it after --, as in: tocsin run --heartbeat UUID -- /usr/local/bin/backup --full")
	case o.UUID != "" && o.Slug != "":
		return nil, errors.New("--heartbeat and --slug name the heartbeat in two ways: use one")
	case o.UUID == "" && o.Slug == "":
		return nil, errors.New("no heartbeat: use --heartbeat UUID, or --slug SLUG with --ping-key KEY (or TOCSIN_PING_KEY)")
	case o.UUID != "" && !reUUID.MatchString(o.UUID):
		return nil, fmt.Errorf("--heartbeat %q is not a UUID (like 5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278)", o.UUID)
	case o.Slug != "" && !reSlug.MatchString(o.Slug):
		return nil, fmt.Errorf("--slug %q: a slug has only lowercase letters, digits, '-' and '_'", o.Slug)
	case o.Create && o.Slug == "":
		return nil, errors.New("--create needs --slug: a heartbeat is created by its slug")
	case o.Slug != "" && o.PingKey == "":
		return nil, errors.New("--slug needs the project's ping key: --ping-key KEY or TOCSIN_PING_KEY")
	case o.Slug != "" && !reKey.MatchString(o.PingKey):
		return nil, errors.New("the ping key has characters a ping key never has (letters, digits, '-' and '_' only)")
	case o.Server == "":
		return nil, errors.New("no server: use --server URL or set TOCSIN_URL, such as https://tocsin.example.com")
	}
	u, err := url.Parse(o.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q must be an absolute http:// or https:// URL", o.Server)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server URL %q must not have a query or fragment", o.Server)
	}
	if o.RetryFor < 0 || o.Timeout < 0 || o.OutputLimit < 0 {
		return nil, errors.New("--retry-for, --timeout and --output-limit cannot be negative")
	}
	if o.RetryFor == 0 {
		o.RetryFor = DefaultRetryFor
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.OutputLimit == 0 {
		o.OutputLimit = DefaultOutputLimit
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Jitter == nil {
		// Between half and all of d: jobs that cron starts at the same
		// second do not retry in lockstep against a recovering server.
		o.Jitter = func(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }
	}
	if o.NewRunID == nil {
		o.NewRunID = uuid.NewString
	}
	if o.UserAgent == "" {
		o.UserAgent = "tocsin-run"
	}
	if o.Stdout == nil {
		o.Stdout = io.Discard
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	base := strings.TrimRight(u.String(), "/")
	if !strings.HasSuffix(base, "/ping") {
		base += "/ping"
	}
	if o.UUID != "" {
		base += "/" + strings.ToLower(o.UUID)
	} else {
		base += "/" + o.PingKey + "/" + o.Slug
	}
	return &pinger{o: o, base: base}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Run runs the command and reports it. It returns the command's exit status,
// or an error (and no status) when the options are wrong, in which case
// nothing was run. ctx bounds the pings only: the command stops through the
// signals forwarded to it, never because ctx is done.
func Run(ctx context.Context, o Options) (int, error) {
	p, err := o.check()
	if err != nil {
		return 0, err
	}
	rid := o.NewRunID()

	stopStart := make(chan struct{})
	started := make(chan result, 1)
	go func() { started <- p.send(ctx, stopStart, "start", rid, nil) }()

	out := newTail(o.OutputLimit)
	code, startErr := execute(&o, out)
	close(stopStart)
	sr := <-started

	limit := o.OutputLimit
	if sr.BodyLimit > 0 && sr.BodyLimit < limit {
		limit = sr.BodyLimit
	}
	body, _ := out.last(limit)
	if startErr != nil {
		msg := "tocsin run: " + startErr.Error() + "\n"
		fmt.Fprint(o.Stderr, msg)
		body = []byte(msg)
	}
	// The ping API takes 0-255; a larger status (Windows) still is a failure.
	status := code
	if status < 0 || status > 255 {
		status = 255
	}
	// A signal now, with the command gone, is the user giving up on the
	// report: stop retrying it.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Signals != nil {
		go func() {
			select {
			case <-o.Signals:
				cancel()
			case <-pctx.Done():
			}
		}()
	}
	er := p.send(pctx, nil, strconv.Itoa(status), rid, body)

	p.report(sr, "the start")
	p.report(er, fmt.Sprintf("exit status %d", code))
	return code, nil
}

// report tells the user about a ping that was not acknowledged, on the
// command's stderr, where cron mails it.
func (p *pinger) report(r result, what string) {
	if r.Err == nil {
		return
	}
	name := "heartbeat " + p.o.UUID
	if p.o.UUID == "" {
		name = "heartbeat with slug " + p.o.Slug
	}
	var hint string
	switch r.Status {
	case http.StatusNotFound:
		hint = "; check the UUID, or the slug and ping key"
	case http.StatusConflict:
		hint = "; the slug names more than one heartbeat: use its UUID"
	}
	tries := ""
	if r.Attempts > 1 {
		tries = fmt.Sprintf(" (%d attempts)", r.Attempts)
	}
	fmt.Fprintf(p.o.Stderr, "tocsin run: could not report %s to %s on %s: %v%s%s\n", what, name, p.o.Server, r.Err, tries, hint)
}

// execute runs the command to its end and returns its exit status, or 127
// or 126 with the error when it could not be started.
func execute(o *Options, out *tail) (int, error) {
	cmd := exec.Command(o.Command[0], o.Command[1:]...)
	cmd.Stdin = o.Stdin
	cmd.Stdout = &tee{t: out, out: o.Stdout}
	cmd.Stderr = &tee{t: out, out: o.Stderr}
	cmd.WaitDelay = waitDelay
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return 127, err
		}
		return 126, err
	}
	done := make(chan struct{})
	forwarded := make(chan struct{})
	if o.Signals == nil {
		close(forwarded)
	} else {
		go func() {
			defer close(forwarded)
			for {
				select {
				case <-done:
					return
				case sig := <-o.Signals:
					_ = cmd.Process.Signal(sig)
				}
			}
		}()
	}
	_ = cmd.Wait()
	close(done)
	<-forwarded // later signals are for the caller, not for a gone process
	return exitStatus(cmd.ProcessState), nil
}

// exitStatus is the status a shell would report: the exit code, or 128+N
// for a command killed by signal N.
func exitStatus(ps *os.ProcessState) int {
	if ps == nil {
		return 126
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
