package mailx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/tocsin/tocsin/internal/probe"
)

// CertBox catches the server certificate during a handshake a library runs
// itself (IMAP and SMTP STARTTLS), through the TLS config's
// VerifyConnection hook, which runs after the usual verification.
type CertBox struct {
	mu   sync.Mutex
	leaf *x509.Certificate
}

// Leaf returns the certificate seen, nil before a handshake.
func (b *CertBox) Leaf() *x509.Certificate {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.leaf
}

// Watch returns a copy of conf that records the peer certificate in b.
func (b *CertBox) Watch(conf *tls.Config) *tls.Config {
	c := conf.Clone()
	prev := c.VerifyConnection
	c.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) > 0 {
			b.mu.Lock()
			b.leaf = cs.PeerCertificates[0]
			b.mu.Unlock()
		}
		if prev != nil {
			return prev(cs)
		}
		return nil
	}
	return c
}

// IMAP is an open IMAP session.
type IMAP struct {
	Client *imapclient.Client
	Cert   *CertBox
	TLS    bool
	conn   net.Conn
}

// Explain turns an error of a command in this session into its cause when
// the connection went bad (budget used up, deadline passed).
func (s *IMAP) Explain(err error) error { return explain(s.conn, err) }

// Close logs out (bounded by the run) and closes the connection.
func (s *IMAP) Close() {
	if s.Client.State() != 0 {
		_ = s.Client.Logout().Wait()
	}
	_ = s.Client.Close()
	_ = s.conn.Close()
}

// DialIMAP opens an IMAP session: connect, TLS or STARTTLS per the mode,
// greeting, and LOGIN when the server has a username. Errors are
// *PhaseError.
func DialIMAP(ctx context.Context, dial Dialer, s Server, tr *probe.Trace) (*IMAP, error) {
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
	out := &IMAP{Cert: box, conn: conn, TLS: s.TLS != TLSNone}
	var c *imapclient.Client
	if s.TLS == TLSStartTLS {
		if tr != nil {
			tr.TLSStart()
		}
		c, err = imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: s.Conf})
		if tr != nil {
			tr.TLSDone()
		}
		if err != nil {
			conn.Close()
			return nil, &PhaseError{Phase: "STARTTLS", Err: explain(conn, err)}
		}
	} else {
		c = imapclient.New(conn, nil)
		if err := c.WaitGreeting(); err != nil {
			c.Close()
			conn.Close()
			return nil, &PhaseError{Phase: "greeting", Err: explain(conn, err)}
		}
	}
	out.Client = c
	if s.Username != "" {
		if err := c.Login(s.Username, s.Password).Wait(); err != nil {
			out.Close()
			return nil, &PhaseError{Phase: "login", Err: explain(conn, err)}
		}
	}
	return out, nil
}
