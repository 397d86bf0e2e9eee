package app

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tocsin/tocsin/internal/config"
)

// pipeListener is a listener of in-memory connections (net.Pipe), so a
// test can run a real http.Server inside a synctest bubble. Dialled
// connections queue like the kernel's accept queue; open counts the
// accepted ones not yet closed and peak the most at once.
type pipeListener struct {
	queue     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
	open      atomic.Int32
	peak      atomic.Int32
}

func newPipeListener() *pipeListener {
	return &pipeListener{queue: make(chan net.Conn, 64), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.queue:
		n := l.open.Add(1)
		for p := l.peak.Load(); n > p && !l.peak.CompareAndSwap(p, n); p = l.peak.Load() {
		}
		return &countedConn{Conn: c, l: l}, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080} }

func (l *pipeListener) dial() net.Conn {
	client, server := net.Pipe()
	l.queue <- server
	return client
}

type countedConn struct {
	net.Conn
	l    *pipeListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// TestSlowBodiesAreCutAndCapped runs the web server's HTTP settings with a
// cap of 3 connections and a 2 s read timeout against 6 clients that send
// their headers and then trickle a body one byte a second. No more than 3
// are ever open; each is cut off by the deadline long before its body is
// done; and a normal request then gets its answer.
func TestSlowBodiesAreCutAndCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const capacity, slow, bodySize = 3, 6, 1000
		cfg := &config.Config{Server: config.Server{MaxConnections: capacity, Concurrency: 1,
			ReadTimeout: config.Duration(2 * time.Second), WriteTimeout: config.Duration(5 * time.Second), IdleTimeout: config.Duration(5 * time.Second)}}
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "body cut off", http.StatusBadRequest)
				return
			}
			fmt.Fprintf(w, "got %d bytes", len(b))
		})
		pl := newPipeListener()
		srv, ln := newHTTPServer(cfg, h, slog.New(slog.DiscardHandler), pl, 0)
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()

		start := time.Now()
		type outcome struct {
			sent  int
			ended time.Duration
		}
		outcomes := make(chan outcome, slow)
		for range slow {
			c := pl.dial()
			go func() {
				defer c.Close()
				// Reading tells when the server hung up.
				read := make(chan struct{})
				go func() { _, _ = io.Copy(io.Discard, c); close(read) }()
				sent := 0
				if _, err := fmt.Fprintf(c, "POST /ping/x HTTP/1.1\r\nHost: tocsin\r\nContent-Length: %d\r\n\r\n", bodySize); err == nil {
					for sent < bodySize {
						if _, err := c.Write([]byte("x")); err != nil {
							break
						}
						sent++
						select {
						case <-read:
						case <-time.After(time.Second):
							continue
						}
						break
					}
				}
				<-read
				outcomes <- outcome{sent, time.Since(start)}
			}()
		}
		synctest.Wait()
		if n := pl.open.Load(); n != capacity {
			t.Errorf("%d connections open while %d clients trickle, want the cap %d", n, slow, capacity)
		}
		for range slow {
			o := <-outcomes
			if o.sent >= bodySize {
				t.Errorf("a slow client sent its whole body (%d bytes): it was never cut off", o.sent)
			}
			// Two rounds of three, each cut at the read timeout.
			if o.ended > 2*cfg.Server.ReadTimeout.D()+time.Second {
				t.Errorf("a slow client was cut off after %v", o.ended)
			}
		}
		if p := pl.peak.Load(); p > capacity {
			t.Errorf("%d connections were open at once, cap %d", p, capacity)
		}

		// A normal request, after the slow ones are gone.
		c := pl.dial()
		body := strings.Repeat("y", 50)
		fmt.Fprintf(c, "POST /ping/x HTTP/1.1\r\nHost: tocsin\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		c.Close()
		if resp.StatusCode != http.StatusOK || string(got) != "got 50 bytes" {
			t.Errorf("normal request: %d %q", resp.StatusCode, got)
		}

		srv.Close()
		if err := <-served; err != http.ErrServerClosed {
			t.Errorf("Serve: %v", err)
		}
	})
}

func TestConnectionCap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		configured, fdLimit, reserve, want int
	}{
		{0, 0, 600, autoMaxConnections},       // unknown file limit: the default
		{0, 1 << 20, 600, autoMaxConnections}, // plenty of files
		{0, 4096, 600, 3496},                  // the file limit decides
		{2000, 4096, 600, 2000},               // configured below it
		{10000, 4096, 600, 3496},              // configured above it: lowered
		{0, 1024, 1100, minConnections},       // hopeless file limit: the floor
		{5, 1 << 20, 600, 5},                  // a small setting is kept
	} {
		if got := connectionCap(tc.configured, tc.fdLimit, tc.reserve); got != tc.want {
			t.Errorf("connectionCap(%d, %d, %d) = %d, want %d", tc.configured, tc.fdLimit, tc.reserve, got, tc.want)
		}
	}
	cfg := &config.Config{Server: config.Server{Concurrency: 256, SMTPListen: "127.0.0.1:2525", SMTPMaxConnections: 50},
		Monitors: make([]config.Monitor, 100)}
	if got, want := fdReserve(cfg), fdBase+512+100+50; got != want {
		t.Errorf("fdReserve = %d, want %d", got, want)
	}
}
