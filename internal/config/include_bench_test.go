package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLoad100k reads and checks 100,000 HTTP monitors spread over ten
// included files that use defaults, as a large install writes them; the
// 10,000 case beside it shows the cost grows linearly.
func BenchmarkLoad100k(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchLoad(b, 10, n/10) })
	}
}

func benchLoad(b *testing.B, files, perFile int) {
	dir := b.TempDir()
	main := "storage: {dsn: \":memory:\"}\nchannels:\n  - {id: ops, type: inbox}\nservices:\n  - {id: web, name: Web}\ninclude: [\"monitors/*.yaml\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "tocsin.yaml"), []byte(main), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "monitors"), 0o755); err != nil {
		b.Fatal(err)
	}
	for f := range files {
		var s strings.Builder
		s.WriteString("defaults:\n  service: web\n  interval: 60s\n  timeout: 10s\n  failure_threshold: 2\n  channels: [ops]\nmonitors:\n")
		for i := range perFile {
			fmt.Fprintf(&s, "  - {id: m%d-%d, http: {url: \"http://10.%d.%d.%d:8080/health\"}}\n", f, i, f, i/250, i%250)
		}
		if err := os.WriteFile(filepath.Join(dir, "monitors", fmt.Sprintf("part%02d.yaml", f)), []byte(s.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		cfg, err := Load(filepath.Join(dir, "tocsin.yaml"), testKinds)
		if err != nil {
			b.Fatal(err)
		}
		if len(cfg.Monitors) != files*perFile {
			b.Fatalf("%d monitors, want %d", len(cfg.Monitors), files*perFile)
		}
	}
}
