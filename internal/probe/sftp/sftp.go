// Package sftp is the SFTP probe: over an SSH connection (the ssh probe's
// Dialer), a file, a folder's files or a glob's matches must exist, the
// newest must be fresh and of a plausible size, and may have to contain a
// pattern. This is the "is last night's export there" check.
package sftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/pkg/sftp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	sshprobe "github.com/tocsin/tocsin/internal/probe/ssh"
	"github.com/tocsin/tocsin/internal/text"
)

// MaxContent is how much of the newest file the content checks read.
const MaxContent = 64 << 10

// Prober runs the sftp check of one monitor.
type Prober struct {
	dialer          *sshprobe.Dialer
	path            string
	dir, pattern    string // set when path is a glob
	maxAge, warnAge time.Duration
	minCount        int
	maxCount        int
	minSize         int64
	maxSize         int64
	contains        string
	regex           *regexp.Regexp
	now             func() time.Time
}

// New provisions an sftp prober from its block.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("sftp check has no sftp block")
	}
	if err := config.JoinFieldErrors("sftp", c.Validate(nil)); err != nil {
		return nil, err
	}
	d, err := sshprobe.NewDialer(&c.Connection)
	if err != nil {
		return nil, fmt.Errorf("sftp check %s: %w", c.Address, err)
	}
	p := &Prober{dialer: d, path: c.Path, maxAge: c.MaxAge.D(), warnAge: c.WarnAge.D(),
		minCount: c.MinCount, maxCount: c.MaxCount, minSize: c.MinSize, maxSize: c.MaxSize,
		contains: c.ContentContains, now: time.Now}
	if dir, base := path.Split(c.Path); hasGlobMeta(base) {
		p.dir, p.pattern = path.Clean(dir), base
		if dir == "" {
			p.dir = "."
		}
	}
	if c.ContentRegex != "" {
		p.regex = regexp.MustCompile(c.ContentRegex) // validated above
	}
	return p, nil
}

// SetClock replaces the clock that file ages are measured against.
func (p *Prober) SetClock(now func() time.Time) { p.now = now }

// Dialer returns the prober's dialer, so tests can point it elsewhere.
func (p *Prober) Dialer() *sshprobe.Dialer { return p.dialer }

// match is what the listing found: a count and the newest file, nothing
// more, whatever the folder's size.
type match struct {
	count  int
	newest entry
	found  bool
}

func (m *match) add(e entry) {
	if !e.regular {
		return
	}
	m.count++
	if !m.found || e.modTime.After(m.newest.modTime) || e.modTime.Equal(m.newest.modTime) && e.name > m.newest.name {
		m.newest, m.found = e, true
	}
}

// Probe connects, lists and checks.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	// The dialer measures the timing phases: no trace.
	run := probe.Begin(p.now, fmt.Sprintf("sftp %s@%s %s: ", p.dialer.User(), p.dialer.Address(), p.path), nil)
	start, res := run.Start, &run.Res
	finish := func(stage sshprobe.Stage, status probe.Status, reason string) probe.Result {
		res.Metrics = append([]probe.Metric{stage.Metric()}, res.Metrics...)
		return run.Fail(status, reason)
	}
	fail := func(status probe.Status, reason string) probe.Result {
		return finish(sshprobe.StageCommand, status, "failed at sftp: "+reason)
	}

	conn, err := p.dialer.Connect(ctx)
	if err != nil {
		var se *sshprobe.StageError
		if errors.As(err, &se) {
			res.Timing = se.Timing
			return finish(se.Stage, se.Status, se.Error())
		}
		return finish(sshprobe.StageConnect, probe.Critical, err.Error())
	}
	defer conn.Close()
	res.Timing = conn.Timing
	if conn.Client == nil {
		return fail(probe.Unknown, "the server let the probe in without credentials, so there is no session to list files with")
	}
	// pkg/sftp serves Stat and reads; it is started only when needed, as a
	// glob without content checks needs just the listing.
	var client *sftp.Client
	startClient := func() error {
		c, err := sftp.NewClient(conn.Client)
		if err != nil {
			return err
		}
		client = c
		return nil
	}
	defer func() {
		if client != nil {
			client.Close()
		}
	}()

	var m match
	dir := p.dir
	switch {
	case p.pattern != "":
	default:
		if err := startClient(); err != nil {
			return fail(p.ioStatus(ctx, err), "starting SFTP: "+p.ioReason(ctx, err, start))
		}
		fi, err := client.Stat(p.path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fail(probe.Critical, "does not exist")
			}
			return fail(p.ioStatus(ctx, err), p.ioReason(ctx, err, start))
		}
		if !fi.IsDir() {
			m.add(entry{name: path.Base(p.path), size: fi.Size(), modTime: fi.ModTime().UTC(), regular: fi.Mode().IsRegular()})
			break
		}
		dir = p.path
	}
	if dir != "" {
		l, err := newLister(conn.Client)
		if err != nil {
			return fail(p.ioStatus(ctx, err), p.ioReason(ctx, err, start))
		}
		defer l.Close()
		listed := 0
		err = l.each(dir, func(e entry) {
			listed++
			if p.pattern != "" {
				if ok, _ := path.Match(p.pattern, e.name); !ok {
					return
				}
			}
			m.add(e)
		})
		if err != nil {
			var se *StatusError
			if errors.As(err, &se) && se.Code == 2 {
				return fail(probe.Critical, "folder "+dir+" does not exist")
			}
			return fail(p.ioStatus(ctx, err), fmt.Sprintf("listing %s: %s (%d entries read)", dir, p.ioReason(ctx, err, start), listed))
		}
	}
	res.Metrics = append(res.Metrics, probe.Metric{Name: "files", Value: float64(m.count), Min: "0"})
	if !m.found {
		if p.minCount == 0 {
			return finish(sshprobe.StageDone, probe.OK, "no files, as allowed (min_count 0)")
		}
		what := "no file matches"
		if p.pattern == "" && dir != "" {
			what = "the folder holds no files"
		}
		return fail(probe.Critical, what)
	}
	now := p.now()
	age := max(now.Sub(m.newest.modTime), 0)
	res.Metrics = append(res.Metrics,
		probe.Metric{Name: "newest_age", Value: age.Round(time.Second).Seconds(), Unit: "s", Warn: limit(p.warnAge.Seconds()), Crit: limit(p.maxAge.Seconds()), Min: "0"},
		probe.Metric{Name: "newest_size", Value: float64(m.newest.size), Unit: "B", Min: "0"})
	newest := fmt.Sprintf("newest %s from %s (%s old, %s)", m.newest.name, m.newest.modTime.Format(time.DateTime)+" UTC", probe.FormatDuration(age.Round(time.Second)), formatBytes(m.newest.size))
	summary := fmt.Sprintf("%s, %s", text.Plural(m.count, "file"), newest)

	switch {
	case m.count < p.minCount:
		return fail(probe.Critical, fmt.Sprintf("%s, expected at least %d; %s", text.Plural(m.count, "file"), p.minCount, newest))
	case p.maxCount > 0 && m.count > p.maxCount:
		return fail(probe.Critical, fmt.Sprintf("%d files, expected at most %d (old files not cleaned up?)", m.count, p.maxCount))
	case p.maxAge > 0 && age > p.maxAge:
		return fail(probe.Critical, fmt.Sprintf("%s is older than max_age %s: %s", m.newest.name, probe.FormatDuration(p.maxAge), summary))
	case p.minSize > 0 && m.newest.size < p.minSize:
		return fail(probe.Critical, fmt.Sprintf("%s has %s, expected at least %s", m.newest.name, formatBytes(m.newest.size), formatBytes(p.minSize)))
	case p.maxSize > 0 && m.newest.size > p.maxSize:
		return fail(probe.Critical, fmt.Sprintf("%s has %s, expected at most %s", m.newest.name, formatBytes(m.newest.size), formatBytes(p.maxSize)))
	}
	if p.contains != "" || p.regex != nil {
		full := p.path
		if dir != "" {
			full = path.Join(dir, m.newest.name)
		}
		if client == nil {
			if err := startClient(); err != nil {
				return fail(p.ioStatus(ctx, err), "starting SFTP: "+p.ioReason(ctx, err, start))
			}
		}
		content, err := readHead(client, full)
		if err != nil {
			return fail(p.ioStatus(ctx, err), "reading "+full+": "+p.ioReason(ctx, err, start))
		}
		cut := ""
		if int64(len(content)) == MaxContent && m.newest.size > MaxContent {
			cut = fmt.Sprintf(" (first %d bytes read)", MaxContent)
		}
		if p.contains != "" && !strings.Contains(string(content), p.contains) {
			return fail(probe.Critical, fmt.Sprintf("%s does not contain %q%s", m.newest.name, p.contains, cut))
		}
		if p.regex != nil && !p.regex.Match(content) {
			return fail(probe.Critical, fmt.Sprintf("%s does not match /%s/%s", m.newest.name, p.regex, cut))
		}
	}
	if p.warnAge > 0 && age > p.warnAge {
		return finish(sshprobe.StageDone, probe.Warning, fmt.Sprintf("%s is older than warn_age %s: %s", m.newest.name, probe.FormatDuration(p.warnAge), summary))
	}
	return finish(sshprobe.StageDone, probe.OK, summary)
}

// readHead reads the first MaxContent bytes of a file.
func readHead(c *sftp.Client, name string) ([]byte, error) {
	f, err := c.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, MaxContent))
}

func (p *Prober) ioStatus(ctx context.Context, err error) probe.Status {
	if ctx.Err() != nil {
		return probe.FailureStatus(ctx.Err())
	}
	return probe.FailureStatus(err)
}

func (p *Prober) ioReason(ctx context.Context, err error, start time.Time) string {
	if probe.Expired(ctx) || probe.IsTimeout(err) {
		return "timed out after " + probe.FormatDuration(p.now().Sub(start))
	}
	var se *sftp.StatusError
	if errors.As(err, &se) {
		return probe.Clip(se.Error(), 200)
	}
	if errors.Is(err, os.ErrPermission) {
		return "permission denied"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the server closed the connection"
	}
	return probe.Clip(strings.TrimPrefix(err.Error(), "sftp: "), 200)
}

func limit(v float64) string {
	if v <= 0 {
		return ""
	}
	return fmt.Sprint(v)
}

// formatBytes writes n as "812 B", "1.2 KiB", "3.4 MiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}

var _ probe.Prober = (*Prober)(nil)
