package disk

import (
	"context"
	"io/fs"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// fakeFS is a host whose filesystems the test sets.
type fakeFS struct {
	mounts []string
	usage  map[string]Usage
	block  chan struct{} // when set, Statfs waits on it: a hung NFS mount
}

func (f *fakeFS) Mounts() ([]string, error) { return f.mounts, nil }

func (f *fakeFS) Statfs(p string) (Usage, error) {
	if f.block != nil {
		<-f.block
	}
	u, ok := f.usage[p]
	if !ok {
		return Usage{}, &fs.PathError{Op: "statfs", Path: p, Err: fs.ErrNotExist}
	}
	return u, nil
}

// used is a filesystem of capacity bytes with used of them in use and no
// blocks reserved.
func used(capacity, used uint64) Usage {
	return Usage{Total: capacity, Free: capacity - used, Avail: capacity - used, Inodes: 1000, InodesFree: 900}
}

func newProber(t *testing.T, c Check, f FS, now func() time.Time) *Prober {
	t.Helper()
	p, err := New(&c)
	if err != nil {
		t.Fatal(err)
	}
	p.fs, p.now = f, now
	return p
}

func TestThresholds(t *testing.T) {
	f := &fakeFS{mounts: []string{"/", "/var", "/srv"}, usage: map[string]Usage{
		"/":    used(100*gib, 40*gib),
		"/var": used(100*gib, 96*gib+gib/10*9), // 96.9% used, 3.1 GiB free
		"/srv": used(10*gib, 9*gib),
	}}
	p := newProber(t, Check{}, f, func() time.Time { return t0 })
	r := p.Probe(context.Background())
	if r.Status != probe.Critical {
		t.Fatalf("status %s: %s", r.Status, r.Reason)
	}
	want := "/var 96.9% used (3.1 GiB free), critical from 95%; /srv 90% used (1.0 GiB free), warning from 85%"
	if r.Reason != want {
		t.Fatalf("reason\n got %q\nwant %q", r.Reason, want)
	}
	metric := func(name string) probe.Metric {
		for _, m := range r.Metrics {
			if m.Name == name {
				return m
			}
		}
		t.Fatalf("no metric %q in %+v", name, r.Metrics)
		return probe.Metric{}
	}
	if m := metric("/var used"); m.Value != 96.9 || m.Unit != "%" || m.Warn != "85" || m.Crit != "95" {
		t.Errorf("/var used = %+v", m)
	}
	if m := metric("/ free"); m.Value != 60*gib || m.Unit != "B" {
		t.Errorf("/ free = %+v", m)
	}
	if m := metric("/srv inodes used"); m.Value != 10 {
		t.Errorf("/srv inodes used = %+v", m)
	}

	f.usage["/var"], f.usage["/srv"] = used(100*gib, 50*gib), used(10*gib, 1*gib)
	if r := p.Probe(context.Background()); r.Status != probe.OK || r.Reason != "3 filesystems below 85% used; fullest /var 50% used (50 GiB free)" {
		t.Fatalf("%s: %s", r.Status, r.Reason)
	}
}

func TestInodesAndMissingMounts(t *testing.T) {
	full := used(100*gib, gib)
	full.InodesFree = 20
	f := &fakeFS{usage: map[string]Usage{"/var": full}}
	warn := 50.0
	p := newProber(t, Check{Mounts: []string{"/var", "/data"}, InodesWarnUsed: &warn}, f, func() time.Time { return t0 })
	r := p.Probe(context.Background())
	want := "/var inodes 98% used (20 free), critical from 95%; /data cannot be read: statfs /data: file does not exist"
	if r.Status != probe.Critical || r.Reason != want {
		t.Fatalf("%s: %q\nwant %q", r.Status, r.Reason, want)
	}
}

// TestForecastPages fills /var by 1.2 GiB an hour, a run a minute: once
// the samples span a quarter of the window the check is critical with the
// time to full, well before any threshold.
func TestForecastPages(t *testing.T) {
	now := t0
	var usedBytes float64 = 40 * gib
	f := &fakeFS{mounts: []string{"/var"}, usage: map[string]Usage{}}
	warn := 90.0
	c := Check{WarnUsed: &warn, Forecast: &Forecast{}}
	p := newProber(t, c, f, func() time.Time { return now })
	if p.window != time.Hour || p.fullWithin != 6*time.Hour {
		t.Fatalf("forecast defaults: window %s, full within %s", p.window, p.fullWithin)
	}
	var r probe.Result
	for i := 0; i <= 60; i++ {
		f.usage["/var"] = used(50*gib, uint64(usedBytes))
		r = p.Probe(context.Background())
		if i < 15 && r.Status != probe.OK {
			t.Fatalf("run %d, %s of samples: %s: %s", i, time.Duration(i)*time.Minute, r.Status, r.Reason)
		}
		now = now.Add(time.Minute)
		usedBytes += 1.2 * gib / 60
	}
	// 41.2 GiB used of 50 at the last run: 8.8 GiB at 1.2 GiB/h is 7h20m.
	if r.Status != probe.OK {
		t.Fatalf("7h20m from full with a 6h limit: %s: %s", r.Status, r.Reason)
	}
	for range 90 {
		f.usage["/var"] = used(50*gib, uint64(usedBytes))
		r = p.Probe(context.Background())
		now = now.Add(time.Minute)
		usedBytes += 1.2 * gib / 60
	}
	// 43 GiB used: 7 GiB left, 5h50m.
	want := "/var full in about 5h50m at the rate of the last 1h (+1.2 GiB/h)"
	if r.Status != probe.Critical || r.Reason != want {
		t.Fatalf("%s: %q\nwant %q", r.Status, r.Reason, want)
	}
	var fullIn *probe.Metric
	for i := range r.Metrics {
		if r.Metrics[i].Name == "/var full in" {
			fullIn = &r.Metrics[i]
		}
	}
	if fullIn == nil || fullIn.Value < 5*3600 || fullIn.Value > 6*3600 || fullIn.Crit != "21600" {
		t.Fatalf("full in metric %+v", fullIn)
	}
}

func TestForecastQuietWithoutBlock(t *testing.T) {
	now := t0
	f := &fakeFS{mounts: []string{"/var"}, usage: map[string]Usage{}}
	p := newProber(t, Check{}, f, func() time.Time { return now })
	for i := range 120 {
		f.usage["/var"] = used(100*gib, uint64(40*gib+i*gib/10))
		if r := p.Probe(context.Background()); r.Status != probe.OK {
			t.Fatalf("run %d: %s: %s", i, r.Status, r.Reason)
		}
		now = now.Add(time.Minute)
	}
	if len(p.series) != 0 {
		t.Fatalf("samples kept without a forecast: %d", len(p.series))
	}
}

func TestHungFilesystem(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeFS{mounts: []string{"/mnt/nas"}, block: make(chan struct{})}
		p := newProber(t, Check{}, f, time.Now)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		start := time.Now()
		if r := p.Probe(ctx); r.Status != probe.Critical || !strings.Contains(r.Reason, "may hang") {
			t.Fatalf("%s: %s", r.Status, r.Reason)
		}
		if waited := time.Since(start); waited != 10*time.Second {
			t.Fatalf("returned after %s, want the 10s timeout", waited)
		}
		close(f.block) // the mount answers at last; the reading ends
		synctest.Wait()
	})
}

// TestHost reads this machine's filesystems for real.
func TestHost(t *testing.T) {
	p, err := New(&Check{Mounts: []string{"/"}})
	if err != nil {
		t.Fatal(err)
	}
	r := p.Probe(context.Background())
	if runtime.GOOS != "linux" {
		if r.Status != probe.Unknown || !strings.Contains(r.Reason, "Linux") {
			t.Fatalf("%s: %s", r.Status, r.Reason)
		}
		return
	}
	if r.Status == probe.Unknown || !strings.Contains(r.Reason, "/ ") || len(r.Metrics) < 2 {
		t.Fatalf("%s: %s %+v", r.Status, r.Reason, r.Metrics)
	}
	all, err := HostFS{}.Mounts()
	if err != nil || len(all) == 0 {
		t.Fatalf("mounts %v, %v", all, err)
	}
	for _, m := range all {
		if m == "/proc" || m == "/sys" {
			t.Fatalf("pseudo filesystem %s listed in %v", m, all)
		}
	}
}

func TestParseMounts(t *testing.T) {
	table := `/dev/sda1 / ext4 rw,relatime 0 0
proc /proc proc rw,nosuid 0 0
tmpfs /run tmpfs rw 0 0
/dev/sdb1 /var/log/txn xfs rw 0 0
/dev/sdc1 /mnt/my\040disk ext4 rw 0 0
/dev/loop0 /snap/core/1 squashfs ro 0 0
/dev/sda1 / ext4 rw,relatime 0 0
/dev/sda1 /etc/hosts ext4 rw,relatime 0 0
nas:/export /mnt/nas nfs4 rw 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw 0 0
`
	got, err := parseMounts(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/", "/var/log/txn", "/mnt/my disk", "/mnt/nas"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestValidate(t *testing.T) {
	bad, low := 120.0, 10.0
	c := Check{Mounts: []string{"var", "/x", "/x/"}, WarnUsed: &bad, CritUsed: &low, Forecast: &Forecast{Window: config.Duration(2 * time.Minute)}}
	c.Defaults(nil, func(k string) bool { return k == "disk.forecast.full_within" })
	m := &config.Monitor{Interval: config.Duration(time.Minute)}
	var got []string
	for _, e := range c.Validate(m) {
		got = append(got, e.Field+": "+e.Message)
	}
	joined := strings.Join(got, "\n")
	for _, w := range []string{
		`mounts[0]: "var" is not an absolute path`,
		`mounts[2]: /x/ is listed twice`,
		`warn_used: 120 is not a percentage above 0 and at most 100`,
		`warn_used: warn_used 120% is above crit_used 10%`,
		`forecast.full_within: must be longer than zero, not 0s`,
		`forecast.window: window 2m0s holds fewer than 5 runs at the monitor's interval 1m0s: make it at least 5m0s`,
	} {
		if !strings.Contains(joined, w) {
			t.Errorf("missing %q in\n%s", w, joined)
		}
	}
	if _, err := New(&Check{Mounts: []string{"relative"}}); err == nil || !strings.Contains(err.Error(), "not an absolute path") {
		t.Fatal("New accepts a relative mount")
	}
}
