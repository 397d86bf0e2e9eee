package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Backoff between ping attempts: it starts at initialBackoff and doubles up
// to maxBackoff, each wait drawn by Options.Jitter.
const (
	initialBackoff = time.Second
	maxBackoff     = 30 * time.Second
)

// pinger sends pings to one heartbeat.
type pinger struct {
	o    *Options
	base string // .../ping/{uuid} or .../ping/{key}/{slug}
}

// result is what came of one ping, after all its attempts.
type result struct {
	Status    int // last HTTP status, 0 when none was received
	BodyLimit int // the Ping-Body-Limit the server advertised, 0 if none
	Attempts  int
	Err       error // nil when the server acknowledged the ping
}

// send delivers one ping, retrying while the server is unreachable or
// answers 5xx or 429, for at most Options.RetryFor. Closing stop ends the
// retries early; an attempt in flight still completes.
func (p *pinger) send(ctx context.Context, stop <-chan struct{}, suffix, rid string, body []byte) result {
	u := p.base
	if suffix != "" {
		u += "/" + suffix
	}
	q := url.Values{}
	if rid != "" {
		q.Set("rid", rid)
	}
	if p.o.Create {
		q.Set("create", "1")
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	waitCtx := ctx
	if stop != nil {
		var cancel context.CancelFunc
		waitCtx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-stop:
				cancel()
			case <-waitCtx.Done():
			}
		}()
	}
	deadline := p.o.Now().Add(p.o.RetryFor)
	delay := initialBackoff
	var r result
	for {
		r.Attempts++
		var retryAfter time.Duration
		r.Status, r.BodyLimit, retryAfter, r.Err = p.once(ctx, u, body)
		if r.Err == nil || !retryable(r.Status, r.Err) || ctx.Err() != nil {
			return r
		}
		wait := max(p.o.Jitter(delay), retryAfter)
		left := deadline.Sub(p.o.Now())
		if left <= 0 {
			return r
		}
		wait = min(wait, left)
		if waitCtx.Err() != nil || p.o.Sleep(waitCtx, wait) != nil {
			return r
		}
		delay = min(2*delay, maxBackoff)
	}
}

// retryable reports whether another attempt may succeed: the server was
// not reached, failed, or asked the client to slow down. Any other answer
// (400 bad URL, 404 unknown heartbeat, 409 ambiguous slug) stays the same.
func retryable(status int, err error) bool {
	return status == 0 || status >= 500 || status == http.StatusTooManyRequests || errors.Is(err, errTimeout)
}

var errTimeout = errors.New("no answer in time")

// once makes one attempt. It returns the status, the advertised body
// limit, a Retry-After delay and an error unless the ping was accepted.
func (p *pinger) once(ctx context.Context, u string, body []byte) (status, bodyLimit int, retryAfter time.Duration, err error) {
	actx, cancel := context.WithTimeout(ctx, p.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, 0, 0, err
	}
	req.Header.Set("User-Agent", p.o.UserAgent)
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := p.o.Client.Do(req)
	if err != nil {
		if actx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return 0, 0, 0, fmt.Errorf("%w (%s)", errTimeout, p.o.Timeout)
		}
		return 0, 0, 0, unwrapURLError(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if n, err := strconv.Atoi(resp.Header.Get("Ping-Body-Limit")); err == nil && n >= 0 {
		bodyLimit = n
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, bodyLimit, 0, nil
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		retryAfter = time.Duration(s) * time.Second
	}
	msg := strings.TrimSpace(string(text))
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return resp.StatusCode, bodyLimit, retryAfter, fmt.Errorf("the server answered %d %s", resp.StatusCode, oneLine(msg))
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL
// (and with it a ping key) in every message.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
