// Package mailping receives heartbeat pings by mail: a small SMTP server
// that takes mail addressed to {uuid}@{domain} or {slug}+{ping_key}@{domain}
// and hands each one to a heartbeat.Receiver as a Ping. Keywords in the
// subject and text decide whether a mail reports a success, a start or a
// failure. A mail is acknowledged (250) only once the Receiver has stored
// its pings; when it cannot, the sender is told to try again later (451),
// so a sending mail server keeps the mail queued instead of losing it.
package mailping

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	smtp "github.com/emersion/go-smtp"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/heartbeat"
	"github.com/tocsin/tocsin/internal/safetext"
)

// Defaults for the Options left at zero.
const (
	DefaultMaxMessageBytes = 1 << 20
	DefaultBodyLimit       = 100 << 10
	DefaultMaxRecipients   = 10
	DefaultMaxConnections  = 50
	DefaultTimeout         = time.Minute
	DefaultSessionTimeout  = 10 * time.Minute
	// maxBadRecipients is how many refused recipients one connection may
	// try before it is closed: enough for typos, too few for guessing.
	maxBadRecipients = 20
)

// Options configure a Server.
type Options struct {
	// Domain is the mail domain of heartbeat addresses, such as
	// ping.example.com. Required.
	Domain string
	// Receiver stores the pings. Required.
	Receiver heartbeat.Receiver
	// Known, when set, is asked at RCPT whether the heartbeat exists, so
	// that unknown addresses are refused before the message is sent. It
	// gets a Ping naming the heartbeat (UUID, or Slug and PingKey) and
	// returns nil or an *errs.Error with ENOTFOUND. Without it, an unknown
	// heartbeat is refused after DATA, when Receive says ENOTFOUND.
	Known func(ctx context.Context, p heartbeat.Ping) error
	// Keywords classify mails; see Keywords.Classify.
	Keywords Keywords
	// MaxMessageBytes refuses larger mails with 552. Default 1 MiB.
	MaxMessageBytes int64
	// BodyLimit is how much of a mail becomes the ping's Body; the rest
	// is cut and Truncated set. Default 100 KiB.
	BodyLimit int
	// MaxRecipients per mail. Default 10.
	MaxRecipients int
	// MaxConnections at once; more are answered 421 and closed. Default 50.
	MaxConnections int
	// Timeout bounds each command and the whole DATA transfer. Default 1m.
	Timeout time.Duration
	// SessionTimeout bounds a whole connection. Default 10m.
	SessionTimeout time.Duration
	Logger         *slog.Logger
	// Now is the clock of the pings' Time; default time.Now.
	Now func() time.Time
}

// Server is the SMTP listener. Serve runs it; Shutdown stops it.
type Server struct {
	o        Options
	srv      *smtp.Server
	keywords atomic.Pointer[Keywords]
	ctx      context.Context // cancelled by Shutdown: ends Receive calls
	cancel   context.CancelFunc
	conns    chan struct{} // one token per open connection
}

// New checks o and builds a Server.
func New(o Options) (*Server, error) {
	if o.Domain == "" {
		return nil, errors.New("mailping: no domain")
	}
	if o.Receiver == nil {
		return nil, errors.New("mailping: no receiver")
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = DefaultBodyLimit
	}
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = DefaultMaxRecipients
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = DefaultSessionTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{o: o, conns: make(chan struct{}, o.MaxConnections)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.SetKeywords(o.Keywords)
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = o.Domain
	srv.MaxMessageBytes = o.MaxMessageBytes
	srv.MaxRecipients = o.MaxRecipients
	srv.ReadTimeout = o.Timeout
	srv.WriteTimeout = o.Timeout
	srv.ErrorLog = slogLogger{o.Logger}
	s.srv = srv
	return s, nil
}

// SetKeywords replaces the keywords for the mails that follow (on reload).
func (s *Server) SetKeywords(k Keywords) { s.keywords.Store(&k) }

// Serve accepts connections on ln until Shutdown. It returns nil after
// Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if s.ctx.Err() != nil {
		_ = ln.Close()
		return nil
	}
	err := s.srv.Serve(&limitListener{Listener: ln, s: s})
	if errors.Is(err, smtp.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting, lets the sessions in progress end until ctx is
// done, then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	s.cancel()
	if err != nil {
		_ = s.srv.Close()
	}
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: s, c: c}, nil
}

// session is one SMTP connection; it is reset between mails.
type session struct {
	s     *Server
	c     *smtp.Conn
	from  string
	rcpts []Recipient
	bad   int
}

func (ss *session) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	r, err := ParseRecipient(to, ss.s.o.Domain)
	if err == nil && ss.s.o.Known != nil {
		ctx, cancel := context.WithTimeout(ss.s.ctx, ss.s.o.Timeout)
		err = ss.s.o.Known(ctx, r.ping())
		cancel()
	}
	if err != nil {
		se := smtpError(err, to)
		if se.Temporary() {
			return se
		}
		ss.bad++
		if ss.bad > maxBadRecipients {
			// The reply is written here because the connection must close
			// right after it; go-smtp has flushed every earlier reply.
			_, _ = io.WriteString(ss.c.Conn(), "421 4.7.0 Too many refused recipients, closing\r\n")
			ss.c.Close()
			return errors.New("closed")
		}
		return se
	}
	for _, have := range ss.rcpts {
		if have == r {
			return nil
		}
	}
	ss.rcpts = append(ss.rcpts, r)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // over MaxMessageBytes (552) or a broken connection
	}
	now := ss.s.o.Now()
	subject, text := readMessage(raw)
	kind := ss.s.keywords.Load().Classify(subject, text)
	body, truncated := safetext.CutBytes(raw, ss.s.o.BodyLimit)
	var temporary, permanent error
	ok := 0
	for _, rc := range ss.rcpts {
		p := rc.ping()
		p.Kind = kind
		p.Body = body
		p.Truncated = truncated
		p.Transport = "email"
		p.Method = "SMTP"
		p.Source = ss.from
		p.Time = now
		ctx, cancel := context.WithTimeout(ss.s.ctx, ss.s.o.Timeout)
		err := ss.s.o.Receiver.Receive(ctx, p)
		cancel()
		if err == nil {
			ok++
			continue
		}
		se := smtpError(err, rc.String()+"@"+ss.s.o.Domain)
		if se.Temporary() {
			if errs.Code(err) == errs.EINTERNAL || errs.Code(err) == errs.EUNAVAILABLE {
				ss.s.o.Logger.Error("email ping not stored; the sender is asked to retry", "recipient", rc.String(), "err", err)
			}
			temporary = cmpOr(temporary, se)
		} else {
			permanent = cmpOr(permanent, se)
		}
	}
	switch {
	case temporary != nil:
		// One answer covers every recipient: a retry may repeat the pings
		// already stored, which is harmless, where a 250 would lose this one.
		return temporary
	case ok == 0 && permanent != nil:
		return permanent
	}
	return nil
}

func cmpOr(a error, b *smtp.SMTPError) error {
	if a != nil {
		return a
	}
	return b
}

func (r Recipient) ping() heartbeat.Ping {
	return heartbeat.Ping{UUID: r.UUID, Slug: r.Slug, PingKey: r.PingKey}
}

// smtpError maps a Receiver's error to an SMTP reply: what the sender
// cannot fix by retrying is permanent (5xx), the rest temporary (4xx).
func smtpError(err error, rcpt string) *smtp.SMTPError {
	switch errs.Code(err) {
	case errs.ENOTFOUND:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: fmt.Sprintf("No heartbeat for <%s>", rcpt)}
	case errs.EINVALID, errs.ETOOLARGE, errs.EFORBIDDEN:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: fmt.Sprintf("<%s>: %s", rcpt, errs.Message(err))}
	case errs.ERATELIMIT:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: fmt.Sprintf("Too many pings for <%s>, try again later", rcpt)}
	}
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "The ping could not be stored, try again later"}
}

// limitListener caps the open connections and the life of each one.
type limitListener struct {
	net.Listener
	s *Server
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.s.conns <- struct{}{}:
			end := time.Now().Add(l.s.o.SessionTimeout)
			_ = c.SetDeadline(end)
			return &limitConn{Conn: c, end: end, release: func() { <-l.s.conns }}, nil
		default:
			_ = c.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = io.WriteString(c, "421 4.7.0 Too many connections, try again later\r\n")
			_ = c.Close()
		}
	}
}

// limitConn never lets a deadline pass the end of its session, however
// often the SMTP server pushes the deadline on for the next command.
type limitConn struct {
	net.Conn
	end     time.Time
	once    sync.Once
	release func()
}

func (c *limitConn) clamp(t time.Time) time.Time {
	if t.IsZero() || t.After(c.end) {
		return c.end
	}
	return t
}

func (c *limitConn) SetDeadline(t time.Time) error      { return c.Conn.SetDeadline(c.clamp(t)) }
func (c *limitConn) SetReadDeadline(t time.Time) error  { return c.Conn.SetReadDeadline(c.clamp(t)) }
func (c *limitConn) SetWriteDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(c.clamp(t)) }

func (c *limitConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// slogLogger gives go-smtp's internal errors (broken connections, mostly)
// to the logger at debug level.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Printf(format string, v ...any) {
	s.l.Debug("smtp: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (s slogLogger) Println(v ...any) { s.l.Debug("smtp: " + strings.TrimSpace(fmt.Sprintln(v...))) }

var _ smtp.Session = (*session)(nil)
