// Package mailtest holds what the mail probes' tests share: hostile servers
// on an in-memory network, for use inside testing/synctest bubbles.
package mailtest

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/testkit"
)

// Hostile serves every connection at addr on n with script, which may
// misbehave at will: hang, talk without end, close early. It stops when the
// test ends.
func Hostile(t testing.TB, n *testkit.PipeNet, addr string, script func(c net.Conn, r *bufio.Reader)) {
	t.Helper()
	l := n.Listen(addr)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				script(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}

// Say writes lines with CRLF endings.
func Say(c net.Conn, lines ...string) {
	for _, l := range lines {
		if _, err := fmt.Fprintf(c, "%s\r\n", l); err != nil {
			return
		}
	}
}

// Expect reads one line and reports whether it starts with prefix (case
// insensitive).
func Expect(r *bufio.Reader, prefix string) bool {
	line, err := r.ReadString('\n')
	return err == nil && strings.HasPrefix(strings.ToUpper(line), strings.ToUpper(prefix))
}

// Endless writes data until the peer goes away.
func Endless(c net.Conn, data string) {
	chunk := []byte(strings.Repeat(data, 8192/len(data)+1))
	for {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}

// Hang blocks until the connection is closed by the peer.
func Hang(r *bufio.Reader) {
	_, _ = r.ReadString(0)
}

// Want fails the test unless r has status and its reason contains reason.
func Want(t testing.TB, r probe.Result, status probe.Status, reason string) {
	t.Helper()
	if r.Status != status || !strings.Contains(r.Reason, reason) {
		t.Fatalf("got %s %q, want %s with %q", r.Status, r.Reason, status, reason)
	}
}
