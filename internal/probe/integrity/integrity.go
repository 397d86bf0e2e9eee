// Package integrity is the integrity host check: a file's content hash
// (SHA-256), owner and mode, judged against a baseline recorded on the
// server. The script of a log-shipping job altered by malicious code
// still exits 0; its hash does not stay the same.
//
// The prober only observes: its result carries what it saw as facts, one
// per file. Judge, a pure function, compares them with the baseline the
// server keeps (so it survives the reinstall of an agent) and says what
// changed and since when; on the first run what was seen becomes the
// baseline.
package integrity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// The names of the facts an integrity run observes of each file.
const (
	FactSHA256 = "sha256"
	FactOwner  = "owner"
	FactMode   = "mode"
)

// Prober runs the integrity check of one monitor.
type Prober struct{ c Check }

// New provisions an integrity prober from its block.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("integrity check has no integrity block")
	}
	if err := config.JoinFieldErrors("integrity", c.Validate(nil)); err != nil {
		return nil, err
	}
	return &Prober{c: *c}, nil
}

// Probe hashes every file and reports its hash, owner and mode as facts.
// A file it cannot read is CRITICAL; the others are still observed.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	start := time.Now()
	res := probe.Result{Time: start.UTC(), Status: probe.OK}
	var problems, seen []string
	for _, path := range p.c.Files() {
		if err := ctx.Err(); err != nil {
			problems = append(problems, path+": not read: "+err.Error())
			continue
		}
		f, err := Observe(ctx, path)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		res.Facts = append(res.Facts, f)
		seen = append(seen, Describe(f))
	}
	res.Duration = time.Since(start)
	if len(problems) > 0 {
		res.Status, res.Reason = probe.Critical, strings.Join(problems, "; ")
		return res
	}
	res.Reason = strings.Join(seen, "; ")
	return res
}

// Observe reads one file's facts: its SHA-256, owner and mode.
func Observe(ctx context.Context, path string) (probe.Fact, error) {
	file, err := os.Open(path)
	if err != nil {
		return probe.Fact{}, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return probe.Fact{}, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return probe.Fact{}, fmt.Errorf("%s: not a regular file (%s)", path, fi.Mode().Type())
	}
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, file}); err != nil {
		return probe.Fact{}, fmt.Errorf("%s: %w", path, unwrapPath(err))
	}
	return probe.Fact{Subject: path, Values: map[string]string{
		FactSHA256: hex.EncodeToString(h.Sum(nil)),
		FactOwner:  ownerOf(fi),
		FactMode:   fmt.Sprintf("%04o", modeBits(fi.Mode())),
	}}, nil
}

// modeBits is the Unix permission word of m: permissions with setuid,
// setgid and sticky.
func modeBits(m os.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&os.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&os.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

// unwrapPath drops the *PathError's own path: the reason names it once.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ctxReader stops a long read when the monitor's timeout ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Describe shows a file's facts in a few words: "/usr/local/bin/x: sha256
// ab12cd34…, root:root, 0755".
func Describe(f probe.Fact) string {
	parts := []string{FactSHA256 + " " + short(f.Values[FactSHA256])}
	if o := f.Values[FactOwner]; o != "" {
		parts = append(parts, o)
	}
	parts = append(parts, f.Values[FactMode])
	return f.Subject + ": " + strings.Join(parts, ", ")
}

// short is the start of a hash, enough for a person to tell two apart.
func short(hash string) string {
	if len(hash) <= 8 {
		return hash
	}
	return hash[:8] + "…"
}

// Baseline is the accepted facts of one file of one monitor, with the
// differing observation while there is one.
type Baseline struct {
	Subject string
	// Values are the accepted facts.
	Values map[string]string
	// Observed is the newest observation that differs from Values; nil
	// while the file matches.
	Observed map[string]string
	// ChangedAt is when a difference was first observed; zero while the
	// file matches.
	ChangedAt time.Time
	// AcceptedBy is who accepted Values; "" when they were recorded on
	// the first run.
	AcceptedBy string
	AcceptedAt time.Time
}

// Accept makes the differing observation of b its baseline.
func (b Baseline) Accept(by string, at time.Time) Baseline {
	if b.Observed != nil {
		b.Values = b.Observed
	}
	b.Observed, b.ChangedAt, b.AcceptedBy, b.AcceptedAt = nil, time.Time{}, by, at
	return b
}

// Judge compares the facts of r with the baselines of its monitor, by
// subject. A file whose facts differ makes the result CRITICAL with a
// reason that names what changed and since when; a file without a
// baseline gets one (recorded automatically, which the reason says). It
// returns the judged result and the baselines to save: new ones and those
// whose observation changed. Judge is pure.
func Judge(r probe.Result, base map[string]Baseline) (probe.Result, []Baseline) {
	var save []Baseline
	var changed, recorded []string
	for _, f := range r.Facts {
		b, ok := base[f.Subject]
		if !ok {
			save = append(save, Baseline{Subject: f.Subject, Values: f.Values, AcceptedAt: r.Time})
			recorded = append(recorded, f.Subject)
			continue
		}
		diff := Differences(b.Values, f.Values)
		if len(diff) == 0 {
			if b.Observed != nil {
				b.Observed, b.ChangedAt = nil, time.Time{}
				save = append(save, b)
			}
			continue
		}
		if !equal(b.Observed, f.Values) {
			if b.ChangedAt.IsZero() || b.ChangedAt.After(r.Time) {
				b.ChangedAt = r.Time
			}
			b.Observed = f.Values
			save = append(save, b)
		}
		changed = append(changed, f.Subject+": "+strings.Join(diff, ", ")+", since "+at(b.ChangedAt, r.Time))
	}
	switch {
	case len(changed) > 0:
		reason := strings.Join(changed, "; ")
		if r.Failed() && r.Reason != "" {
			reason += "; " + r.Reason
		}
		r.Status, r.Reason = probe.Critical, reason
	case len(recorded) > 0:
		note := "baseline recorded on the first run of " + strings.Join(recorded, ", ")
		if len(recorded) == 1 {
			note = "baseline recorded on the first run"
		}
		if r.Reason != "" {
			note = r.Reason + " (" + note + ")"
		}
		r.Reason = note
	}
	return r, save
}

// Differences lists in words how got differs from want, in the order
// content, mode, owner: "content changed (sha256 ab12cd34… → 9f3e0a11…)",
// "mode 0755 → 0777", "owner root:root → www-data:www-data".
func Differences(want, got map[string]string) []string {
	var out []string
	if want[FactSHA256] != got[FactSHA256] {
		out = append(out, fmt.Sprintf("content changed (sha256 %s → %s)", short(want[FactSHA256]), short(got[FactSHA256])))
	}
	if want[FactMode] != got[FactMode] {
		out = append(out, fmt.Sprintf("mode %s → %s", want[FactMode], got[FactMode]))
	}
	if want[FactOwner] != got[FactOwner] {
		out = append(out, fmt.Sprintf("owner %s → %s", want[FactOwner], got[FactOwner]))
	}
	// Facts of other names, in a stable order.
	var other []string
	for k, v := range got {
		if k != FactSHA256 && k != FactMode && k != FactOwner && want[k] != v {
			other = append(other, fmt.Sprintf("%s %s → %s", k, want[k], v))
		}
	}
	slices.Sort(other)
	return append(out, other...)
}

func equal(a, b map[string]string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// at shows t in UTC to the minute, with the date when it is not the day
// of now.
func at(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}
