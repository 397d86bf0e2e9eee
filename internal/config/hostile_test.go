package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadRefusesLargeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tocsin.yaml")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse 10 MB file: refused from its size, before any reading.
	if err := f.Truncate(10 << 20); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path, testKinds)
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("Load(10 MB file, testKinds) = %v, want config.Errors", err)
	}
	if want := "the file is 10.0 MiB, larger than the 4 MiB limit"; len(es) != 1 || es[0].Message != want {
		t.Errorf("Load(10 MB file, testKinds) = %q, want one error %q", err, want)
	}
}

func TestParseRefusesLargeInput(t *testing.T) {
	data := append([]byte("server: {}\n"), bytes.Repeat([]byte("# padding\n"), MaxFileSize/10)...)
	_, err := Parse(data, "big.yaml", testKinds)
	if err == nil || !strings.Contains(err.Error(), "larger than the 4 MiB limit") {
		t.Fatalf("Parse(%d bytes) = %v, want a size error", len(data), err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), testKinds)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing, testKinds) = %v, want an error wrapping os.ErrNotExist", err)
	}
}

// TestAliasExpansionIsBounded feeds a document whose aliases would expand
// to about 10^8 monitors' worth of values if followed naively.
func TestAliasExpansionIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-json: &j {path: $.a}\nmonitors:\n  - &m\n    id: a\n    type: http\n    http:\n      url: http://127.0.0.1/\n      expect:\n        json: [")
	for i := range 10_000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("*j")
	}
	b.WriteString("]\n")
	for range 10_000 {
		b.WriteString("  - *m\n")
	}
	_, err := Parse([]byte(b.String()), "bomb.yaml", testKinds)
	if err == nil || !strings.Contains(err.Error(), "excessive aliasing") {
		t.Fatalf("Parse(alias bomb) = %.300v, want an excessive aliasing error", err)
	}
}

func TestBillionLaughsInAField(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-bomb:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("channels:\n  - id: c\n    type: email\n    email: {host: h, from: a@example.com, to: *l9}\n")
	_, err := Parse([]byte(b.String()), "bomb.yaml", testKinds)
	if err == nil {
		t.Fatal("Parse(billion laughs) succeeded")
	}
}

func TestDeepNesting(t *testing.T) {
	for _, tc := range []struct{ name, open, close string }{
		{"flow lists", "[", "]"},
		{"flow maps", "{a: ", "}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const depth = 200_000
			data := "monitors: " + strings.Repeat(tc.open, depth) + strings.Repeat(tc.close, depth) + "\n"
			if _, err := Parse([]byte(data), "deep.yaml", testKinds); err == nil {
				t.Fatal("Parse(deeply nested) succeeded")
			}
		})
	}
	t.Run("block maps", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("monitors:\n")
		for i := range 5_000 {
			b.WriteString(strings.Repeat(" ", i+1))
			b.WriteString("a:\n")
		}
		if _, err := Parse([]byte(b.String()), "deep.yaml", testKinds); err == nil {
			t.Fatal("Parse(deeply nested) succeeded")
		}
	})
}

func TestNonMappingDocuments(t *testing.T) {
	for _, data := range []string{"", "   \n\t\n", "# only a comment\n", "~\n", "null\n", "---\n", "- a\n- b\n", "42\n", "\"text\"\n", "!!binary aGVsbG8=\n"} {
		cfg, err := Parse([]byte(data), "x.yaml", testKinds)
		if err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", data, cfg)
			continue
		}
		var es Errors
		if !errors.As(err, &es) || len(es) == 0 {
			t.Errorf("Parse(%q) = %v, want config.Errors", data, err)
		}
	}
}

// FuzzParse checks that no input makes Parse panic, and that whatever it
// accepts comes with its defaults applied. Seeds are the test fixtures.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/good/*.yaml", "testdata/bad/*.yaml", "../../examples/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add(Starter())
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, filepath.Join(t.TempDir(), "fuzz.yaml"), testKinds)
		if err != nil {
			var es Errors
			if errors.As(err, &es) && len(es) == 0 {
				t.Fatal("Parse returned an empty Errors")
			}
			return
		}
		if cfg.Server.Listen == "" || cfg.Storage.Driver == "" {
			t.Fatalf("accepted config lacks defaults: %+v", cfg)
		}
		for _, m := range cfg.Monitors {
			if m.Interval <= 0 || m.Timeout <= 0 || m.Timeout > m.Interval {
				t.Fatalf("accepted monitor %q with interval %s and timeout %s", m.ID, m.Interval, m.Timeout)
			}
		}
	})
}
