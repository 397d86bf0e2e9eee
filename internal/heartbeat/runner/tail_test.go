package runner

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// FuzzTail writes chunks into a tail and compares it with keeping the
// whole stream and cutting it at the end.
func FuzzTail(f *testing.F) {
	f.Add([]byte("hello world, this is a longer stream"), uint8(7), uint8(3), uint8(5))
	f.Add([]byte("héllo wörld ✓✓✓"), uint8(4), uint8(1), uint8(4))
	f.Add([]byte("abc"), uint8(0), uint8(2), uint8(0))
	f.Add(bytes.Repeat([]byte("x"), 300), uint8(100), uint8(77), uint8(50))
	f.Fuzz(func(t *testing.T, data []byte, limit, chunk, n uint8) {
		tl := newTail(int(limit))
		step := int(chunk) + 1
		for i := 0; i < len(data); i += step {
			_, _ = tl.Write(data[i:min(i+step, len(data))])
		}
		got, cut := tl.last(int(n))
		keep := min(int(limit), int(n))
		want := data[max(0, len(data)-keep):]
		wantCut := len(data) > keep
		if wantCut {
			for i := 0; i < utf8.UTFMax-1 && len(want) > 0 && !utf8.RuneStart(want[0]); i++ {
				want = want[1:]
			}
		}
		if !bytes.Equal(got, want) || cut != wantCut {
			t.Fatalf("limit %d, chunk %d, last(%d) of %q = %q, %v; want %q, %v", limit, step, n, data, got, cut, want, wantCut)
		}
	})
}
