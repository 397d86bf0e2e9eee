package mailx

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
)

// POP3 is a small client for the part of POP3 (RFC 1939, STLS from RFC 2595)
// the probes use: login, STAT, UIDL, TOP, DELE, QUIT. It is written here
// because no maintained Go POP3 client exists among the libraries this
// project depends on or could vet; the protocol is a few line-based
// commands, and writing them keeps every read bounded (line length, lines
// per answer, bytes per run) the way a probe must.
type POP3 struct {
	conn net.Conn
	br   *bufio.Reader
	Cert *CertBox
	TLS  bool
}

// Bounds of the POP3 client.
const (
	pop3MaxLine  = 4096  // bytes per line
	pop3MaxLines = 20000 // lines per multi-line answer
)

// POP3Error is a -ERR answer.
type POP3Error struct {
	Command string
	Text    string
}

func (e *POP3Error) Error() string {
	return e.Command + " answered -ERR " + probe.Clip(e.Text, 160)
}

// DialPOP3 opens a POP3 session: connect, TLS or STLS per the mode,
// greeting, and USER/PASS when the server has a username. Errors are
// *PhaseError.
func DialPOP3(ctx context.Context, dial Dialer, s Server, tr *probe.Trace) (*POP3, error) {
	box := &CertBox{}
	s.Conf = box.Watch(s.Conf)
	conn, err := Open(ctx, dial, s, tr, s.budget())
	if err != nil {
		var pe *PhaseError
		if errors.As(err, &pe) {
			return nil, pe
		}
		return nil, &PhaseError{Phase: "connect", Err: err}
	}
	p := &POP3{conn: conn, Cert: box, TLS: s.TLS != TLSNone}
	fail := func(phase string, err error) (*POP3, error) {
		_ = p.conn.Close()
		return nil, &PhaseError{Phase: phase, Err: explain(conn, err)}
	}
	if s.TLS == TLSStartTLS {
		// The STLS dialogue reads the greeting itself; after the
		// handshake the session goes on without a new one.
		if err := tlsx.StartTLS(conn, tlsx.StartTLSPOP3); err != nil {
			return fail("STLS", err)
		}
		tc, err := Handshake(ctx, conn, s.Conf, tr)
		if err != nil {
			return fail("TLS handshake", err)
		}
		p.conn = tc
		p.br = bufio.NewReaderSize(tc, pop3MaxLine)
	} else {
		p.br = bufio.NewReaderSize(conn, pop3MaxLine)
		if _, err := p.reply("greeting"); err != nil {
			return fail("greeting", err)
		}
	}
	if s.Username != "" {
		if _, err := p.Cmd("USER", "USER "+s.Username); err != nil {
			return fail("login", err)
		}
		if _, err := p.Cmd("PASS", "PASS "+s.Password); err != nil {
			return fail("login", err)
		}
	}
	return p, nil
}

func (p *POP3) line() (string, error) {
	l, err := p.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("server sent a line longer than %d bytes", pop3MaxLine)
	}
	if errors.Is(err, io.EOF) {
		return "", errors.New("server closed the connection")
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(l), "\r\n"), nil
}

func (p *POP3) reply(command string) (string, error) {
	l, err := p.line()
	if err != nil {
		return "", err
	}
	switch {
	case strings.HasPrefix(l, "+OK"):
		return strings.TrimSpace(l[3:]), nil
	case strings.HasPrefix(l, "-ERR"):
		return "", &POP3Error{Command: command, Text: strings.TrimSpace(l[4:])}
	default:
		return "", fmt.Errorf("unexpected answer %q to %s", probe.Clip(l, 80), command)
	}
}

// Cmd sends one command line and reads a single-line answer. name is the
// command as errors show it (never the line, which may hold a password).
func (p *POP3) Cmd(name, line string) (string, error) {
	if strings.ContainsAny(line, "\r\n") {
		return "", fmt.Errorf("%s: argument holds a line break", name)
	}
	if _, err := io.WriteString(p.conn, line+"\r\n"); err != nil {
		return "", err
	}
	return p.reply(name)
}

// Multi sends a command whose answer is a dot-terminated list and returns
// the lines (dot-unstuffed), at most max of them; the rest is read and
// dropped so the session stays in step.
func (p *POP3) Multi(name, line string, max int) ([]string, error) {
	if _, err := p.Cmd(name, line); err != nil {
		return nil, err
	}
	var out []string
	for range pop3MaxLines + 1 {
		l, err := p.line()
		if err != nil {
			return nil, err
		}
		if l == "." {
			return out, nil
		}
		l = strings.TrimPrefix(l, ".")
		if len(out) < max {
			out = append(out, l)
		}
	}
	return nil, fmt.Errorf("%s: answer longer than %d lines", name, pop3MaxLines)
}

// Stat returns the number of messages and their total size.
func (p *POP3) Stat() (count, size int, err error) {
	r, err := p.Cmd("STAT", "STAT")
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(r)
	if len(f) < 2 {
		return 0, 0, fmt.Errorf("STAT: malformed answer %q", probe.Clip(r, 80))
	}
	count, err1 := strconv.Atoi(f[0])
	size, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || count < 0 {
		return 0, 0, fmt.Errorf("STAT: malformed answer %q", probe.Clip(r, 80))
	}
	return count, size, nil
}

// Top returns the header lines of message n (TOP n 0), unfolded into one
// line per field, at most maxLines raw lines.
func (p *POP3) Top(n, maxLines int) ([]string, error) {
	lines, err := p.Multi("TOP", "TOP "+strconv.Itoa(n)+" 0", maxLines)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range lines {
		if l == "" {
			break
		}
		if (l[0] == ' ' || l[0] == '\t') && len(out) > 0 {
			out[len(out)-1] += " " + strings.TrimSpace(l)
			continue
		}
		out = append(out, l)
	}
	return out, nil
}

// Dele marks message n for deletion at QUIT.
func (p *POP3) Dele(n int) error {
	_, err := p.Cmd("DELE", "DELE "+strconv.Itoa(n))
	return err
}

// Quit ends the session; deletions take effect only when it succeeds.
func (p *POP3) Quit() error {
	_, err := p.Cmd("QUIT", "QUIT")
	_ = p.conn.Close()
	return err
}

// Close closes the connection without QUIT: marked deletions are undone.
func (p *POP3) Close() { _ = p.conn.Close() }
