package probe

import "sync"

// LimitedBuffer keeps the first Max bytes written to it and counts the rest
// without keeping them, so a target that prints megabytes costs no memory.
// Writes never fail, so a writer copying into it drains its source. It is
// safe for concurrent writers (a command's stdout and stderr).
type LimitedBuffer struct {
	Max   int
	mu    sync.Mutex
	buf   []byte
	total int64
}

// Write keeps what fits under Max and reports all of p as written.
func (b *LimitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.Max - len(b.buf); room > 0 {
		b.buf = append(b.buf, p[:min(room, len(p))]...)
	}
	b.total += int64(len(p))
	return len(p), nil
}

// Bytes returns the kept bytes.
func (b *LimitedBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf
}

// Total is how many bytes were written, kept or not.
func (b *LimitedBuffer) Total() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

// Truncated reports whether more was written than kept.
func (b *LimitedBuffer) Truncated() bool { return b.Total() > int64(len(b.Bytes())) }
