package mailx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/tocsin/tocsin/internal/probe"
)

// DefaultHelo is the name sent with EHLO when a block sets none.
const DefaultHelo = "tocsin.localhost"

// SMTP is an open SMTP dialogue, greeted and (per the server's mode)
// switched to TLS and authenticated.
type SMTP struct {
	Client *smtp.Client
	// Conn is the connection the dialogue ends on (TLS when it used TLS).
	Conn net.Conn
	// Banner is the greeting text, Extensions the EHLO keywords (upper
	// case, with their parameters), both from the last EHLO.
	Banner     string
	Extensions []string
	// TLS tells whether the dialogue is encrypted; Cert holds the server's
	// certificate then.
	TLS  bool
	Cert *CertBox
	raw  net.Conn
}

// Close ends the dialogue with QUIT (bounded by the run) and closes.
func (s *SMTP) Close() {
	_ = s.Client.Quit()
	_ = s.Client.Close()
	_ = s.raw.Close()
}

// Phase errors say how far an SMTP dialogue got.
type PhaseError struct {
	Phase string // connect, greeting, EHLO, STARTTLS, TLS handshake, AUTH, MAIL FROM, RCPT TO, DATA
	Err   error
}

func (e *PhaseError) Error() string { return e.Phase + ": " + SMTPReason(e.Err) }
func (e *PhaseError) Unwrap() error { return e.Err }

// SMTPReason renders an error of the mail libraries: an SMTP reply as
// "550 5.1.1 no such user", an IMAP one as "NO [AUTHENTICATIONFAILED]
// Authentication failed", anything else as probe.ErrorReason does.
func SMTPReason(err error) string {
	var ie *imap.Error
	if errors.As(err, &ie) {
		msg := string(ie.Type)
		if ie.Code != "" {
			msg += " [" + string(ie.Code) + "]"
		}
		return msg + " " + probe.Clip(ie.Text, 160)
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		msg := strconv.Itoa(se.Code)
		if se.EnhancedCode != smtp.NoEnhancedCode && se.EnhancedCode != (smtp.EnhancedCode{}) {
			msg += fmt.Sprintf(" %d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
		}
		return msg + " " + probe.Clip(se.Message, 160)
	}
	if errors.Is(err, ErrBudget) {
		return ErrBudget.Error()
	}
	return probe.ErrorReason(err)
}

// ReplyCode returns the SMTP reply code carried by err, 0 when none.
func ReplyCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// transcript keeps what the server sent, for the banner and the EHLO
// keywords the library does not expose. It stores bounded text, and is
// switched off while credentials cross the wire.
type transcript struct {
	mu  sync.Mutex
	off bool
	buf bytes.Buffer
}

const transcriptMax = 64 << 10

func (t *transcript) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.off && t.buf.Len()+len(p) <= transcriptMax {
		t.buf.Write(p)
	}
	return len(p), nil
}

func (t *transcript) pause(off bool) {
	t.mu.Lock()
	t.off = off
	t.mu.Unlock()
}

// sent reports whether a line of the transcript starts with prefix.
func (t *transcript) sent(prefix string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range strings.Split(t.buf.String(), "\n") {
		if strings.HasPrefix(strings.ToUpper(l), prefix) {
			return true
		}
	}
	return false
}

// parse returns the greeting text and the keywords of the last EHLO reply.
func (t *transcript) parse() (banner string, exts []string) {
	t.mu.Lock()
	lines := strings.Split(strings.ReplaceAll(t.buf.String(), "\r\n", "\n"), "\n")
	t.mu.Unlock()
	var greet []string
	i := 0
	for ; i < len(lines); i++ {
		l := lines[i]
		if len(l) < 4 || l[:3] != "220" {
			break
		}
		greet = append(greet, l[4:])
		if l[3] == ' ' {
			i++
			break
		}
	}
	banner = strings.Join(greet, " ")
	last := -1
	for j := i; j < len(lines); j++ {
		if u := strings.ToUpper(lines[j]); strings.HasPrefix(u, "EHLO ") {
			last = j
		}
	}
	if last < 0 {
		return banner, nil
	}
	first := true
	for _, l := range lines[last+1:] {
		if len(l) < 4 || l[:3] != "250" {
			break
		}
		if !first {
			exts = append(exts, probe.Clip(strings.ToUpper(l[4:]), 100))
		}
		first = false
		if l[3] == ' ' || len(exts) >= 100 {
			break
		}
	}
	return banner, exts
}

// DialSMTP opens an SMTP dialogue: connect, greeting, EHLO, STARTTLS when
// the mode asks for it (required: a server that does not offer it fails),
// and AUTH when the server has credentials. Errors are *PhaseError.
func DialSMTP(ctx context.Context, dial Dialer, s Server, helo string, tr *probe.Trace) (*SMTP, error) {
	if helo == "" {
		helo = DefaultHelo
	}
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
	fail := func(c *smtp.Client, phase string, err error) (*SMTP, error) {
		if c != nil {
			_ = c.Close()
		}
		_ = conn.Close()
		return nil, &PhaseError{Phase: phase, Err: explain(conn, err)}
	}
	ts := &transcript{}
	out := &SMTP{Conn: conn, raw: conn, TLS: s.TLS == TLSImplicit, Cert: box}
	var c *smtp.Client
	if s.TLS == TLSStartTLS {
		// The library sends its first EHLO as "localhost" before
		// STARTTLS; the configured name follows on the encrypted side.
		bc, _ := conn.(*Conn)
		if bc != nil {
			bc.setTee(ts)
		}
		c, err = smtp.NewClientStartTLS(conn, s.Conf.Clone())
		if bc != nil {
			bc.setTee(nil)
		}
		out.Banner, _ = ts.parse()
		if err != nil {
			switch {
			case !ts.sent("220"):
				return fail(nil, "greeting", err)
			case strings.Contains(err.Error(), "doesn't support STARTTLS"):
				return fail(nil, "STARTTLS", errors.New("the server does not offer STARTTLS"))
			default:
				return fail(nil, "STARTTLS", err)
			}
		}
		ts = &transcript{}
		c.DebugWriter = ts
		if tr != nil {
			tr.TLSStart()
		}
		err = c.Hello(helo)
		if tr != nil {
			tr.TLSDone()
		}
		if err != nil {
			if ReplyCode(err) == 0 {
				return fail(c, "TLS handshake", err)
			}
			return fail(c, "EHLO", err)
		}
		out.TLS = true
		_, out.Extensions = ts.parse()
	} else {
		c = smtp.NewClient(conn)
		c.DebugWriter = ts
		if err := c.Hello(helo); err != nil {
			if !ts.sent("EHLO ") && !ts.sent("HELO ") {
				return fail(c, "greeting", err)
			}
			return fail(c, "EHLO", err)
		}
		out.Banner, out.Extensions = ts.parse()
	}
	out.Client = c
	if s.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fail(c, "AUTH", errors.New("the server does not offer AUTH"+tlsHint(out.TLS)))
		}
		var auth sasl.Client
		switch {
		case c.SupportsAuth("PLAIN"):
			auth = sasl.NewPlainClient("", s.Username, s.Password)
		case c.SupportsAuth("LOGIN"):
			auth = sasl.NewLoginClient(s.Username, s.Password)
		default:
			return fail(c, "AUTH", errors.New("the server offers neither AUTH PLAIN nor LOGIN"))
		}
		// Credentials cross the wire now; the transcript must not keep them.
		ts.pause(true)
		err := c.Auth(auth)
		ts.pause(false)
		if err != nil {
			return fail(c, "AUTH", err)
		}
	}
	return out, nil
}

func tlsHint(encrypted bool) string {
	if encrypted {
		return ""
	}
	return " (many servers offer it only after STARTTLS)"
}
