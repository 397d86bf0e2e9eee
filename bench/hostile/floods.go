package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// tally counts outcomes by name, for the report.
type tally struct {
	mu    sync.Mutex
	names []string
	n     map[string]int
}

func (t *tally) add(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n = map[string]int{}
	}
	if t.n[name] == 0 {
		t.names = append(t.names, name)
	}
	t.n[name]++
}

// String lists the outcomes, most frequent first.
func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	names := slices.Clone(t.names)
	slices.SortStableFunc(names, func(a, b string) int { return t.n[b] - t.n[a] })
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, t.n[n]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func (t *tally) total() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var s int
	for _, v := range t.n {
		s += v
	}
	return s
}

// answer names an HTTP outcome: "200 OK", "429", "error: timeout".
func answer(status int, body string, err error) string {
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "error: timeout"
		}
		s := err.Error()
		for _, known := range []string{"connection reset", "connection refused", "EOF", "too many open files", "broken pipe"} {
			if strings.Contains(s, known) {
				return "error: " + known
			}
		}
		return "error: other"
	}
	body = strings.TrimSpace(body)
	if status/100 == 2 && len(body) <= 20 && body != "" {
		return fmt.Sprintf("%d %s", status, body)
	}
	return strconv.Itoa(status)
}

// pingResult is one ping's answer.
type pingResult struct {
	outcome string
	acked   bool // answered as stored
	took    time.Duration
}

// ping sends one ping request and reads the answer; an answer that says the
// ping was stored counts as acknowledged for the heartbeat key.
func (e *env) ping(c *http.Client, req *http.Request, key string) pingResult {
	t0 := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return pingResult{outcome: answer(0, "", err), took: time.Since(t0)}
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, 4096))
	res.Body.Close()
	r := pingResult{outcome: answer(res.StatusCode, string(body), err), took: time.Since(t0)}
	if err == nil && (res.StatusCode == http.StatusOK || res.StatusCode == http.StatusCreated) {
		if b := strings.TrimSpace(string(body)); b == "OK" || b == "Created" {
			r.acked = true
			e.ack(key)
		}
	}
	return r
}

// Phases of a run, for the regular pings' latency.
const (
	phaseWarmup = iota
	phaseFlood
	phaseSettle
)

// pinger pings the regular heartbeats in turn from 127.0.0.1, each ping on
// its own goroutine at its own time, so a slow answer does not delay the
// next ping and hide the delay.
type pinger struct {
	phase atomic.Int32
	wg    sync.WaitGroup
	mu    sync.Mutex
	lats  [3][]time.Duration
	fails [3]tally
}

func (e *env) startPinger(ctx context.Context) *pinger {
	p := &pinger{}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	p.wg.Go(func() {
		tick := time.NewTicker(e.o.pingEvery)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			h := e.regular[i%len(e.regular)]
			phase := p.phase.Load()
			p.wg.Go(func() {
				req, _ := http.NewRequest(http.MethodGet, e.srv.base+"/ping/"+h.uuid, nil)
				r := e.ping(client, req, h.id)
				p.mu.Lock()
				p.lats[phase] = append(p.lats[phase], r.took)
				p.mu.Unlock()
				if !r.acked {
					p.fails[phase].add(r.outcome)
				}
			})
		}
	})
	return p
}

func (p *pinger) wait() { p.wg.Wait() }

// pingSummary is the regular pings' latency before and during the flood.
type pingSummary struct {
	baseP95        time.Duration
	n              int
	p50, p95, p99  time.Duration
	max            time.Duration
	failed         int // not stored, over the whole run
	failedOutcomes string
}

func (p *pinger) summary() pingSummary {
	p.mu.Lock()
	defer p.mu.Unlock()
	base := slices.Sorted(slices.Values(p.lats[phaseWarmup]))
	flood := slices.Sorted(slices.Values(p.lats[phaseFlood]))
	var all tally
	for ph := range p.fails {
		for _, name := range p.fails[ph].names {
			for range p.fails[ph].n[name] {
				all.add(name)
			}
		}
	}
	return pingSummary{
		baseP95: pct(base, .95),
		n:       len(flood),
		p50:     pct(flood, .50), p95: pct(flood, .95), p99: pct(flood, .99), max: pct(flood, 1),
		failed: all.total(), failedOutcomes: all.String(),
	}
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// workers runs fn(i) for i in [0, n) on conc goroutines, or until ctx ends;
// n < 0 runs until ctx ends.
func workers(ctx context.Context, conc, n int, fn func(worker, i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if n >= 0 && i >= n {
					return
				}
				fn(w, i)
			}
		})
	}
	wg.Wait()
}

// loginFlood posts wrong passwords for the admin account from many
// addresses at once.
func loginFlood(ctx context.Context, e *env, r *report) {
	ctx, cancel := context.WithTimeout(ctx, e.o.loginFor)
	defer cancel()
	var t tally
	var lats []time.Duration
	var mu sync.Mutex
	t0 := time.Now()
	workers(ctx, e.o.loginConc, -1, func(w, i int) {
		form := url.Values{"name": {"admin"}, "password": {fmt.Sprintf("wrong guess %d", i)}}
		req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, e.srv.base+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		start := time.Now()
		res, err := e.client(w).Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			t.add(strconv.Itoa(res.StatusCode))
		} else {
			t.add(answer(0, "", err))
		}
		mu.Lock()
		lats = append(lats, time.Since(start))
		mu.Unlock()
	})
	slices.Sort(lats)
	el := time.Since(t0).Seconds()
	r.outcome = []string{
		fmt.Sprintf("logins: %d sent (%.0f/s): %s", t.total(), float64(t.total())/el, &t),
		fmt.Sprintf("login answer p50 %s, p99 %s", ms(pct(lats, .5)), ms(pct(lats, .99))),
	}
}

// slowFlood holds connections that sent a ping's headers and trickle its
// body. A connection the server answers or closes is opened again.
func slowFlood(ctx context.Context, e *env, r *report) {
	ctx, cancel := context.WithTimeout(ctx, e.o.slowFor)
	defer cancel()
	var (
		opened, dialFailed, closedByServer atomic.Int64
		open                               atomic.Int64
		answers                            tally
		dialSlots                          = make(chan struct{}, 64)
		wg                                 sync.WaitGroup
	)
	host := strings.TrimPrefix(e.srv.base, "http://")
	hold := func(w int) {
		dialSlots <- struct{}{}
		conn, err := e.dialers[w%len(e.dialers)].DialContext(ctx, "tcp", host)
		<-dialSlots
		if err != nil {
			if ctx.Err() == nil {
				dialFailed.Add(1)
				answers.add("dial " + answer(0, "", err))
			}
			return
		}
		opened.Add(1)
		open.Add(1)
		defer open.Add(-1)
		defer conn.Close()
		h := e.flood[w%len(e.flood)]
		if _, err := fmt.Fprintf(conn, "POST /ping/%s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n", h.uuid, host); err != nil {
			closedByServer.Add(1)
			answers.add("closed before the headers were sent")
			return
		}
		gone := make(chan struct{})
		go func() {
			// Whatever the server says, or its closing, ends this connection.
			line, err := bufio.NewReader(conn).ReadString('\n')
			if ctx.Err() == nil {
				closedByServer.Add(1)
				if err == nil {
					answers.add("answered " + strings.TrimSpace(line))
				} else {
					answers.add("closed: " + answer(0, "", err))
				}
			}
			close(gone)
		}()
		tick := time.NewTicker(e.o.trickle)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-gone:
				return
			case <-tick.C:
				_ = conn.SetWriteDeadline(time.Now().Add(e.o.trickle))
				if _, err := conn.Write([]byte("x")); err != nil {
					<-gone
					return
				}
			}
		}
	}
	for w := range e.o.slowConns {
		wg.Go(func() {
			for ctx.Err() == nil {
				hold(w)
				// Come back after a while, not in a tight loop, when the
				// server ended the connection.
				select {
				case <-ctx.Done():
				case <-time.After(e.o.trickle):
				}
			}
		})
	}
	<-ctx.Done()
	heldAtEnd := open.Load()
	wg.Wait()
	r.outcome = []string{
		fmt.Sprintf("connections: %d opened, %d still held at the end, %d ended by the server, %d dials failed",
			opened.Load(), heldAtEnd, closedByServer.Load(), dialFailed.Load()),
		"how they ended: " + answers.String(),
	}
}

// createFlood sends ?create=1 pings, each for a slug the server does not
// know yet.
func createFlood(ctx context.Context, e *env, r *report) {
	var t tally
	workers(ctx, e.o.createConc, e.o.creates, func(w, i int) {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/ping/%s/hostile-%06d?create=1", e.srv.base, pingKey, i), nil)
		t.add(e.ping(e.client(i), req, createdKey).outcome)
	})
	r.outcome = []string{fmt.Sprintf("create pings: %d sent: %s", t.total(), &t)}
}

// Invalid pings of the utf8 flood, in turn.
var invalidPings = []struct {
	name string
	ua   string
	body string
}{
	{name: "User-Agent not UTF-8", ua: "hostile \xff\xfe agent"},
	// 255 bytes and then "é" (2 bytes): a cut at 256 bytes splits it.
	{name: "User-Agent cut mid-character at 256 bytes", ua: strings.Repeat("a", 255) + "é and more"},
	{name: "body not UTF-8", ua: "hostile-bench", body: "job output \xff\xfe\xfd"},
}

// utf8Flood sends valid pings with an invalid one after every few, spread
// over the flood heartbeats and the source addresses.
func utf8Flood(ctx context.Context, e *env, r *report) {
	every := max(e.o.utf8Every, 1)
	invalids := e.o.utf8Valid / every
	var valid, invalid tally
	var refused atomic.Int64
	workers(ctx, e.o.utf8Conc, e.o.utf8Valid+invalids, func(w, i int) {
		h := e.flood[i%len(e.flood)]
		u := e.srv.base + "/ping/" + h.uuid
		if i%(every+1) != every {
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("User-Agent", "hostile-bench")
			res := e.ping(e.client(i), req, h.id)
			valid.add(res.outcome)
			if !res.acked {
				refused.Add(1)
			}
			return
		}
		bad := invalidPings[(i/(every+1))%len(invalidPings)]
		method, body := http.MethodGet, io.Reader(nil)
		if bad.body != "" {
			method, body = http.MethodPost, strings.NewReader(bad.body)
		}
		req, _ := http.NewRequest(method, u, body)
		req.Header.Set("User-Agent", bad.ua)
		invalid.add(bad.name + ": " + e.ping(e.client(i), req, h.id).outcome)
	})
	r.validRefused = int(refused.Load())
	r.outcome = []string{
		fmt.Sprintf("valid pings: %d sent: %s", valid.total(), &valid),
		fmt.Sprintf("invalid pings: %d sent: %s", invalid.total(), &invalid),
	}
}

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return fmt.Sprintf("%.1fms", float64(d)/1e6)
}
