package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValid(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"curl/8.5.0", "curl/8.5.0"},
		{"naïve – ok ✓", "naïve – ok ✓"},
		{"a\xffb", "a\uFFFDb"},
		{"a\xff\xfe\xfdb", "a\uFFFDb"}, // one replacement per run
		{"a\x00b\x00", "ab"},
		{"\x00", ""},
		{"\xc3", "\uFFFD"},             // a lone lead byte
		{"\xe2\x82", "\uFFFD"},         // a character cut short
		{"\xed\xa0\x80", "\uFFFD"},     // a UTF-16 surrogate
		{"\xc0\xaf", "\uFFFD"},         // an overlong '/'
		{"é\x00\xff", "é\uFFFD"},       // NUL after non-ASCII
		{"\x00\xff\x00", "\uFFFD"},     // NULs around an invalid byte
		{"\xf4\x90\x80\x80", "\uFFFD"}, // past U+10FFFF
	}
	for _, tc := range tests {
		if got := Valid(tc.in); got != tc.want {
			t.Errorf("Valid(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValidDoesNotAllocateForCleanText(t *testing.T) {
	s := strings.Repeat("Mozilla/5.0 (X11; Linux) – ", 8)
	if n := testing.AllocsPerRun(100, func() { _ = Valid(s) }); n != 0 {
		t.Errorf("Valid of clean text allocates %v times", n)
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
		cut  bool
	}{
		{"abc", 3, "abc", false},
		{"abcd", 3, "abc", true},
		{"ab€", 4, "ab", true},   // € is 3 bytes: never half of it
		{"ab€", 5, "ab€", false}, // exactly fits
		{"€€", 4, "€", true},
		{"a\xffb", 3, "a", true}, // U+FFFD (3 bytes) does not fit after "a"
		{"a\x00b", 2, "ab", false},
		{"anything", 0, "anything", false},
		{strings.Repeat("é", 200), 255, strings.Repeat("é", 127), true},
	}
	for _, tc := range tests {
		got, cut := Cut(tc.in, tc.max)
		if got != tc.want || cut != tc.cut {
			t.Errorf("Cut(%q, %d) = %q, %v; want %q, %v", tc.in, tc.max, got, cut, tc.want, tc.cut)
		}
	}
}

func TestCutBytes(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
		cut  bool
	}{
		{"abc", 5, "abc", false},
		{"abcdef", 3, "abc", true},
		{"ab€x", 4, "ab", true},                   // the partial € goes
		{"ab€x", 5, "ab€", true},                  // a whole € stays
		{"a😀", 4, "a", true},                      // 4-byte character
		{"\xff\xfe\xfd\xfc", 2, "\xff\xfe", true}, // binary: nothing to back off over
		{"a\x00b\x00c", 4, "a\x00b\x00", true},    // bytes keep NULs
	}
	for _, tc := range tests {
		got, cut := CutBytes([]byte(tc.in), tc.max)
		if string(got) != tc.want || cut != tc.cut {
			t.Errorf("CutBytes(%q, %d) = %q, %v; want %q, %v", tc.in, tc.max, got, cut, tc.want, tc.cut)
		}
	}
}

func FuzzCut(f *testing.F) {
	for _, s := range []string{"", "abc", "a\xffb", "€€€", "\x00\x00", "\xed\xa0\x80x"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 1 << 10
		got, cut := Cut(s, max)
		if !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 {
			t.Fatalf("Cut(%q, %d) = %q: not clean text", s, max, got)
		}
		if max > 0 && len(got) > max {
			t.Fatalf("Cut(%q, %d) = %q: longer than the limit", s, max, got)
		}
		if full := Valid(s); !strings.HasPrefix(full, got) || cut != (got != full) {
			t.Fatalf("Cut(%q, %d) = %q, %v: not a prefix of %q or wrong flag", s, max, got, cut, full)
		}
		b, bcut := CutBytes([]byte(s), max)
		if !strings.HasPrefix(s, string(b)) || (max > 0 && len(b) > max) || bcut != (max > 0 && len(s) > max) {
			t.Fatalf("CutBytes(%q, %d) = %q, %v", s, max, b, bcut)
		}
		if utf8.ValidString(s) && !utf8.Valid(b) {
			t.Fatalf("CutBytes(%q, %d) = %q: text became invalid", s, max, b)
		}
	})
}
