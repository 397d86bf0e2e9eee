package files

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

var now = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// write makes a file of size bytes in dir, last written age ago.
func write(t *testing.T, dir, name string, size int, age time.Duration) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	at := now.Add(-age)
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, p *Prober) probe.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Probe(ctx)
}

func newProber(t *testing.T, c Check, clock *time.Time) *Prober {
	t.Helper()
	p, err := New(&c)
	if err != nil {
		t.Fatal(err)
	}
	p.now = func() time.Time { return *clock }
	return p
}

// TestLogShipping is the incident: transaction logs pile up in the folder
// when the job that moves them to the NAS stops.
func TestLogShipping(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "txn-0001.log", 1000, 3*time.Hour+12*time.Minute)
	write(t, dir, "txn-0002.log", 2000, 40*time.Minute)
	write(t, dir, "txn-0003.log", 3000, 2*time.Minute)
	write(t, dir, "notes.txt", 5000, 100*time.Hour) // not matched by the glob
	if err := os.Mkdir(filepath.Join(dir, "archive.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	clock := now
	p := newProber(t, Check{Path: filepath.Join(dir, "*.log"), OldestMaxAge: config.Duration(2 * time.Hour), NewestMaxAge: config.Duration(25 * time.Hour)}, &clock)
	r := run(t, p)
	want := "oldest file in " + dir + " is 3h12m old (limit 2h): files are not being shipped away (txn-0001.log)"
	if r.Status != probe.Critical || r.Reason != want {
		t.Fatalf("%s: %q\nwant %q", r.Status, r.Reason, want)
	}
	metrics := map[string]float64{}
	for _, m := range r.Metrics {
		metrics[m.Name] = m.Value
	}
	if metrics["count"] != 3 || metrics["size"] != 6000 || metrics["oldest age"] != (3*time.Hour+12*time.Minute).Seconds() || metrics["newest age"] != 120 {
		t.Fatalf("metrics %v", metrics)
	}
	if _, ok := metrics["growth"]; ok {
		t.Fatal("growth without an earlier run")
	}

	// The job runs again: the old file is gone, a new one is written, an
	// hour later.
	if err := os.Remove(filepath.Join(dir, "txn-0001.log")); err != nil {
		t.Fatal(err)
	}
	clock = now.Add(time.Hour)
	write(t, dir, "txn-0004.log", 1_048_576, -time.Hour)
	r = run(t, p)
	if r.Status != probe.OK || !strings.HasPrefix(r.Reason, "3 files in "+dir+", 1.0 MiB, newest 0s old, oldest 1h40m old, +") {
		t.Fatalf("%s: %q", r.Status, r.Reason)
	}
	growth := -1.0
	for _, m := range r.Metrics {
		if m.Name == "growth" {
			growth = m.Value
		}
	}
	if growth != 1_048_576+2000+3000-6000 {
		t.Fatalf("growth %v B/h, want the bytes added in the hour", growth)
	}
}

func TestNewestTooOld(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "backup-1.tar", 10, 50*time.Hour)
	write(t, dir, "backup-2.tar", 10, 26*time.Hour)
	clock := now
	p := newProber(t, Check{Path: dir, NewestMaxAge: config.Duration(25 * time.Hour)}, &clock)
	want := "newest file in " + dir + " is 26h old (limit 25h): nothing new is being written (backup-2.tar)"
	if r := run(t, p); r.Status != probe.Critical || r.Reason != want {
		t.Fatalf("%s: %q\nwant %q", r.Status, r.Reason, want)
	}
	empty := t.TempDir()
	p = newProber(t, Check{Path: empty, NewestMaxAge: config.Duration(25 * time.Hour)}, &clock)
	if r := run(t, p); r.Status != probe.Critical || !strings.HasPrefix(r.Reason, "no files in "+empty+" (the newest must be under 25h old)") {
		t.Fatalf("%s: %q", r.Status, r.Reason)
	}
}

func TestCountAndSize(t *testing.T) {
	dir := t.TempDir()
	for i := range 5 {
		write(t, dir, "spool-"+string(rune('a'+i)), 3<<20, time.Minute)
	}
	clock := now
	for _, tc := range []struct {
		c    Check
		want string
	}{
		{Check{MaxCount: 4}, "5 files in %s (limit 4)"},
		{Check{MinCount: 6}, "5 files in %s, at least 6 expected"},
		{Check{MaxBytes: 10 << 20}, "files in %s total 15 MiB (limit 10 MiB)"},
	} {
		tc.c.Path = dir
		r := run(t, newProber(t, tc.c, &clock))
		if want := strings.ReplaceAll(tc.want, "%s", dir); r.Status != probe.Critical || r.Reason != want {
			t.Errorf("%+v: %s: %q, want %q", tc.c, r.Status, r.Reason, want)
		}
	}
	r := run(t, newProber(t, Check{Path: dir, MinCount: 5, MaxCount: 5, MaxBytes: 15 << 20}, &clock))
	if r.Status != probe.OK {
		t.Fatalf("at the limits: %s: %s", r.Status, r.Reason)
	}
}

func TestMissingAndSingleFile(t *testing.T) {
	dir := t.TempDir()
	clock := now
	missing := filepath.Join(dir, "nope")
	for _, path := range []string{missing, filepath.Join(missing, "*.log")} {
		r := run(t, newProber(t, Check{Path: path, MinCount: 1}, &clock))
		if r.Status != probe.Critical || r.Reason != missing+" does not exist" {
			t.Errorf("%s: %s: %q", path, r.Status, r.Reason)
		}
	}
	write(t, dir, "export.csv", 10, 30*time.Minute)
	r := run(t, newProber(t, Check{Path: filepath.Join(dir, "export.csv"), NewestMaxAge: config.Duration(time.Hour)}, &clock))
	if r.Status != probe.OK || !strings.Contains(r.Reason, "1 file in") {
		t.Fatalf("%s: %q", r.Status, r.Reason)
	}
	// A glob in a folder part too.
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "a", "b"), "x.log", 10, 3*time.Hour)
	r = run(t, newProber(t, Check{Path: filepath.Join(dir, "*", "b", "*.log"), OldestMaxAge: config.Duration(time.Hour)}, &clock))
	if r.Status != probe.Critical || !strings.Contains(r.Reason, "is 3h old (limit 1h)") {
		t.Fatalf("%s: %q", r.Status, r.Reason)
	}
}

func TestCancelled(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "a", 1, time.Minute)
	clock := now
	p := newProber(t, Check{Path: dir, MinCount: 1}, &clock)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := p.Probe(ctx); r.Status != probe.Critical || !strings.Contains(r.Reason, "did not finish within the timeout") {
		t.Fatalf("%s: %q", r.Status, r.Reason)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		c    Check
		want string
	}{
		{Check{}, "path: path is required (a folder or a glob such as /var/log/txn/*.log)"},
		{Check{Path: "logs/*.log", MinCount: 1}, `path: "logs/*.log" is not an absolute path: it is read on the host that runs the check`},
		{Check{Path: "/var/log/[", MinCount: 1}, `path: "/var/log/[" is not a valid glob: syntax error in pattern`},
		{Check{Path: "/var/log"}, ": set at least one of oldest_max_age, newest_max_age, min_count, max_count and max_bytes: with none the check can never fail"},
		{Check{Path: "/var/log", MinCount: 5, MaxCount: 2}, "min_count: min_count 5 is above max_count 2"},
		{Check{Path: "/var/log", MaxBytes: -1}, "max_bytes: must not be negative, not -1"},
		{Check{Path: "/var/log", OldestMaxAge: config.Duration(-time.Hour), MinCount: 1}, "oldest_max_age: must not be negative, not -1h0m0s"},
	} {
		var got []string
		for _, e := range tc.c.Validate(nil) {
			got = append(got, e.Field+": "+e.Message)
		}
		if !strings.Contains(strings.Join(got, "\n"), tc.want) {
			t.Errorf("%+v: got %q, want %q", tc.c, got, tc.want)
		}
	}
}
