package testkit

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// Pipe returns the two ends of an in-memory connection whose writes are
// buffered, unlike net.Pipe, so protocols where both sides write at once
// (SSH) do not deadlock. Blocking on it is durable in a synctest bubble,
// and deadlines follow the bubble's clock.
func Pipe() (net.Conn, net.Conn) {
	ab, ba := newHalf(), newHalf()
	return &pipeConn{r: ba, w: ab}, &pipeConn{r: ab, w: ba}
}

// half is one direction of a Pipe.
type half struct {
	mu       sync.Mutex
	cond     *sync.Cond
	buf      []byte
	closed   bool
	deadline time.Time
	timer    *time.Timer
}

func newHalf() *half {
	h := &half{}
	h.cond = sync.NewCond(&h.mu)
	return h
}

func (h *half) read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.buf) == 0 && !h.closed && !h.expired() {
		h.cond.Wait()
	}
	switch {
	case len(h.buf) > 0:
		n := copy(p, h.buf)
		h.buf = h.buf[n:]
		return n, nil
	case h.closed:
		return 0, io.EOF
	default:
		return 0, os.ErrDeadlineExceeded
	}
}

func (h *half) write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, io.ErrClosedPipe
	}
	h.buf = append(h.buf, p...)
	h.cond.Broadcast()
	return len(p), nil
}

func (h *half) close() {
	h.mu.Lock()
	h.closed = true
	if h.timer != nil {
		h.timer.Stop()
	}
	h.cond.Broadcast()
	h.mu.Unlock()
}

func (h *half) expired() bool { return !h.deadline.IsZero() && !time.Now().Before(h.deadline) }

func (h *half) setDeadline(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.deadline = t
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	if !t.IsZero() && !h.closed {
		h.timer = time.AfterFunc(time.Until(t), func() {
			h.mu.Lock()
			h.cond.Broadcast()
			h.mu.Unlock()
		})
	}
	h.cond.Broadcast()
}

type pipeConn struct{ r, w *half }

func (c *pipeConn) Read(p []byte) (int, error)  { return c.r.read(p) }
func (c *pipeConn) Write(p []byte) (int, error) { return c.w.write(p) }

// Close ends both directions: the peer reads EOF.
func (c *pipeConn) Close() error {
	c.r.close()
	c.w.close()
	return nil
}

func (c *pipeConn) LocalAddr() net.Addr  { return pipeAddr("pipe") }
func (c *pipeConn) RemoteAddr() net.Addr { return pipeAddr("pipe") }

// SetDeadline bounds reads; writes never block.
func (c *pipeConn) SetDeadline(t time.Time) error     { c.r.setDeadline(t); return nil }
func (c *pipeConn) SetReadDeadline(t time.Time) error { c.r.setDeadline(t); return nil }
func (c *pipeConn) SetWriteDeadline(time.Time) error  { return nil }
