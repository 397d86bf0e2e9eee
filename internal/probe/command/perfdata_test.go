package command

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tocsin/tocsin/internal/probe"
)

func TestParseOutput(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Output
	}{
		{"summary only", "PING OK - Packet loss = 0%\n", Output{Summary: "PING OK - Packet loss = 0%"}},
		{"one line", "DISK OK - free space: / 3326 MB (56%) | /=2643MB;5948;5958;0;5968\n", Output{
			Summary: "DISK OK - free space: / 3326 MB (56%)",
			Metrics: []probe.Metric{{Name: "/", Value: 2643, Unit: "MB", Warn: "5948", Crit: "5958", Min: "0", Max: "5968"}},
		}},
		{"quoted labels and units", "OK | 'free space'=12.5GB;;;0 time=0.02s 'it''s'=3c load1=0.5;@1:2;~:4\n", Output{
			Summary: "OK",
			Metrics: []probe.Metric{
				{Name: "free space", Value: 12.5, Unit: "GB", Min: "0"},
				{Name: "time", Value: 0.02, Unit: "s"},
				{Name: "it's", Value: 3, Unit: "c"},
				{Name: "load1", Value: 0.5, Warn: "@1:2", Crit: "~:4"},
			},
		}},
		{"multi-line", "DISK CRITICAL - /var is full | /=40%;90;95\n/ 40%\n/var 98% | /var=98%;90;95\n/home=12%;90;95;0;100\n", Output{
			Summary:  "DISK CRITICAL - /var is full",
			LongText: "/ 40%\n/var 98%",
			Metrics: []probe.Metric{
				{Name: "/", Value: 40, Unit: "%", Warn: "90", Crit: "95"},
				{Name: "/var", Value: 98, Unit: "%", Warn: "90", Crit: "95"},
				{Name: "/home", Value: 12, Unit: "%", Warn: "90", Crit: "95", Min: "0", Max: "100"},
			},
		}},
		{"bad items are skipped", "OK | novalue= x=abc y=1;2;3;4;5;6 z=-1.5e3ms;; 'open=1\n", Output{
			Summary: "OK", Skipped: 4,
			Metrics: []probe.Metric{{Name: "z", Value: -1500, Unit: "ms"}},
		}},
		{"CRLF", "WARNING - slow\r\nline two\r\n", Output{Summary: "WARNING - slow", LongText: "line two"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseOutput(tt.in)
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("ParseOutput(%q) (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

func TestPerfdataIsBounded(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		b.WriteString("m")
		b.WriteString(strings.Repeat("x", i%5))
		b.WriteString("=1 ")
	}
	b.WriteString(strings.Repeat("l", 100) + "=1")
	ms, skipped := ParsePerfdata(b.String())
	if len(ms) != MaxMetrics || skipped != 101-MaxMetrics {
		t.Errorf("got %d metrics, %d skipped; want %d and %d", len(ms), skipped, MaxMetrics, 101-MaxMetrics)
	}
}

// FuzzParseOutput checks that any output parses without panicking into
// bounded, finite metrics.
func FuzzParseOutput(f *testing.F) {
	for _, s := range []string{
		"OK | a=1",
		"DISK OK | /=2643MB;5948;5958;0;5968",
		"x | 'a b'=1;2;3;4;5\nlong | c=3%",
		"| '''=1 ''=2 '=3",
		"OK | a=1e b=1e5 c=-.5 d=+3 e=NaN f=Inf g=1e400",
		"\n|\n|\n|",
		"OK | a=1;;;;",
		"OK | =1 a== b=;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o := ParseOutput(s)
		if len(o.Metrics) > MaxMetrics {
			t.Fatalf("%d metrics", len(o.Metrics))
		}
		if len(o.Summary) > maxSummaryLine+len("…") {
			t.Fatalf("summary of %d bytes", len(o.Summary))
		}
		for _, m := range o.Metrics {
			if m.Name == "" || len(m.Name) > maxLabel {
				t.Fatalf("label %q", m.Name)
			}
			if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
				t.Fatalf("value %v", m.Value)
			}
			for _, th := range []string{m.Warn, m.Crit, m.Min, m.Max} {
				if len(th) > maxThreshold {
					t.Fatalf("threshold %q", th)
				}
			}
		}
	})
}
