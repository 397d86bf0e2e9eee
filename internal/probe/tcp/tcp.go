// Package tcp is the TCP probe: connect, optionally wrap the connection in
// TLS, optionally send a line and look for a substring in what the server
// sends back (banner checks such as "SSH-2.0" or "+PONG").
package tcp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
)

// MaxRead is the most the probe reads while looking for the expected text.
const MaxRead = 64 << 10

// readChunk is the size of one read while looking for the expected text.
const readChunk = 4 << 10

// pooledCap is the largest read buffer kept for reuse.
const pooledCap = 16 << 10

// bufPool shares the read buffers of all TCP probers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, readChunk); return &b }}

// Prober runs the tcp check of one monitor.
type Prober struct {
	address string
	send    []byte
	expect  []byte
	tlsConf *tls.Config // nil for plain TCP
	now     func() time.Time
}

// New provisions a tcp prober from its block, loading TLS material once.
func New(c *Check) (*Prober, error) {
	if c == nil {
		return nil, errors.New("tcp check has no tcp block")
	}
	if err := config.JoinFieldErrors("tcp", c.Validate(nil)); err != nil {
		return nil, err
	}
	p := &Prober{address: c.Address, now: time.Now}
	if c.Send != "" {
		p.send = []byte(c.Send)
	}
	if c.Expect != "" {
		p.expect = []byte(c.Expect)
	}
	if c.TLS {
		host, _, err := net.SplitHostPort(c.Address)
		if err != nil {
			return nil, fmt.Errorf("tcp check address %q: %w", c.Address, err)
		}
		conf, err := tlsx.ClientConfig(&c.TLSConfig, host)
		if err != nil {
			return nil, fmt.Errorf("tcp check %s: %w", c.Address, err)
		}
		p.tlsConf = conf
	}
	return p, nil
}

// Probe connects and runs the optional TLS handshake, send and expect.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	run := probe.Begin(p.now, "tcp "+p.address+": ", probe.NewTrace())
	tr, res, finish, fail := run.Trace, &run.Res, run.Finish, run.Fail
	elapsed := func() string { return probe.FormatDuration(run.Elapsed()) }

	raw, err := probe.Dial(ctx, p.address, tr)
	if err != nil {
		return fail(probe.FailureStatus(err), withElapsed(probe.ErrorReason(err), elapsed()))
	}
	var conn net.Conn = raw
	defer func() { _ = conn.Close() }()
	stop := tlsx.BindDeadline(ctx, raw)
	defer stop()

	summary := "connected in " + elapsed()
	if p.tlsConf != nil {
		tc := tls.Client(raw, p.tlsConf)
		conn = tc
		tr.TLSStart()
		err := tc.HandshakeContext(ctx)
		tr.TLSDone()
		if err != nil {
			var verr *tls.CertificateVerificationError
			if errors.As(err, &verr) && len(verr.UnverifiedCertificates) > 0 {
				res.CertExpiry = verr.UnverifiedCertificates[0].NotAfter.UTC()
			}
			return fail(probe.FailureStatus(err), "tls: "+withElapsed(probe.ErrorReason(err), elapsed()))
		}
		st := tc.ConnectionState()
		if len(st.PeerCertificates) > 0 {
			res.CertExpiry = st.PeerCertificates[0].NotAfter.UTC()
		}
		summary += ", " + tls.VersionName(st.Version)
	}

	if len(p.send) > 0 {
		if _, err := conn.Write(p.send); err != nil {
			return fail(probe.FailureStatus(err), "sending: "+withElapsed(probe.ErrorReason(err), elapsed()))
		}
	}
	if len(p.expect) == 0 {
		return finish(probe.OK, summary)
	}

	tr.WaitStart()
	bp := bufPool.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= pooledCap {
			*bp = (*bp)[:0]
			bufPool.Put(bp)
		}
	}()
	got, found, err := readUntil(conn, (*bp)[:0], p.expect, tr)
	*bp = got[:0]
	res.Metrics = []probe.Metric{{Name: "received_bytes", Value: float64(len(got)), Unit: "B", Min: "0"}}
	if found {
		return finish(probe.OK, fmt.Sprintf("got %q in %s", p.expect, elapsed()))
	}
	seen := fmt.Sprintf("got %d bytes: %q", len(got), probe.Clip(string(got), 80))
	if len(got) == 0 {
		seen = "got nothing"
	}
	switch {
	case err == nil:
		return fail(probe.Critical, fmt.Sprintf("%q not found in the first %d bytes (%s)", p.expect, MaxRead, seen))
	case errors.Is(err, io.EOF):
		return fail(probe.Critical, fmt.Sprintf("connection closed before %q was received (%s)", p.expect, seen))
	case probe.IsTimeout(err):
		return fail(probe.FailureStatus(ctx.Err()), fmt.Sprintf("timed out after %s waiting for %q (%s)", elapsed(), p.expect, seen))
	default:
		return fail(probe.FailureStatus(err), fmt.Sprintf("reading: %s (%s)", probe.ErrorReason(err), seen))
	}
}

// readUntil reads from r into buf until want appears, MaxRead bytes have
// been read, or a read fails. found reports whether want was seen; err is
// nil only when found or the limit was reached.
func readUntil(r io.Reader, buf, want []byte, tr *probe.Trace) (got []byte, found bool, err error) {
	first := true
	for len(buf) < MaxRead {
		if cap(buf)-len(buf) < readChunk/2 {
			buf = slices.Grow(buf, readChunk)
		}
		n, rerr := r.Read(buf[len(buf):min(cap(buf), MaxRead)])
		if n > 0 && first {
			tr.FirstByte()
			first = false
		}
		// Only the new bytes and the overlap with the old can complete want.
		from := max(0, len(buf)-len(want)+1)
		buf = buf[:len(buf)+n]
		if bytes.Contains(buf[from:], want) {
			return buf, true, nil
		}
		if rerr != nil {
			return buf, false, rerr
		}
	}
	return buf, false, nil
}

// withElapsed adds the elapsed time to a bare timeout reason.
func withElapsed(reason, elapsed string) string {
	if reason == "timed out" {
		return reason + " after " + elapsed
	}
	return reason
}

var _ probe.Prober = (*Prober)(nil)
