package proc

import (
	"cmp"
	"net"
	"sync"
	"testing"
)

// Proxy is a TCP proxy on a loopback port in front of one server (a
// PostgreSQL): a test points a replica at it and cuts it to partition that
// replica from the database, then heals it.
type Proxy struct {
	target string
	addr   string

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	cut    bool
	closed bool
	served int
	// stalled holds every byte in the proxy until Resume; resume wakes
	// the forwarders waiting on it.
	stalled bool
	resume  *sync.Cond
}

// NewProxy starts a proxy forwarding to target (host:port); it stops with
// the test.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.resume = sync.NewCond(&p.mu)
	p.ln = ln
	go p.accept(ln)
	t.Cleanup(p.Close)
	return p
}

// Addr is the host:port clients connect to.
func (p *Proxy) Addr() string { return p.addr }

// Cut drops every connection through the proxy and refuses new ones (the
// port is closed, so a connect fails at once), as when the network
// between the client and the server fails or the server is gone.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut || p.closed {
		return
	}
	p.cut = true
	p.dropLocked()
	p.resume.Broadcast()
}

// Stall stops forwarding in both directions without closing anything:
// connections stay open and new ones are accepted, but no byte goes
// through until Resume, as when the network stops answering (a switch
// dropping packets) rather than failing.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
}

// Resume forwards again what a Stall held, and what comes after.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = false
	p.resume.Broadcast()
}

// pass waits while the proxy is stalled; false when it was cut or
// closed meanwhile.
func (p *Proxy) pass() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.stalled && !p.cut && !p.closed {
		p.resume.Wait()
	}
	return !p.cut && !p.closed
}

// Heal listens again on the same port and forwards new connections.
func (p *Proxy) Heal() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.cut || p.closed {
		return nil
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return err
	}
	p.ln, p.cut = ln, false
	go p.accept(ln)
	return nil
}

// Served counts the connections the proxy has forwarded.
func (p *Proxy) Served() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.served
}

// Close stops the proxy and drops its connections.
func (p *Proxy) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	p.dropLocked()
	p.resume.Broadcast()
}

// dropLocked closes the listener and every connection; callers hold p.mu.
func (p *Proxy) dropLocked() {
	_ = p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *Proxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

// forward joins one client to a new connection to the target; either
// side closing, or a cut, closes both.
func (p *Proxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	if !p.track(client, server) {
		_ = client.Close()
		_ = server.Close()
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 && p.pass() {
				_, werr := dst.Write(buf[:n])
				err = cmp.Or(err, werr)
			} else if n > 0 {
				break
			}
			if err != nil {
				break
			}
		}
		_ = dst.Close()
		_ = src.Close()
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// track records a forwarded pair so a cut can close it; false when the
// proxy was cut or closed meanwhile.
func (p *Proxy) track(client, server net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut || p.closed {
		return false
	}
	p.conns[client] = struct{}{}
	p.conns[server] = struct{}{}
	p.served++
	return true
}
