package sftp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// The directory listing is read with a small client of its own because
// pkg/sftp's ReadDir returns every entry at once: a folder of 100,000
// exports would be held in memory whole. This client streams READDIR
// batches (SFTP version 3, draft-ietf-secsh-filexfer-02) to a callback and
// keeps nothing, so memory is bounded by one packet.

// maxPacket bounds one SFTP packet from the server; a READDIR batch of a
// real server is far smaller.
const maxPacket = 1 << 20

// SFTP packet types and status codes used here.
const (
	fxpInit    = 1
	fxpVersion = 2
	fxpClose   = 4
	fxpOpendir = 11
	fxpReaddir = 12
	fxpStatus  = 101
	fxpHandle  = 102
	fxpName    = 104

	fxOK  = 0
	fxEOF = 1
)

// Attribute flags and file type bits.
const (
	attrSize        = 0x1
	attrUIDGID      = 0x2
	attrPermissions = 0x4
	attrACModTime   = 0x8
	attrExtended    = 0x80000000

	modeType    = 0o170000
	modeRegular = 0o100000
)

// entry is one listed name with the attributes the checks need.
type entry struct {
	name    string
	size    int64
	modTime time.Time
	regular bool
}

// StatusError is an SFTP status reply.
type StatusError struct {
	Code    uint32
	Message string
}

func (e *StatusError) Error() string {
	switch e.Code {
	case 2:
		return "no such file or folder"
	case 3:
		return "permission denied"
	}
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("SFTP status %d", e.Code)
}

// lister is a streaming SFTP directory reader on its own subsystem session.
type lister struct {
	session *gossh.Session
	w       io.Writer
	r       io.Reader
	id      uint32
	buf     []byte
}

func newLister(c *gossh.Client) (*lister, error) {
	s, err := c.NewSession()
	if err != nil {
		return nil, fmt.Errorf("opening a session: %w", err)
	}
	w, err := s.StdinPipe()
	if err != nil {
		s.Close()
		return nil, err
	}
	r, err := s.StdoutPipe()
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.RequestSubsystem("sftp"); err != nil {
		s.Close()
		return nil, errors.New("the server refused the sftp subsystem")
	}
	l := &lister{session: s, w: w, r: r}
	if err := l.send(fxpInit, binary.BigEndian.AppendUint32(nil, 3)); err != nil {
		l.Close()
		return nil, err
	}
	typ, _, err := l.recv()
	if err != nil {
		l.Close()
		return nil, err
	}
	if typ != fxpVersion {
		l.Close()
		return nil, fmt.Errorf("the server answered SFTP init with packet type %d", typ)
	}
	return l, nil
}

// Close ends the session.
func (l *lister) Close() error { return l.session.Close() }

func (l *lister) send(typ byte, payload []byte) error {
	pkt := make([]byte, 0, 5+len(payload))
	pkt = binary.BigEndian.AppendUint32(pkt, uint32(1+len(payload)))
	pkt = append(pkt, typ)
	pkt = append(pkt, payload...)
	_, err := l.w.Write(pkt)
	return err
}

// recv reads one packet; the returned payload is valid until the next call.
func (l *lister) recv() (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(l.r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < 1 || n > maxPacket {
		return 0, nil, fmt.Errorf("the server sent an SFTP packet of %d bytes (limit %d)", n, maxPacket)
	}
	if cap(l.buf) < int(n-1) {
		l.buf = make([]byte, n-1)
	}
	l.buf = l.buf[:n-1]
	if _, err := io.ReadFull(l.r, l.buf); err != nil {
		return 0, nil, err
	}
	return hdr[4], l.buf, nil
}

// call sends a request carrying a fresh id and reads its reply, checking
// that the reply carries the same id.
func (l *lister) call(typ byte, body []byte) (byte, *reader, error) {
	l.id++
	payload := binary.BigEndian.AppendUint32(nil, l.id)
	if err := l.send(typ, append(payload, body...)); err != nil {
		return 0, nil, err
	}
	rt, data, err := l.recv()
	if err != nil {
		return 0, nil, err
	}
	rd := &reader{b: data}
	if id := rd.uint32(); rd.err != nil || id != l.id {
		return 0, nil, errors.New("the server answered out of order")
	}
	return rt, rd, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func statusOf(rd *reader) error {
	code := rd.uint32()
	msg := rd.string()
	if rd.err != nil {
		return rd.err
	}
	if code == fxOK {
		return nil
	}
	return &StatusError{Code: code, Message: msg}
}

// each calls fn for every entry of dir, one READDIR batch at a time.
func (l *lister) each(dir string, fn func(entry)) error {
	typ, rd, err := l.call(fxpOpendir, appendString(nil, dir))
	if err != nil {
		return err
	}
	switch typ {
	case fxpHandle:
	case fxpStatus:
		if err := statusOf(rd); err != nil {
			return err
		}
		return errors.New("the server opened no folder")
	default:
		return fmt.Errorf("unexpected SFTP packet type %d", typ)
	}
	handle := rd.string()
	if rd.err != nil {
		return rd.err
	}
	defer func() { _, _, _ = l.call(fxpClose, appendString(nil, handle)) }()
	req := appendString(nil, handle)
	for {
		typ, rd, err := l.call(fxpReaddir, req)
		if err != nil {
			return err
		}
		switch typ {
		case fxpStatus:
			err := statusOf(rd)
			var se *StatusError
			if errors.As(err, &se) && se.Code == fxEOF {
				return nil
			}
			if err == nil {
				return errors.New("the server ended the listing without EOF")
			}
			return err
		case fxpName:
		default:
			return fmt.Errorf("unexpected SFTP packet type %d", typ)
		}
		count := rd.uint32()
		for range count {
			name := rd.string()
			rd.skipString() // long name
			e := rd.attrs()
			if rd.err != nil {
				return rd.err
			}
			if name == "." || name == ".." {
				continue
			}
			e.name = name
			fn(e)
		}
	}
}

// reader decodes SFTP data, remembering the first error.
type reader struct {
	b   []byte
	err error
}

var errShort = errors.New("the server sent a truncated SFTP packet")

func (r *reader) uint32() uint32 {
	if r.err != nil || len(r.b) < 4 {
		r.err = errShort
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *reader) uint64() uint64 {
	hi, lo := r.uint32(), r.uint32()
	return uint64(hi)<<32 | uint64(lo)
}

func (r *reader) bytes() []byte {
	n := r.uint32()
	if r.err != nil || uint64(n) > uint64(len(r.b)) {
		r.err = errShort
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string { return string(r.bytes()) }
func (r *reader) skipString()    { r.bytes() }

func (r *reader) attrs() entry {
	var e entry
	flags := r.uint32()
	e.regular = true // a server that sends no type: count it as a file
	if flags&attrSize != 0 {
		e.size = int64(min(r.uint64(), 1<<62))
	}
	if flags&attrUIDGID != 0 {
		r.uint32()
		r.uint32()
	}
	if flags&attrPermissions != 0 {
		e.regular = r.uint32()&modeType == modeRegular
	}
	if flags&attrACModTime != 0 {
		r.uint32() // atime
		e.modTime = time.Unix(int64(r.uint32()), 0).UTC()
	}
	if flags&attrExtended != 0 {
		n := r.uint32()
		for i := uint32(0); i < n && r.err == nil; i++ {
			r.skipString()
			r.skipString()
		}
	}
	return e
}
