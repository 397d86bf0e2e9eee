// Package files is the files host check: for a folder or a glob on the
// host that runs it, the age of the newest and the oldest file, their count,
// total size and growth, against limits. "The oldest file in /var/log/txn
// is 3h old" is a log-shipping job that stopped moving files away.
package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/internal/hostcheck"
	"github.com/tocsin/tocsin/internal/text"
)

// MaxFiles bounds the files one run looks at: a folder of millions of
// files is a finding of its own, and reading them all would outlast any
// timeout.
const MaxFiles = 100_000

// batch is how many folder entries are read between looks at the context.
const batch = 1024

// Prober runs the files check of one monitor. It keeps the total size of
// the last run to tell the growth.
type Prober struct {
	c   Check
	now func() time.Time

	mu   sync.Mutex
	last *snapshot
}

// snapshot is the total size at one run.
type snapshot struct {
	at    time.Time
	bytes int64
}

// New provisions a files prober from its block.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("files check has no files block")
	}
	if err := config.JoinFieldErrors("files", c.Validate(nil)); err != nil {
		return nil, err
	}
	return &Prober{c: *c, now: time.Now}, nil
}

// file is one regular file seen.
type file struct {
	name string
	mod  time.Time
}

// Stats is what one run saw of the files.
type Stats struct {
	Count          int
	Bytes          int64
	Oldest, Newest file // zero when Count is 0
	// Truncated is set when there were more than MaxFiles files.
	Truncated bool
}

func (s *Stats) add(name string, fi fs.FileInfo) {
	if !fi.Mode().IsRegular() {
		return
	}
	f := file{name: name, mod: fi.ModTime()}
	if s.Count == 0 || f.mod.Before(s.Oldest.mod) {
		s.Oldest = f
	}
	if s.Count == 0 || f.mod.After(s.Newest.mod) {
		s.Newest = f
	}
	s.Count++
	s.Bytes += fi.Size()
}

// Probe looks at the files once and judges them.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	st, err := collect(ctx, p.c.Path)
	now := p.now()
	if err != nil {
		if ctx.Err() != nil {
			return probe.Result{Status: probe.Critical, Reason: fmt.Sprintf("listing %s did not finish within the timeout", p.c.Path)}
		}
		return probe.Result{Status: probe.Critical, Reason: err.Error()}
	}
	p.mu.Lock()
	prev := p.last
	p.last = &snapshot{at: now, bytes: st.Bytes}
	p.mu.Unlock()
	return judge(p.c, st, now, prev)
}

// hasMeta reports whether p holds glob characters.
func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// where names the files in reasons: the folder, or the glob when its
// folder part is a glob too.
func where(path string) string {
	if !hasMeta(path) {
		return path
	}
	if dir := filepath.Dir(path); !hasMeta(dir) {
		return dir
	}
	return path
}

// collect lists the regular files of path: a folder's, a glob's matches,
// or one file.
func collect(ctx context.Context, path string) (Stats, error) {
	var st Stats
	if hasMeta(path) {
		dir, pattern := filepath.Split(path)
		if hasMeta(dir) {
			matches, err := filepath.Glob(path)
			if err != nil {
				return st, err
			}
			for _, m := range matches {
				if st.Count >= MaxFiles {
					st.Truncated = true
					break
				}
				if fi, err := os.Stat(m); err == nil {
					st.add(filepath.Base(m), fi)
				}
			}
			return st, ctx.Err()
		}
		return st, readDir(ctx, filepath.Clean(dir), pattern, &st)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return st, describe(path, err)
	}
	if !fi.IsDir() {
		st.add(filepath.Base(path), fi)
		return st, nil
	}
	return st, readDir(ctx, path, "", &st)
}

// readDir adds the regular files of dir whose names match pattern ("" for
// all), reading in batches to honour ctx.
func readDir(ctx context.Context, dir, pattern string, st *Stats) error {
	d, err := os.Open(dir)
	if err != nil {
		return describe(dir, err)
	}
	defer d.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		entries, err := d.ReadDir(batch)
		for _, e := range entries {
			if pattern != "" {
				if ok, _ := filepath.Match(pattern, e.Name()); !ok {
					continue
				}
			}
			if e.IsDir() {
				continue
			}
			if st.Count >= MaxFiles {
				st.Truncated = true
				return nil
			}
			var fi fs.FileInfo
			var ierr error
			if e.Type()&fs.ModeSymlink != 0 {
				fi, ierr = os.Stat(filepath.Join(dir, e.Name()))
			} else {
				fi, ierr = e.Info()
			}
			if ierr == nil { // a file removed while listing is not there
				st.add(e.Name(), fi)
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(entries) == 0) {
			return nil
		}
		if err != nil {
			return describe(dir, err)
		}
	}
}

// describe says why path cannot be read, in a few words.
func describe(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot read %s: permission denied to the user running the check", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot read %s: %v", path, err)
}

// judge turns what a run saw into a result: every limit c sets, checked
// at now; prev, when set, is the total size of the run before, for the
// growth.
func judge(c Check, st Stats, now time.Time, prev *snapshot) probe.Result {
	in := where(c.Path)
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	age := func(f file) time.Duration { return max(now.Sub(f.mod), 0) }
	metrics := []probe.Metric{
		{Name: "count", Value: float64(st.Count), Min: "0", Crit: limitInt(int64(c.MaxCount))},
		{Name: "size", Value: float64(st.Bytes), Unit: "B", Min: "0", Crit: limitInt(c.MaxBytes)},
	}
	if st.Count > 0 {
		metrics = append(metrics,
			probe.Metric{Name: "newest age", Value: age(st.Newest).Round(time.Second).Seconds(), Unit: "s", Min: "0", Crit: limitAge(c.NewestMaxAge)},
			probe.Metric{Name: "oldest age", Value: age(st.Oldest).Round(time.Second).Seconds(), Unit: "s", Min: "0", Crit: limitAge(c.OldestMaxAge)})
	}
	var growth string
	if prev != nil && now.After(prev.at) {
		perSecond := float64(st.Bytes-prev.bytes) / now.Sub(prev.at).Seconds()
		metrics = append(metrics, probe.Metric{Name: "growth", Value: float64(int64(perSecond * 3600)), Unit: "B/h"})
		growth = ", " + hostcheck.Rate(perSecond)
	}

	switch {
	case st.Count == 0 && c.NewestMaxAge > 0:
		add("no files in %s (the newest must be under %s old): nothing is being written", in, hostcheck.Age(c.NewestMaxAge.D()))
	case st.Count > 0 && c.NewestMaxAge > 0 && age(st.Newest) > c.NewestMaxAge.D():
		add("newest file in %s is %s old (limit %s): nothing new is being written (%s)", in, hostcheck.Age(age(st.Newest)), hostcheck.Age(c.NewestMaxAge.D()), st.Newest.name)
	}
	if st.Count > 0 && c.OldestMaxAge > 0 && age(st.Oldest) > c.OldestMaxAge.D() {
		add("oldest file in %s is %s old (limit %s): files are not being shipped away (%s)", in, hostcheck.Age(age(st.Oldest)), hostcheck.Age(c.OldestMaxAge.D()), st.Oldest.name)
	}
	if c.MinCount > 0 && st.Count < c.MinCount {
		add("%s in %s, at least %d expected", text.Plural(st.Count, "file"), in, c.MinCount)
	}
	if c.MaxCount > 0 && (st.Count > c.MaxCount || st.Truncated) {
		add("%s%s in %s (limit %d)", more(st.Truncated), text.Plural(st.Count, "file"), in, c.MaxCount)
	}
	if c.MaxBytes > 0 && st.Bytes > c.MaxBytes {
		add("files in %s total %s%s (limit %s)", in, more(st.Truncated), hostcheck.Bytes(uint64(st.Bytes)), hostcheck.Bytes(uint64(c.MaxBytes)))
	}
	if len(problems) > 0 {
		return probe.Result{Status: probe.Critical, Reason: strings.Join(problems, "; "), Metrics: metrics}
	}
	r := probe.Result{Status: probe.OK, Metrics: metrics}
	if st.Count == 0 {
		r.Reason = "no files in " + in + growth
		return r
	}
	r.Reason = fmt.Sprintf("%s%s in %s, %s, newest %s old, oldest %s old%s", more(st.Truncated), text.Plural(st.Count, "file"), in,
		hostcheck.Bytes(uint64(st.Bytes)), hostcheck.Age(age(st.Newest)), hostcheck.Age(age(st.Oldest)), growth)
	if st.Truncated {
		r.Status = probe.Warning
		r.Reason += fmt.Sprintf(": only the first %d files were looked at", MaxFiles)
	}
	return r
}

// more is "more than " when the listing stopped at MaxFiles.
func more(truncated bool) string {
	if truncated {
		return "more than "
	}
	return ""
}

func limitInt(v int64) string {
	if v <= 0 {
		return ""
	}
	return fmt.Sprint(v)
}

func limitAge(d config.Duration) string {
	if d <= 0 {
		return ""
	}
	return fmt.Sprint(d.D().Seconds())
}

var _ probe.Prober = (*Prober)(nil)
