package testkit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"
)

// SSHServer is an SSH server on a loopback port with password and
// public-key logins, exec requests answered by a handler, and the sftp
// subsystem served from the real file system.
type SSHServer struct {
	Addr        string
	HostKey     gossh.Signer
	Fingerprint string // of HostKey, "SHA256:…"

	// Exec answers an exec request: it writes the command's output to
	// stdout (reading it sees the client's input and EOF when the
	// connection goes) and returns its exit status. Nil answers every
	// command with status 0.
	Exec func(cmd string, stdout io.ReadWriter, stderr io.Writer) int

	// SFTP, when set, serves the sftp subsystem instead of pkg/sftp's
	// server, for tests of misbehaving servers.
	SFTP func(ch io.ReadWriter)

	conf *gossh.ServerConfig

	ln       net.Listener
	password map[string]string
	keys     map[string]gossh.PublicKey
	logins   atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
}

// NewSSHServer starts a server accepting user with password (when not "")
// and with the public key of clientKey (when not nil). It stops when the
// test ends.
func NewSSHServer(t testing.TB, user, password string, clientKey gossh.PublicKey) *SSHServer {
	t.Helper()
	s := &SSHServer{HostKey: NewSSHSigner(t), password: map[string]string{}, keys: map[string]gossh.PublicKey{}}
	s.Fingerprint = gossh.FingerprintSHA256(s.HostKey.PublicKey())
	if password != "" {
		s.password[user] = password
	}
	if clientKey != nil {
		s.keys[user] = clientKey
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln, s.Addr = ln, ln.Addr().String()
	conf := &gossh.ServerConfig{
		PasswordCallback: func(c gossh.ConnMetadata, pw []byte) (*gossh.Permissions, error) {
			if want, ok := s.password[c.User()]; ok && want == string(pw) {
				return nil, nil
			}
			return nil, errors.New("wrong password")
		},
		PublicKeyCallback: func(c gossh.ConnMetadata, key gossh.PublicKey) (*gossh.Permissions, error) {
			if want, ok := s.keys[c.User()]; ok && string(want.Marshal()) == string(key.Marshal()) {
				return nil, nil
			}
			return nil, errors.New("unknown key")
		},
	}
	conf.AddHostKey(s.HostKey)
	s.conf = conf
	go s.serve(conf)
	t.Cleanup(s.Close)
	return s
}

// Logins counts the successful logins so far.
func (s *SSHServer) Logins() int64 { return s.logins.Load() }

// Close stops the server and its connections.
func (s *SSHServer) Close() {
	_ = s.ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		_ = c.Close()
	}
}

func (s *SSHServer) serve(conf *gossh.ServerConfig) {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		go s.handle(c, conf)
	}
}

// ServeConn serves one connection, such as one end of a net.Pipe in a
// synctest bubble, until it closes.
func (s *SSHServer) ServeConn(c net.Conn) { s.handle(c, s.conf) }

func (s *SSHServer) handle(c net.Conn, conf *gossh.ServerConfig) {
	defer c.Close()
	_, chans, reqs, err := gossh.NewServerConn(c, conf)
	if err != nil {
		return
	}
	s.logins.Add(1)
	go gossh.DiscardRequests(reqs)
	// ServeConn returns only when every session of the connection ended,
	// so a synctest bubble can wait for them.
	var sessions sync.WaitGroup
	defer sessions.Wait()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(gossh.UnknownChannelType, "only sessions")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		sessions.Go(func() { s.session(ch, chReqs) })
	}
}

func (s *SSHServer) session(ch gossh.Channel, reqs <-chan *gossh.Request) {
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "exec":
			var p struct{ Command string }
			if gossh.Unmarshal(req.Payload, &p) != nil {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			code := 0
			if s.Exec != nil {
				code = s.Exec(p.Command, ch, ch.Stderr())
			}
			var status [4]byte
			binary.BigEndian.PutUint32(status[:], uint32(code))
			_, _ = ch.SendRequest("exit-status", false, status[:])
			return
		case "subsystem":
			var p struct{ Name string }
			if gossh.Unmarshal(req.Payload, &p) != nil || p.Name != "sftp" {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			if s.SFTP != nil {
				s.SFTP(ch)
				return
			}
			srv, err := sftp.NewServer(ch)
			if err != nil {
				return
			}
			_ = srv.Serve()
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// NewSSHSigner returns a fresh ed25519 key.
func NewSSHSigner(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// NewSSHKeyPEM returns a fresh ed25519 private key in OpenSSH PEM form,
// encrypted when passphrase is not "", and its public key.
func NewSSHKeyPEM(t testing.TB, passphrase string) (string, gossh.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = gossh.MarshalPrivateKeyWithPassphrase(priv, "test", []byte(passphrase))
	} else {
		block, err = gossh.MarshalPrivateKey(priv, "test")
	}
	if err != nil {
		t.Fatal(err)
	}
	sp, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block)), sp
}
