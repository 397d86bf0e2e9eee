package testkit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// PipeNet is an in-memory network: listeners and dials by name, over
// net.Pipe, whose unbuffered writes keep a dialogue in lock step (Pipe is
// the buffered kind, for protocols where both sides write at once). Servers and clients on it can run inside a testing/synctest
// bubble, where time passes only when everything waits.
type PipeNet struct {
	mu sync.Mutex
	ls map[string]*pipeListener
}

// NewPipeNet returns an empty network.
func NewPipeNet() *PipeNet { return &PipeNet{ls: map[string]*pipeListener{}} }

// Listen opens a listener at addr (any text, conventionally host:port).
func (n *PipeNet) Listen(addr string) net.Listener {
	l := &pipeListener{addr: pipeAddr(addr), conns: make(chan net.Conn), done: make(chan struct{})}
	n.mu.Lock()
	n.ls[addr] = l
	n.mu.Unlock()
	return l
}

// Dial connects to the listener at addr.
func (n *PipeNet) Dial(ctx context.Context, addr string) (net.Conn, error) {
	n.mu.Lock()
	l := n.ls[addr]
	n.mu.Unlock()
	if l == nil {
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: errors.New("connection refused")}
	}
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: errors.New("connection refused")}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }

type pipeListener struct {
	addr  pipeAddr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return l.addr }

// MailOptions configure StartMail.
type MailOptions struct {
	// Net, when set, puts the servers on an in-memory network at the
	// addresses "smtp:25", "imap:143" and "pop3:110"; otherwise they listen
	// on loopback ports.
	Net *PipeNet
	// TLS, when set, is offered by every server (SMTP and IMAP STARTTLS,
	// POP3 STLS).
	TLS *tls.Config
	// Username and Password of the mailbox (default probe / secret); SMTP
	// AUTH PLAIN accepts the same.
	Username, Password string
	// Folders created besides INBOX (e.g. "Junk").
	Folders []string
	// ImplicitTLS serves TLS from the first byte on every port (as on
	// 465, 993 and 995) instead of offering STARTTLS; it needs TLS.
	ImplicitTLS bool
	// NoUIDPlus leaves UIDPLUS out of the IMAP capabilities, as older
	// servers do.
	NoUIDPlus bool
}

// MailServer is an SMTP server that delivers into an IMAP server's mailbox
// and a POP3 maildrop, with knobs for the failures a mail loop must see:
// delayed delivery, lost mail, delivery into another folder.
type MailServer struct {
	SMTPAddr, IMAPAddr, POP3Addr string
	User                         *imapmemserver.User
	Drop                         *Maildrop

	mu       sync.Mutex
	delay    time.Duration
	lose     bool
	hold     bool
	held     [][]byte
	folder   string
	accepted int

	smtp *smtp.Server
	imap *imapserver.Server
	pop3 *POP3Server
}

// StartMail starts the three servers; they stop when the test ends.
func StartMail(t testing.TB, o MailOptions) *MailServer {
	t.Helper()
	if o.Username == "" {
		o.Username = "probe"
	}
	if o.Password == "" {
		o.Password = "secret"
	}
	ms := &MailServer{folder: "INBOX", Drop: &Maildrop{}}
	mem := imapmemserver.New()
	ms.User = imapmemserver.NewUser(o.Username, o.Password)
	for _, f := range append([]string{"INBOX"}, o.Folders...) {
		if err := ms.User.Create(f, nil); err != nil {
			t.Fatal(err)
		}
	}
	mem.AddUser(ms.User)

	listen := func(name string) net.Listener {
		if o.Net != nil {
			return o.Net.Listen(name)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	sl, il, pl := listen("smtp:25"), listen("imap:143"), listen("pop3:110")
	starttls := o.TLS
	if o.ImplicitTLS && o.TLS != nil {
		sl, il, pl = tls.NewListener(sl, o.TLS), tls.NewListener(il, o.TLS), tls.NewListener(pl, o.TLS)
		starttls = nil
	}
	ms.SMTPAddr, ms.IMAPAddr, ms.POP3Addr = sl.Addr().String(), il.Addr().String(), pl.Addr().String()

	ms.smtp = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &smtpSession{ms: ms, user: o.Username, pass: o.Password}, nil
	}))
	ms.smtp.Domain = "mx.test"
	ms.smtp.AllowInsecureAuth = true
	ms.smtp.TLSConfig = starttls
	ms.smtp.ReadTimeout = time.Minute
	ms.smtp.WriteTimeout = time.Minute
	ms.smtp.ErrorLog = discardLog{}
	caps := imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapUIDPlus: {}}
	if o.NoUIDPlus {
		delete(caps, imap.CapUIDPlus)
	}
	ms.imap = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         caps,
		TLSConfig:    starttls,
		InsecureAuth: true,
		Logger:       discardLog{},
	})
	ms.pop3 = &POP3Server{Drop: ms.Drop, User: o.Username, Pass: o.Password, TLS: starttls}

	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); _ = ms.smtp.Serve(sl) }()
	go func() { defer wg.Done(); _ = ms.imap.Serve(il) }()
	go func() { defer wg.Done(); _ = ms.pop3.Serve(pl) }()
	t.Cleanup(func() {
		// The listeners close first and Serve returns before the servers
		// close their sessions: go-imap's Close races a running Serve.
		sl.Close()
		il.Close()
		pl.Close()
		wg.Wait()
		_ = ms.smtp.Close()
		_ = ms.imap.Close()
		_ = ms.pop3.Close()
	})
	return ms
}

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

// SetDelay makes accepted mail arrive d later.
func (ms *MailServer) SetDelay(d time.Duration) { ms.mu.Lock(); ms.delay = d; ms.mu.Unlock() }

// SetLose makes accepted mail vanish (accepted, never delivered).
func (ms *MailServer) SetLose(lose bool) { ms.mu.Lock(); ms.lose = lose; ms.mu.Unlock() }

// SetFolder delivers into folder instead of INBOX (as a spam filter would).
func (ms *MailServer) SetFolder(folder string) { ms.mu.Lock(); ms.folder = folder; ms.mu.Unlock() }

// SetHold keeps accepted mail in a queue until Release, as a mail server
// whose delivery agent is down would.
func (ms *MailServer) SetHold(hold bool) { ms.mu.Lock(); ms.hold = hold; ms.mu.Unlock() }

// Release delivers the held mail now.
func (ms *MailServer) Release() error {
	ms.mu.Lock()
	held, folder := ms.held, ms.folder
	ms.held = nil
	ms.mu.Unlock()
	for _, raw := range held {
		if err := ms.Deliver(folder, raw, time.Now()); err != nil {
			return err
		}
	}
	return nil
}

// Accepted counts the messages the SMTP server took.
func (ms *MailServer) Accepted() int { ms.mu.Lock(); defer ms.mu.Unlock(); return ms.accepted }

// Count returns how many messages a folder holds.
func (ms *MailServer) Count(t testing.TB, folder string) int {
	t.Helper()
	n, _ := ms.Flagged(t, folder)
	return n
}

// Flagged returns how many messages a folder holds and how many of them
// are flagged \Deleted.
func (ms *MailServer) Flagged(t testing.TB, folder string) (messages, deleted int) {
	t.Helper()
	st, err := ms.User.Status(folder, &imap.StatusOptions{NumMessages: true, NumDeleted: true})
	if err != nil {
		t.Fatal(err)
	}
	return int(*st.NumMessages), int(*st.NumDeleted)
}

// Deliver puts raw (a whole message) into folder and the maildrop, with a
// Received: header dated at.
func (ms *MailServer) Deliver(folder string, raw []byte, at time.Time) error {
	stamped := append([]byte("Received: from client.test by mx.test with ESMTP; "+at.Format(time.RFC1123Z)+"\r\n"), raw...)
	ms.Drop.Add(stamped)
	_, err := ms.User.Append(folder, literal{bytes.NewReader(stamped), int64(len(stamped))}, &imap.AppendOptions{Time: at})
	return err
}

type literal struct {
	*bytes.Reader
	n int64
}

func (l literal) Size() int64 { return l.n }

type smtpSession struct {
	ms         *MailServer
	user, pass string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.user || password != s.pass {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		return nil
	}), nil
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "nobody@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	return nil
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return err
	}
	ms := s.ms
	ms.mu.Lock()
	ms.accepted++
	delay, lose, folder := ms.delay, ms.lose, ms.folder
	if ms.hold {
		ms.held = append(ms.held, raw)
		lose = true
	}
	ms.mu.Unlock()
	if lose {
		return nil
	}
	deliver := func() { _ = ms.Deliver(folder, raw, time.Now()) }
	if delay <= 0 {
		deliver()
	} else {
		time.AfterFunc(delay, deliver)
	}
	return nil
}

// Maildrop is a POP3 mailbox: a list of messages.
type Maildrop struct {
	mu   sync.Mutex
	msgs [][]byte
}

// Add appends a message.
func (d *Maildrop) Add(raw []byte) {
	d.mu.Lock()
	d.msgs = append(d.msgs, append([]byte(nil), raw...))
	d.mu.Unlock()
}

// Len counts the messages.
func (d *Maildrop) Len() int { d.mu.Lock(); defer d.mu.Unlock(); return len(d.msgs) }

// Messages returns a copy of the messages.
func (d *Maildrop) Messages() [][]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([][]byte(nil), d.msgs...)
}

// POP3Server serves a Maildrop over POP3 (USER/PASS, STAT, LIST, UIDL,
// TOP, RETR, DELE, RSET, NOOP, CAPA, STLS, QUIT), enough of RFC 1939 to test
// a client against a real socket. Deletions take effect at QUIT.
type POP3Server struct {
	Drop       *Maildrop
	User, Pass string
	TLS        *tls.Config // enables STLS

	mu     sync.Mutex
	closed bool
	ls     []net.Listener
	cs     map[net.Conn]bool
	wg     sync.WaitGroup
}

// Serve accepts connections until l is closed.
func (s *POP3Server) Serve(l net.Listener) error {
	s.mu.Lock()
	s.ls = append(s.ls, l)
	if s.cs == nil {
		s.cs = map[net.Conn]bool{}
	}
	s.mu.Unlock()
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return net.ErrClosed
		}
		s.cs[c] = true
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.session(c)
			s.mu.Lock()
			delete(s.cs, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// Close stops the listeners and open sessions.
func (s *POP3Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, l := range s.ls {
		l.Close()
	}
	for c := range s.cs {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *POP3Server) session(c net.Conn) {
	br := bufio.NewReader(c)
	w := func(format string, args ...any) { fmt.Fprintf(c, format+"\r\n", args...) }
	w("+OK POP3 test server ready")
	authed, user := false, ""
	var snap [][]byte
	deleted := map[int]bool{}
	msg := func(arg string) (int, []byte, bool) {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 || n > len(snap) || deleted[n] {
			w("-ERR no such message")
			return 0, nil, false
		}
		return n, snap[n-1], true
	}
	for {
		_ = c.SetReadDeadline(time.Now().Add(time.Minute))
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		f := strings.Fields(strings.TrimRight(line, "\r\n"))
		if len(f) == 0 {
			w("-ERR empty command")
			continue
		}
		cmd := strings.ToUpper(f[0])
		if !authed && cmd != "USER" && cmd != "PASS" && cmd != "QUIT" && cmd != "CAPA" && cmd != "STLS" {
			w("-ERR log in first")
			continue
		}
		switch cmd {
		case "CAPA":
			w("+OK")
			w("USER")
			w("TOP")
			w("UIDL")
			if s.TLS != nil {
				w("STLS")
			}
			w(".")
		case "STLS":
			if s.TLS == nil {
				w("-ERR no TLS")
				continue
			}
			w("+OK begin TLS")
			tc := tls.Server(c, s.TLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = tc
			br = bufio.NewReader(c)
		case "USER":
			if len(f) > 1 {
				user = f[1]
			}
			w("+OK")
		case "PASS":
			if user == s.User && len(f) > 1 && strings.Join(f[1:], " ") == s.Pass {
				authed = true
				snap = s.Drop.Messages()
				w("+OK logged in")
			} else {
				w("-ERR invalid login")
			}
		case "STAT":
			n, size := 0, 0
			for i, m := range snap {
				if !deleted[i+1] {
					n++
					size += len(m)
				}
			}
			w("+OK %d %d", n, size)
		case "LIST", "UIDL":
			w("+OK")
			for i, m := range snap {
				if deleted[i+1] {
					continue
				}
				if cmd == "LIST" {
					w("%d %d", i+1, len(m))
				} else {
					w("%d u%d", i+1, i+1)
				}
			}
			w(".")
		case "TOP", "RETR":
			if len(f) < 2 {
				w("-ERR message number required")
				continue
			}
			_, m, ok := msg(f[1])
			if !ok {
				continue
			}
			text := string(m)
			if cmd == "TOP" {
				if i := strings.Index(text, "\r\n\r\n"); i >= 0 {
					text = text[:i+2]
				}
			}
			w("+OK")
			for _, l := range strings.Split(strings.TrimRight(text, "\r\n"), "\r\n") {
				if strings.HasPrefix(l, ".") {
					l = "." + l
				}
				w("%s", l)
			}
			w(".")
		case "DELE":
			if len(f) < 2 {
				w("-ERR message number required")
				continue
			}
			if n, _, ok := msg(f[1]); ok {
				deleted[n] = true
				w("+OK deleted")
			}
		case "RSET":
			deleted = map[int]bool{}
			w("+OK")
		case "NOOP":
			w("+OK")
		case "QUIT":
			if authed && len(deleted) > 0 {
				s.Drop.remove(snap, deleted)
			}
			w("+OK bye")
			return
		default:
			w("-ERR unknown command")
		}
	}
}

// remove drops the messages of snap marked deleted.
func (d *Maildrop) remove(snap [][]byte, deleted map[int]bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	gone := map[*byte]bool{}
	for n := range deleted {
		if m := snap[n-1]; len(m) > 0 {
			gone[&m[0]] = true
		}
	}
	out := d.msgs[:0]
	for _, m := range d.msgs {
		if len(m) > 0 && gone[&m[0]] {
			continue
		}
		out = append(out, m)
	}
	d.msgs = out
}
