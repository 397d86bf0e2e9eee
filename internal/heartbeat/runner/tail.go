package runner

import (
	"io"
	"sync"
	"unicode/utf8"
)

// tail keeps the last cap bytes written to it. Stdout and stderr are copied
// into one tail from two goroutines, hence the lock.
type tail struct {
	mu    sync.Mutex
	buf   []byte
	pos   int // next write position once the buffer is full
	full  bool
	total int64
}

func newTail(limit int) *tail { return &tail{buf: make([]byte, 0, limit)} }

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	t.total += int64(n)
	c := cap(t.buf)
	if c == 0 {
		return n, nil
	}
	if len(p) >= c {
		t.buf = append(t.buf[:0], p[len(p)-c:]...)
		t.pos, t.full = 0, true
		return n, nil
	}
	if !t.full {
		room := c - len(t.buf)
		if len(p) <= room {
			t.buf = append(t.buf, p...)
			t.full = len(t.buf) == c
			return n, nil
		}
		t.buf = append(t.buf, p[:room]...)
		p = p[room:]
		t.full = true
	}
	for len(p) > 0 {
		k := copy(t.buf[t.pos:], p)
		p = p[k:]
		t.pos = (t.pos + k) % c
	}
	return n, nil
}

// last returns at most n of the newest bytes, in order, and whether any
// output was left out. A cut never starts in the middle of a UTF-8
// sequence, so text output stays valid text.
func (t *tail) last(n int) (out []byte, cut bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ordered := make([]byte, 0, len(t.buf))
	if t.full {
		ordered = append(ordered, t.buf[t.pos:]...)
		ordered = append(ordered, t.buf[:t.pos]...)
	} else {
		ordered = append(ordered, t.buf...)
	}
	cut = t.total > int64(len(ordered))
	if n >= 0 && len(ordered) > n {
		ordered = ordered[len(ordered)-n:]
		cut = true
	}
	if cut {
		for i := 0; i < utf8.UTFMax-1 && len(ordered) > 0 && !utf8.RuneStart(ordered[0]); i++ {
			ordered = ordered[1:]
		}
	}
	return ordered, cut
}

// tee copies a stream to the tail and passes it through to the caller. A
// caller that stops reading (a closed pipe) must not stop the command or
// the capture, so write errors on out only stop the pass-through.
type tee struct {
	t      *tail
	out    io.Writer
	broken bool
}

func (w *tee) Write(p []byte) (int, error) {
	_, _ = w.t.Write(p)
	if w.out != nil && !w.broken {
		if _, err := w.out.Write(p); err != nil {
			w.broken = true
		}
	}
	return len(p), nil
}
