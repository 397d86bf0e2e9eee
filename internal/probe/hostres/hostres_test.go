package hostres

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
)

// fakeProc writes the given files into a new folder laid out like /proc.
func fakeProc(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const fourCPUs = "cpu  10 0 10 100 0 0 0 0 0 0\ncpu0 1 0 1 10 0 0 0 0 0 0\ncpu1 1 0 1 10 0 0 0 0 0 0\ncpu2 1 0 1 10 0 0 0 0 0 0\ncpu3 1 0 1 10 0 0 0 0 0 0\nbtime 1700000000\n"

func meminfo(totalKB, availKB, swapTotalKB, swapFreeKB string) string {
	s := "MemTotal:       " + totalKB + " kB\nMemFree:         100 kB\n"
	if availKB != "" {
		s += "MemAvailable:   " + availKB + " kB\n"
	}
	return s + "SwapTotal:      " + swapTotalKB + " kB\nSwapFree:       " + swapFreeKB + " kB\n"
}

func bptr(b bool) *bool { return &b }

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		block   Load
		loadavg string
		stat    string
		status  probe.Status
		reason  string
		metric  probe.Metric // the metric the thresholds are on
	}{
		{"quiet per CPU", Load{}, "0.50 1.00 1.50 1/100 42\n", fourCPUs, probe.OK,
			"load 0.25 per CPU over 5m (1 on 4 CPUs), warning at 2",
			probe.Metric{Name: "load_per_cpu", Value: 0.25, Warn: "2", Crit: "4", Min: "0"}},
		{"warn per CPU", Load{}, "9.00 8.40 3.00 1/100 42\n", fourCPUs, probe.Warning,
			"load 2.1 per CPU over 5m (8.4 on 4 CPUs), warning at 2",
			probe.Metric{Name: "load_per_cpu", Value: 2.1, Warn: "2", Crit: "4", Min: "0"}},
		{"crit on the 1m average", Load{Average: Average1m, Warn: 1, Crit: 3}, "12.00 8.40 3.00 1/100 42\n", fourCPUs, probe.Critical,
			"load 3 per CPU over 1m (12 on 4 CPUs), critical at 3",
			probe.Metric{Name: "load_per_cpu", Value: 3, Warn: "1", Crit: "3", Min: "0"}},
		{"whole host", Load{PerCPU: bptr(false), Warn: 16, Crit: 32, Average: Average15m}, "40 30 20.5 1/100 42\n", "", probe.Warning,
			"load 20.5 over 15m, warning at 16",
			probe.Metric{Name: "load15", Value: 20.5, Warn: "16", Crit: "32", Min: "0"}},
		{"no loadavg", Load{}, "", fourCPUs, probe.Unknown, "load: cannot read ", probe.Metric{}},
		{"no cpu lines", Load{}, "1 1 1 1/100 42\n", "btime 1700000000\n", probe.Unknown, "load: cannot count the CPUs in ", probe.Metric{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.loadavg != "" {
				files["loadavg"] = tt.loadavg
			}
			if tt.stat != "" {
				files["stat"] = tt.stat
			}
			p, err := NewLoad(&tt.block)
			if err != nil {
				t.Fatal(err)
			}
			p.root = fakeProc(t, files)
			r := p.Probe(t.Context())
			if r.Status != tt.status || !strings.HasPrefix(r.Reason, tt.reason) {
				t.Fatalf("got %v %q, want %v %q", r.Status, r.Reason, tt.status, tt.reason)
			}
			if tt.metric.Name == "" {
				return
			}
			for _, m := range r.Metrics {
				if m.Name == tt.metric.Name {
					if diff := cmp.Diff(tt.metric, m); diff != "" {
						t.Errorf("metric (-want +got):\n%s", diff)
					}
					return
				}
			}
			t.Errorf("no metric %s in %+v", tt.metric.Name, r.Metrics)
		})
	}
}

func TestMemoryAndSwap(t *testing.T) {
	tests := []struct {
		name    string
		swap    bool
		warn    float64
		meminfo string
		status  probe.Status
		reason  string
		used    float64
	}{
		{"memory fine", false, 0, meminfo("16777216", "8388608", "0", "0"), probe.OK,
			"memory 50% used (8.0 GiB of 16 GiB; 8.0 GiB available), warning at 90%", 50},
		{"memory page cache does not count", false, 0, meminfo("1000000", "950000", "0", "0"), probe.OK,
			"memory 5% used", 5},
		{"memory warn", false, 0, meminfo("1000000", "80000", "0", "0"), probe.Warning, "memory 92% used", 92},
		{"memory crit", false, 0, meminfo("1000000", "10000", "0", "0"), probe.Critical,
			"memory 99% used (967 MiB of 977 MiB; 9.8 MiB available), critical at 95%", 99},
		{"memory own threshold", false, 40, meminfo("1000000", "500000", "0", "0"), probe.Warning, "memory 50% used", 50},
		{"old kernel", false, 0, meminfo("1000000", "", "0", "0"), probe.Unknown, "memory: no MemAvailable in ", 0},
		{"no swap", true, 0, meminfo("1000000", "500000", "0", "0"), probe.OK, "no swap on this host", 0},
		{"swap fine", true, 0, meminfo("1000000", "500000", "2097152", "2097152"), probe.OK,
			"swap 0% used (0 B of 2.0 GiB), warning at 50%", 0},
		{"swap crit", true, 0, meminfo("1000000", "500000", "2097152", "209716"), probe.Critical,
			"swap 90% used (1.8 GiB of 2.0 GiB), critical at 80%", 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fakeProc(t, map[string]string{"meminfo": tt.meminfo})
			var pr probe.Prober
			if tt.swap {
				p, err := NewSwap(&Swap{Warn: tt.warn})
				if err != nil {
					t.Fatal(err)
				}
				p.root, pr = root, p
			} else {
				p, err := NewMemory(&Memory{Warn: tt.warn})
				if err != nil {
					t.Fatal(err)
				}
				p.root, pr = root, p
			}
			r := pr.Probe(t.Context())
			if r.Status != tt.status || !strings.HasPrefix(r.Reason, tt.reason) {
				t.Fatalf("got %v %q, want %v %q", r.Status, r.Reason, tt.status, tt.reason)
			}
			if tt.status != probe.Unknown && (len(r.Metrics) == 0 || r.Metrics[0].Value != tt.used) {
				t.Errorf("metrics %+v, want %v%% used first", r.Metrics, tt.used)
			}
		})
	}
}

// TestRealProc reads this host's /proc: the kernel's own files parse.
func TestRealProc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("host checks read Linux /proc")
	}
	l, err := NewLoad(&Load{Warn: 1e6, Crit: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMemory(&Memory{Warn: 100, Crit: 100})
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSwap(&Swap{Warn: 100, Crit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []probe.Prober{l, m, s} {
		r := p.Probe(t.Context())
		if r.Status != probe.OK || len(r.Metrics) == 0 {
			t.Errorf("%T on this host: %v %q %+v", p, r.Status, r.Reason, r.Metrics)
		}
	}
	if r := l.Probe(t.Context()); r.Metrics[3].Name != "cpus" || r.Metrics[3].Value < float64(runtime.NumCPU()) {
		t.Errorf("cpus metric %+v, this process sees %d CPUs", r.Metrics[3], runtime.NumCPU())
	}
}

func TestNotLinux(t *testing.T) {
	p, err := NewMemory(&Memory{})
	if err != nil {
		t.Fatal(err)
	}
	p.goos = "darwin"
	r := p.Probe(t.Context())
	if want := "memory: memory checks read /proc, which this host (darwin) does not have: host checks run on Linux"; r.Status != probe.Unknown || r.Reason != want {
		t.Errorf("got %v %q, want Unknown %q", r.Status, r.Reason, want)
	}
}

func TestValidate(t *testing.T) {
	never := func(string) bool { return false }
	withDefaults := func(b config.Block) config.Block { b.Defaults(nil, never); return b }
	tests := []struct {
		name  string
		block config.Block
		want  []config.FieldError
	}{
		{"load defaults", withDefaults(&Load{}), nil},
		{"load whole host needs thresholds", withDefaults(&Load{PerCPU: bptr(false)}), []config.FieldError{{Message: "with per_cpu: false, set warn and crit for the whole host (for example warn: 16, crit: 32 on 8 CPUs)"}}},
		{"load bad average", withDefaults(&Load{Average: "10m"}), []config.FieldError{{Field: "average", Message: `average "10m" must be 1m, 5m or 15m`}}},
		{"load warn above crit", withDefaults(&Load{Warn: 5}), []config.FieldError{{Field: "warn", Message: "warn (5) must not be above crit (4)"}}},
		{"load negative", withDefaults(&Load{Crit: -1}), []config.FieldError{{Field: "crit", Message: "crit must be more than 0, found -1"}}},
		{"load infinite", withDefaults(&Load{Crit: math.Inf(1)}), []config.FieldError{{Field: "crit", Message: "crit must be a finite number, found +Inf"}}},
		{"memory defaults", withDefaults(&Memory{}), nil},
		{"memory over 100", withDefaults(&Memory{Crit: 120}), []config.FieldError{{Field: "crit", Message: "crit is a percentage, at most 100, found 120"}}},
		{"swap zero written", (&Swap{Crit: 80}), []config.FieldError{{Field: "warn", Message: "warn must be more than 0, found 0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.block.Validate(nil)); diff != "" {
				t.Errorf("Validate() (-want +got):\n%s", diff)
			}
		})
	}
}
