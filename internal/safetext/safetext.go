// Package safetext makes untrusted text storable: valid UTF-8 with no NUL
// bytes, cut on a character boundary. PostgreSQL refuses text holding an
// invalid UTF-8 sequence or a NUL byte (and refuses the whole statement it
// came in), SQLite stores it and hands back bytes that are not text; both
// are avoided by passing every stored string through Valid or Cut.
package safetext

import (
	"strings"
	"unicode/utf8"
)

// Replacement stands in for each invalid UTF-8 sequence.
const Replacement = "\uFFFD"

// Valid returns s as valid UTF-8 without NUL bytes: each run of invalid
// bytes becomes one U+FFFD and NUL bytes are dropped. A string that is
// already valid is returned as it is, without allocating.
func Valid(s string) string {
	if clean(s) {
		return s
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return strings.ToValidUTF8(s, Replacement)
}

// Cut returns Valid(s) cut to at most max bytes on a character boundary,
// and whether anything was cut off. max <= 0 means no limit.
func Cut(s string, max int) (string, bool) {
	s = Valid(s)
	if max <= 0 || len(s) <= max {
		return s, false
	}
	return s[:boundary(s, max)], true
}

// CutBytes cuts b to at most max bytes, and says whether it did. Bytes
// need not be text, so nothing is replaced; but when the cut would split
// a UTF-8 character at the end, the partial character goes too (at most
// three bytes more), so a text body stays text. max <= 0 means no limit.
func CutBytes(b []byte, max int) ([]byte, bool) {
	if max <= 0 || len(b) <= max {
		return b, false
	}
	b = b[:max]
	// Back off over at most one partial character: up to UTFMax-1
	// continuation bytes after the start byte of a rune that does not fit.
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i], true
			}
			break
		}
	}
	return b, true
}

// boundary returns the largest n <= max such that s[:n] ends on a
// character boundary; s must be valid UTF-8 and longer than max.
func boundary(s string, max int) int {
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// clean reports whether s is valid UTF-8 without NUL bytes.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == 0 {
			return false
		} else if c >= utf8.RuneSelf {
			return utf8.ValidString(s[i:]) && strings.IndexByte(s[i:], 0) < 0
		}
	}
	return true
}
