package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"
)

// exportServer is the file server the partners fetch the export from: an
// SSH server on a loopback port that serves the sftp subsystem from the
// real file system to one user with a password.
type exportServer struct {
	addr        string
	fingerprint string
	ln          net.Listener
	conf        *gossh.ServerConfig
}

func startExportServer(user, password string) (*exportServer, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	signer, err := gossh.NewSignerFromKey(key)
	if err != nil {
		return nil, err
	}
	conf := &gossh.ServerConfig{
		PasswordCallback: func(c gossh.ConnMetadata, pw []byte) (*gossh.Permissions, error) {
			if c.User() == user && string(pw) == password {
				return nil, nil
			}
			return nil, fmt.Errorf("password rejected for %q", c.User())
		},
		ServerVersion: "SSH-2.0-OpenSSH_9.6",
	}
	conf.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &exportServer{addr: ln.Addr().String(), fingerprint: gossh.FingerprintSHA256(signer.PublicKey()), ln: ln, conf: conf}
	go s.serve()
	return s, nil
}

func (s *exportServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.handle(c)
	}
}

func (s *exportServer) handle(c net.Conn) {
	defer c.Close()
	_, chans, reqs, err := gossh.NewServerConn(c, s.conf)
	if err != nil {
		return
	}
	go gossh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(gossh.UnknownChannelType, "only sessions")
			continue
		}
		ch, chReqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			defer ch.Close()
			for req := range chReqs {
				var p struct{ Name string }
				if req.Type != "subsystem" || gossh.Unmarshal(req.Payload, &p) != nil || p.Name != "sftp" {
					_ = req.Reply(false, nil)
					continue
				}
				_ = req.Reply(true, nil)
				srv, err := sftp.NewServer(ch)
				if err != nil {
					return
				}
				_ = srv.Serve()
				_ = srv.Close()
				return
			}
		}()
	}
}

func (s *exportServer) Close() error { return s.ln.Close() }

// firewall stands between the partners and the file server: it forwards
// TCP connections until Block, after which it drops them the way a
// firewall rule with DROP does: the connection is taken and nothing ever
// comes back, so a client waits until its own timeout.
type firewall struct {
	addr    string
	to      string
	ln      net.Listener
	blocked atomic.Bool

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func startFirewall(to string) (*firewall, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &firewall{addr: ln.Addr().String(), to: to, ln: ln, conns: map[net.Conn]struct{}{}}
	go f.serve()
	return f, nil
}

// Block drops every connection from now on, the open ones included.
func (f *firewall) Block() {
	f.blocked.Store(true)
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		_ = c.Close()
	}
}

// Allow forwards connections again.
func (f *firewall) Allow() { f.blocked.Store(false) }

func (f *firewall) track(c net.Conn, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on {
		f.conns[c] = struct{}{}
	} else {
		delete(f.conns, c)
	}
}

func (f *firewall) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.track(c, true)
		go func() {
			defer f.track(c, false)
			defer c.Close()
			if f.blocked.Load() {
				// Dropped: read and discard until the client gives up.
				_, _ = io.Copy(io.Discard, c)
				return
			}
			up, err := net.Dial("tcp", f.to)
			if err != nil {
				return
			}
			f.track(up, true)
			defer f.track(up, false)
			defer up.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
			<-done
		}()
	}
}

func (f *firewall) Close() error {
	err := f.ln.Close()
	f.Block()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
