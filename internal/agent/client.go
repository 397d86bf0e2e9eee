package agent

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/redact"
)

// Options configure the agent side.
type Options struct {
	// Server is the server's base URL (https://tocsin.example.com).
	Server string
	Token  string
	// Location, when set, is checked against the location the server
	// knows the agent by: a mismatch stops the agent.
	Location string
	Buffer   *Buffer
	// Kinds builds the probers (the server's probe kind registry).
	Kinds  *probe.Kinds
	Client *http.Client
	Logger *slog.Logger
	Now    func() time.Time
	// Poll is how often the assignment is fetched; default 10s.
	Poll time.Duration
	// BatchSize is how many results one push holds; default 500.
	BatchSize int
	// Linger is the longest a push waits after a new result for others
	// to join it, so monitors spread over their interval do not make one
	// request each; default 2s, and never more than a quarter of the
	// shortest interval assigned.
	Linger time.Duration
	// OnAssignment, when set, is called with every assignment applied.
	OnAssignment func(Assignment)
}

// ErrRefused is returned by Run when the server refuses the agent's token.
var ErrRefused = errors.New("the server refused this agent's token")

// Run runs the agent until ctx ends or the server refuses its token.
func Run(ctx context.Context, o Options) error {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Poll <= 0 {
		o.Poll = 10 * time.Second
	}
	if o.Linger <= 0 {
		o.Linger = 2 * time.Second
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	o.Server = strings.TrimRight(o.Server, "/")
	a := &runner{o: o, wake: make(chan struct{}, 1), running: map[string]*running{}}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	wg.Go(func() { a.push(ctx, cancel) })
	a.poll(ctx, cancel)
	a.stopAll()
	wg.Wait()
	a.probes.Wait()
	if err := context.Cause(ctx); errors.Is(err, ErrRefused) {
		return err
	}
	return nil
}

type running struct {
	fingerprint string
	stop        context.CancelFunc
}

type runner struct {
	o       Options
	wake    chan struct{}
	version string
	running map[string]*running
	probes  sync.WaitGroup
	// linger is Options.Linger bounded by the assignment's intervals.
	linger atomic.Int64
}

// do sends one request with the agent's token; a 401 cancels the agent.
func (a *runner) do(ctx context.Context, req *http.Request, cancel context.CancelCauseFunc) (*http.Response, []byte, error) {
	req.Header.Set("Authorization", "Bearer "+a.o.Token)
	req.Header.Set("User-Agent", "tocsin-agent")
	resp, err := a.o.Client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return resp, nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized {
		err := fmt.Errorf("%w: %s", ErrRefused, errorMessage(resp.StatusCode, body))
		a.o.Logger.Error("the server refused this agent's token: it was revoked or is wrong; create a new one with `tocsin agent-token create`", "err", err)
		cancel(err)
		return resp, body, err
	}
	return resp, body, nil
}

// poll fetches the assignment every Poll and applies it when it changed.
func (a *runner) poll(ctx context.Context, cancel context.CancelCauseFunc) {
	t := time.NewTicker(a.o.Poll)
	defer t.Stop()
	for {
		if err := a.fetch(ctx, cancel); err != nil && ctx.Err() == nil {
			a.o.Logger.Warn("fetching the assignment failed; the agent keeps running the last one", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *runner) fetch(ctx context.Context, cancel context.CancelCauseFunc) error {
	req, err := http.NewRequest(http.MethodGet, a.o.Server+AssignmentPath, nil)
	if err != nil {
		return err
	}
	if a.version != "" {
		req.Header.Set("If-None-Match", `"`+a.version+`"`)
	}
	resp, body, err := a.do(ctx, req, cancel)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusNotModified {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New(errorMessage(resp.StatusCode, body))
	}
	var env struct {
		Data Assignment `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("the assignment is not JSON: %w", err)
	}
	as := env.Data
	if a.o.Location != "" && as.Location != a.o.Location {
		err := fmt.Errorf("%w: the server knows agent %q at location %q, not %q", ErrRefused, as.Agent, as.Location, a.o.Location)
		a.o.Logger.Error("wrong location", "err", err)
		cancel(err)
		return err
	}
	cfg, err := config.Parse([]byte(as.Config), "assignment", a.o.Kinds)
	if err != nil {
		return fmt.Errorf("the assignment does not load: %w", err)
	}
	a.apply(ctx, cfg)
	a.version = as.Version
	a.o.Logger.Info("assignment applied", "agent", as.Agent, "location", as.Location, "monitors", len(as.Monitors), "version", as.Version)
	if a.o.OnAssignment != nil {
		a.o.OnAssignment(as)
	}
	return nil
}

// apply starts the monitors that are new or changed and stops those gone.
func (a *runner) apply(ctx context.Context, cfg *config.Config) {
	linger := a.o.Linger
	for _, m := range cfg.Monitors {
		if q := m.Interval.D() / 4; q > 0 && q < linger {
			linger = q
		}
	}
	a.linger.Store(int64(linger))
	keep := map[string]bool{}
	for i := range cfg.Monitors {
		m := cfg.Monitors[i]
		keep[m.ID] = true
		fp := m.Fingerprint()
		if r, ok := a.running[m.ID]; ok && r.fingerprint == fp {
			continue
		} else if ok {
			r.stop()
		}
		p, err := a.o.Kinds.Build(&m)
		if err != nil {
			msg := fmt.Sprintf("monitor %q cannot run on this agent: %s", m.ID, redact.Target(err.Error()))
			p = probe.ProberFunc(func(context.Context) probe.Result { return probe.Result{Status: probe.Unknown, Reason: msg} })
		}
		mctx, stop := context.WithCancel(ctx)
		a.running[m.ID] = &running{fingerprint: fp, stop: stop}
		a.probes.Go(func() { a.loop(mctx, &m, p) })
	}
	for id, r := range a.running {
		if !keep[id] {
			r.stop()
			delete(a.running, id)
		}
	}
}

func (a *runner) stopAll() {
	for _, r := range a.running {
		r.stop()
	}
}

// Offset is when, within its interval, a monitor first runs after the
// agent starts or receives it: spread by its id, so an agent's monitors do
// not all run, and report, at the same instant every interval.
func Offset(id string, interval time.Duration) time.Duration {
	if interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	return time.Duration(h.Sum64() % uint64(interval))
}

// loop runs one monitor every interval, from its Offset on, and buffers
// its results.
func (a *runner) loop(ctx context.Context, m *config.Monitor, p probe.Prober) {
	first := time.NewTimer(Offset(m.ID, m.Interval.D()))
	select {
	case <-ctx.Done():
		first.Stop()
		return
	case <-first.C:
	}
	t := time.NewTicker(m.Interval.D())
	defer t.Stop()
	for {
		if !m.Paused {
			r := a.probe(ctx, m, p)
			if ctx.Err() != nil {
				return
			}
			if err := a.o.Buffer.Append(r); err != nil {
				a.o.Logger.Error("buffering a result failed", "monitor", m.ID, "err", err)
			}
			select {
			case a.wake <- struct{}{}:
			default:
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *runner) probe(ctx context.Context, m *config.Monitor, p probe.Prober) probe.Result {
	start := a.o.Now()
	pctx, cancel := context.WithTimeout(ctx, m.Timeout.D())
	defer cancel()
	r := p.Probe(pctx)
	r.MonitorID, r.Reason, r.Location = m.ID, redact.Target(r.Reason), ""
	if r.Time.IsZero() {
		r.Time = start
	}
	r.Time = r.Time.UTC()
	if r.Duration == 0 {
		r.Duration = a.o.Now().Sub(start)
	}
	return r
}

// push sends the buffered results in order, oldest first, and forgets
// each batch the server answered for. While the server is unreachable it
// backs off, up to a minute between tries.
func (a *runner) push(ctx context.Context, cancel context.CancelCauseFunc) {
	backoff := time.Duration(0)
	for {
		n, err := a.pushOnce(ctx, cancel)
		switch {
		case err != nil:
			backoff = min(max(2*backoff, time.Second), time.Minute)
			if ctx.Err() == nil {
				a.o.Logger.Warn("pushing results failed; they stay buffered", "err", err, "pending", a.o.Buffer.Pending(), "retry_in", backoff)
			}
		case n == a.o.BatchSize:
			backoff = 0
			continue
		default:
			backoff = time.Second
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		case <-a.wake:
			wait := time.Duration(a.linger.Load())
			if wait <= 0 {
				wait = a.o.Linger
			}
			if err != nil {
				// Keep to the back-off: a result taken meanwhile does
				// not make the server reachable.
				wait = backoff
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}
}

func (a *runner) pushOnce(ctx context.Context, cancel context.CancelCauseFunc) (int, error) {
	batch, err := a.o.Buffer.Peek(a.o.BatchSize)
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	req := PushRequest{Results: make([]probe.Result, len(batch))}
	for i, e := range batch {
		req.Results[i] = e.Result
	}
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	if err := json.NewEncoder(zw).Encode(req); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	hr, err := http.NewRequest(http.MethodPost, a.o.Server+ResultsPath, &body)
	if err != nil {
		return 0, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Content-Encoding", "gzip")
	resp, raw, err := a.do(ctx, hr, cancel)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, errs.Errorf(errs.EUNAVAILABLE, "%s", errorMessage(resp.StatusCode, raw))
	}
	var env struct {
		Data PushResponse `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || len(env.Data.Results) != len(batch) {
		return 0, fmt.Errorf("the server's answer to a push does not list the %d results sent", len(batch))
	}
	for i, v := range env.Data.Results {
		if !v.Accepted {
			a.o.Logger.Warn("the server refused a result; it is dropped", "monitor", batch[i].Result.MonitorID,
				"time", batch[i].Result.Time, "reason", v.Error)
		}
	}
	if err := a.o.Buffer.Ack(batch[len(batch)-1].Seq); err != nil {
		return 0, err
	}
	return len(batch), nil
}
