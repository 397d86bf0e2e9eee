// Package httpx is the HTTP(S) probe: one request per run, with the status
// code, body, headers, response time and certificate checked against the
// monitor's expectations, and the time spent in DNS, connect, TLS and
// waiting for the first byte recorded.
package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/probe/tlsx"
	"github.com/tocsin/tocsin/internal/redact"
	"github.com/tocsin/tocsin/internal/spec"
)

// Limits on what one run reads. The body kept for evaluation is at most
// MaxBodyRead bytes; after that up to maxDrain more bytes are read and
// thrown away so the connection can be reused, and a longer body is cut off
// by closing the connection.
const (
	MaxBodyRead    = 1 << 20
	maxDrain       = 256 << 10
	maxHeaderBytes = 64 << 10
	maxRedirects   = 10
	// pooledBufferCap is the largest body buffer returned to the pool, so
	// a rare huge body does not pin memory for every later run.
	pooledBufferCap = 64 << 10
	userAgent       = "Tocsin-Probe/1"
)

// plainHeader is the request header of every prober whose check sets no
// headers, shared: requests only read it, and one map per monitor is
// hundreds of bytes each at 100,000 monitors.
var plainHeader = http.Header{"User-Agent": {userAgent}}

// bodyPool shares body buffers across all HTTP probers: with thousands of
// monitors, only the runs in flight hold one.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Prober runs the http check of one monitor. Its transport keeps
// connections alive from run to run, unless the check asks for a fresh
// connection each time, and is shared with the other probers that connect
// the same way (see Transports).
type Prober struct {
	method    string
	url       string
	target    string // "GET https://x/" for reasons
	header    http.Header
	host      string // Host header override
	body      string
	client    *http.Client
	transport *http.Transport

	statuses  spec.StatusSet
	bodyCheck *probe.BodyCheck
	headers   []headerExpect
	maxTime   time.Duration
	minDays   int
	warnDays  int

	now func() time.Time
}

// headerExpect is one expected response header; an empty value only
// requires presence.
type headerExpect struct {
	name, value string
}

// New provisions an http prober: it validates the block, compiles the
// expectations, loads the CA file and client certificate and takes its
// transport from ts, so that Probe does no parsing. With a nil ts the
// prober gets a transport of its own.
func New(c *Check, ts *Transports) (*Prober, error) {
	if c == nil {
		return nil, errors.New("http check has no http block")
	}
	if err := config.JoinFieldErrors("http", c.Validate(nil)); err != nil {
		return nil, err
	}
	method := c.Method
	if method == "" {
		method = http.MethodGet
	}
	statuses, err := spec.ParseStatusSets(c.Expect.Status)
	if err != nil {
		return nil, fmt.Errorf("http check expect.status: %w", err)
	}
	conds := make([]probe.JSONCondition, len(c.Expect.JSON))
	for i, j := range c.Expect.JSON {
		conds[i] = probe.JSONCondition{Path: j.Path, Equals: j.Equals, Exists: j.Exists}
	}
	bodyCheck, err := probe.CompileBodyCheck(c.Expect.BodyContains, c.Expect.BodyRegex, conds)
	if err != nil {
		return nil, fmt.Errorf("http check expect: %w", err)
	}

	p := &Prober{
		method:    method,
		url:       c.URL,
		target:    method + " " + redact.Target(c.URL), // the request keeps the credentials; reasons never show them
		header:    plainHeader,
		body:      c.Body,
		statuses:  statuses,
		bodyCheck: bodyCheck,
		maxTime:   c.Expect.MaxResponseTime.D(),
		minDays:   c.Expect.CertMinDays,
		warnDays:  c.Expect.CertWarnDays,
		now:       time.Now,
	}
	if len(c.Headers) > 0 {
		p.header = make(http.Header, len(c.Headers)+1)
		p.header.Set("User-Agent", userAgent)
	}
	for k, v := range c.Headers {
		if strings.EqualFold(k, "Host") {
			p.host = v
			continue
		}
		p.header.Set(k, v)
	}
	for k, v := range c.Expect.Headers {
		p.headers = append(p.headers, headerExpect{name: http.CanonicalHeaderKey(k), value: v})
	}
	slices.SortFunc(p.headers, func(a, b headerExpect) int { return strings.Compare(a.name, b.name) })

	if ts == nil {
		ts = NewTransports()
	}
	if p.transport, err = ts.transport(c); err != nil {
		return nil, fmt.Errorf("http check %s: %w", redact.Target(c.URL), err)
	}
	follow := c.FollowRedirects == nil || *c.FollowRedirects
	p.client = &http.Client{
		Transport: p.transport,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if !follow {
				return http.ErrUseLastResponse
			}
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return nil
		},
	}
	return p, nil
}

// Close releases the idle connections of the prober's transport, which
// other probers may share. Idle connections close by themselves after
// the idle timeout too.
func (p *Prober) Close() error {
	p.transport.CloseIdleConnections()
	return nil
}

// Probe sends the request once and checks the response.
func (p *Prober) Probe(ctx context.Context) probe.Result {
	run := probe.Begin(p.now, p.target+": ", probe.NewTrace())
	start, tr, res, finish, fail := run.Start, run.Trace, &run.Res, run.Finish, run.Fail

	var body io.Reader
	if p.body != "" {
		body = strings.NewReader(p.body)
	}
	req, err := http.NewRequestWithContext(tr.Context(ctx), p.method, p.url, body)
	if err != nil {
		return fail(probe.Unknown, "building the request: "+redact.Target(err.Error()))
	}
	req.Header = p.header // read-only: the client clones before changing it
	if p.host != "" {
		req.Host = p.host
	}

	resp, err := p.client.Do(req)
	if err != nil {
		var verr *tls.CertificateVerificationError
		if errors.As(err, &verr) && len(verr.UnverifiedCertificates) > 0 {
			res.CertExpiry = verr.UnverifiedCertificates[0].NotAfter.UTC()
		}
		return fail(probe.FailureStatus(err), redact.Target(p.describe(err, start)))
	}
	defer resp.Body.Close()

	kept, read, truncated, err := p.readBody(resp.Body)
	if kept != nil {
		defer putBuffer(kept)
	}
	elapsed := p.now().Sub(start)
	res.Metrics = append(res.Metrics,
		probe.Metric{Name: "status_code", Value: float64(resp.StatusCode)},
		probe.Metric{Name: "body_bytes", Value: float64(read), Unit: "B", Min: "0"},
		timeMetric(elapsed, p.maxTime),
	)
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		leaf := resp.TLS.PeerCertificates[0]
		res.CertExpiry = leaf.NotAfter.UTC()
		res.Metrics = append(res.Metrics, tlsx.CertDaysMetric(leaf, p.now(), p.minDays, p.warnDays))
	}
	if err != nil {
		if probe.IsTimeout(err) {
			return fail(probe.FailureStatus(ctx.Err()), fmt.Sprintf("%d, timed out reading the body after %s",
				resp.StatusCode, probe.FormatDuration(elapsed)))
		}
		return fail(probe.FailureStatus(err), fmt.Sprintf("%d, reading the body: %s", resp.StatusCode, probe.ErrorReason(err)))
	}

	if !p.statuses.Contains(resp.StatusCode) {
		return fail(probe.Critical, fmt.Sprintf("%d, expected %s", resp.StatusCode, p.statuses))
	}
	for _, h := range p.headers {
		got := resp.Header.Values(h.name)
		switch {
		case len(got) == 0:
			return fail(probe.Critical, fmt.Sprintf("%d, header %s missing", resp.StatusCode, h.name))
		case h.value != "" && !slices.Contains(got, h.value):
			return fail(probe.Critical, fmt.Sprintf("%d, header %s is %q, expected %q",
				resp.StatusCode, h.name, redact.Header(h.name, probe.Clip(got[0], 120)), redact.Header(h.name, h.value)))
		}
	}
	var bodyBytes []byte
	if kept != nil {
		bodyBytes = kept.Bytes()
	}
	if reason := p.bodyCheck.Evaluate(bodyBytes, truncated); reason != "" {
		return fail(probe.Critical, fmt.Sprintf("%d, %s", resp.StatusCode, reason))
	}

	var warnings []string
	if res.CertExpiry != (time.Time{}) && (p.minDays > 0 || p.warnDays > 0) {
		status, reason := probe.CheckCertExpiry(res.CertExpiry, p.now(), p.minDays, p.warnDays)
		switch status {
		case probe.Critical:
			return fail(probe.Critical, reason)
		case probe.Warning:
			warnings = append(warnings, reason)
		}
	}
	summary := statusLine(resp.StatusCode) + " in " + probe.FormatDuration(elapsed)
	if p.maxTime > 0 && elapsed > p.maxTime {
		warnings = append(warnings, summary+", slower than "+probe.FormatDuration(p.maxTime))
	}
	if len(warnings) > 0 {
		return fail(probe.Warning, strings.Join(warnings, "; "))
	}
	return finish(probe.OK, summary)
}

// readBody reads what the expectations need (at most MaxBodyRead bytes)
// into a pooled buffer, then drains up to maxDrain more so the connection
// can go back to the pool. It returns the buffer (nil when the body is not
// evaluated), the bytes read in all, and whether the kept part is only the
// start of the body.
func (p *Prober) readBody(r io.Reader) (kept *bytes.Buffer, read int64, truncated bool, err error) {
	if p.bodyCheck.NeedsBody() {
		kept = bodyPool.Get().(*bytes.Buffer)
		kept.Reset()
		read, err = kept.ReadFrom(io.LimitReader(r, MaxBodyRead))
		if err != nil {
			return kept, read, false, err
		}
	}
	drained, err := io.Copy(io.Discard, io.LimitReader(r, maxDrain))
	read += drained
	truncated = kept != nil && drained > 0
	return kept, read, truncated, err
}

func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= pooledBufferCap {
		b.Reset()
		bodyPool.Put(b)
	}
}

// describe turns a request error into a reason, adding the elapsed time to
// timeouts.
func (p *Prober) describe(err error, start time.Time) string {
	r := probe.ErrorReason(err)
	if r == "timed out" {
		r += " after " + probe.FormatDuration(p.now().Sub(start))
	}
	return r
}

// statusLine is "200 OK", or just the code when it has no standard text.
func statusLine(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

func timeMetric(d, maxTime time.Duration) probe.Metric {
	// Microseconds, like every stored duration; the store keeps such a
	// value in three or four bytes instead of eight.
	m := probe.Metric{Name: "time", Value: d.Round(time.Microsecond).Seconds(), Unit: "s", Min: "0"}
	if maxTime > 0 {
		m.Warn = strconv.FormatFloat(maxTime.Seconds(), 'f', -1, 64)
	}
	return m
}

var _ probe.Prober = (*Prober)(nil)
