package agent

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/store"
)

// MonitorType is the type of the monitor every agent has, `agent:<id>`:
// it fails while the agent is silent.
const MonitorType = "agent"

// MonitorID is the id of agent id's monitor.
func MonitorID(id string) string { return "agent:" + id }

// Limits on the times of the results an agent pushes. MaxAge is the reach
// of the agent's buffer the server honours: a result older than that is
// refused (the agent drops it), as it would rewrite too old a history.
const (
	MaxAhead = 10 * time.Minute
	MaxAge   = 7 * 24 * time.Hour
)

// Identity is an authenticated agent.
type Identity struct {
	ID       string `json:"id"`
	Location string `json:"location"`
	// FromFile is true for agents declared in the config file.
	FromFile bool `json:"from_file"`
}

// Status is an agent as the UI and the API list it.
type Status struct {
	Identity
	CreatedAt time.Time `json:"created_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
	// Live is true when the agent reported within the silence limit.
	Live bool `json:"live"`
}

// ServerOptions configure the server side.
type ServerOptions struct {
	Store store.Agents
	// Submit hands a result to the engine: the agents' silence results,
	// and pushed results when Pushed is nil.
	Submit func(probe.Result)
	// Pushed, when set, takes the results agents push instead of Submit
	// (the replica that runs their monitor may be another; Durable then
	// covers what Pushed kept).
	Pushed func(probe.Result)
	// Shared says several replicas serve the agents (PostgreSQL): an
	// agent may talk to any of them, so Check also reads when the others
	// last saw each agent, for its silence and its location's liveness.
	Shared bool
	// Durable returns once the results submitted before it are stored,
	// or with ctx's error. Accept waits for it before an agent is told its
	// results were taken, so an acknowledged result is never lost to a
	// crash. Nil answers at once.
	Durable func(ctx context.Context) error
	// Newest is the time of the newest result stored for a monitor at a
	// location, zero when none. After a restart it seeds the replay check,
	// so a batch the agent sends again because the answer never reached
	// it is not stored twice. Nil seeds nothing.
	Newest func(monitorID, location string) time.Time
	Now    func() time.Time
	Logger *slog.Logger
}

// DurableTimeout bounds how long a push waits for its results to be
// stored before it is answered 503, and the agent sends them again later.
const DurableTimeout = 10 * time.Second

type seriesKey struct{ monitor, location string }

// Server is the server side of the agents.
type Server struct {
	o       ServerOptions
	started time.Time

	mu       sync.Mutex
	cfg      *config.Config
	file     map[string]Identity // by hex token hash
	stored   []store.Agent
	seen     map[string]time.Time
	dirty    map[string]time.Time
	latest   map[seriesKey]time.Time
	reported map[string]bool // last status submitted per agent: true live
}

// NewServer loads the stored agents and when agents were last seen.
func NewServer(ctx context.Context, o ServerOptions) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{o: o, started: o.Now(), file: map[string]Identity{}, dirty: map[string]time.Time{},
		latest: map[seriesKey]time.Time{}, reported: map[string]bool{}, cfg: &config.Config{}}
	var err error
	if s.seen, err = o.Store.AgentsLastSeen(ctx); err != nil {
		return nil, fmt.Errorf("loading when agents were last seen: %w", err)
	}
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) refresh(ctx context.Context) error {
	list, err := s.o.Store.Agents(ctx)
	if err != nil {
		return fmt.Errorf("loading the agents: %w", err)
	}
	s.mu.Lock()
	s.stored = list
	s.mu.Unlock()
	return nil
}

// Apply takes a new configuration: the agents of the file (their token
// files are read again) and the monitors they are assigned. On an error
// the running configuration stays.
func (s *Server) Apply(cfg *config.Config) error {
	file := map[string]Identity{}
	for _, a := range cfg.Agents {
		b, err := os.ReadFile(a.TokenFile)
		if err != nil {
			return fmt.Errorf("agent %q: %w", a.ID, err)
		}
		file[hex.EncodeToString(fileTokenHash(string(b)))] = Identity{ID: a.ID, Location: a.AgentLocation(), FromFile: true}
	}
	s.mu.Lock()
	s.cfg, s.file = cfg, file
	s.mu.Unlock()
	return nil
}

// Authenticate returns the agent holding token: EUNAUTHORIZED for an
// unknown or revoked token.
func (s *Server) Authenticate(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, errs.Errorf(errs.EUNAUTHORIZED, "an agent token is required: Authorization: Bearer <token>")
	}
	h := HashToken(token)
	s.mu.Lock()
	id, ok := s.file[hex.EncodeToString(h)]
	s.mu.Unlock()
	if ok {
		return id, nil
	}
	a, err := s.o.Store.AgentByTokenHash(ctx, h)
	if errs.Code(err) == errs.ENOTFOUND {
		return Identity{}, errs.Errorf(errs.EUNAUTHORIZED, "this agent token is unknown or was revoked")
	}
	if err != nil {
		return Identity{}, err
	}
	return Identity{ID: a.ID, Location: a.Location}, nil
}

// Seen records that agent id talked to the server now.
func (s *Server) Seen(id string) {
	now := s.o.Now()
	s.mu.Lock()
	s.seen[id], s.dirty[id] = now, now
	s.mu.Unlock()
}

// Assignment is the assignment of agent who from the running config.
func (s *Server) Assignment(who Identity) (Assignment, error) {
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	return BuildAssignment(cfg, who.ID, who.Location)
}

// Verdict is the answer for one pushed result: accepted (stored or a
// duplicate of one that was) or refused with the reason. The agent
// deletes from its buffer every result with a verdict.
type Verdict struct {
	Accepted bool   `json:"accepted"`
	Error    string `json:"error,omitempty"`
}

// Accept checks the results agent who pushed and hands the good ones to
// the engine, with the agent's location, then waits until they are
// stored: an error (EUNAVAILABLE) means they may not be, and the agent
// must keep them and push them again. A result older than or as old as the
// newest accepted or stored one of its monitor and location is a replay
// and is accepted without being handed on again.
func (s *Server) Accept(ctx context.Context, who Identity, results []probe.Result) ([]Verdict, error) {
	now := s.o.Now()
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	assigned := map[string]bool{}
	for _, m := range Assigned(cfg, who.ID, who.Location) {
		assigned[m.ID] = true
	}
	out := make([]Verdict, len(results))
	accepted := 0
	for i, r := range results {
		switch {
		case !assigned[r.MonitorID]:
			out[i].Error = fmt.Sprintf("monitor %q is not assigned to agent %q", r.MonitorID, who.ID)
			continue
		case r.Time.After(now.Add(MaxAhead)):
			out[i].Error = fmt.Sprintf("result of %s is more than %s in the future", r.Time.UTC().Format(time.RFC3339), MaxAhead)
			continue
		case r.Time.Before(now.Add(-MaxAge)):
			out[i].Error = fmt.Sprintf("result of %s is older than %s", r.Time.UTC().Format(time.RFC3339), MaxAge)
			continue
		}
		r.Location, r.Time = who.Location, r.Time.UTC()
		k := seriesKey{r.MonitorID, r.Location}
		s.mu.Lock()
		latest, known := s.latest[k]
		if !known && s.o.Newest != nil {
			// Asked without the lock: the engine's view asks this
			// server whether the location is live.
			s.mu.Unlock()
			stored := s.o.Newest(r.MonitorID, r.Location).UTC()
			s.mu.Lock()
			if latest, known = s.latest[k]; !known || stored.After(latest) {
				latest = stored
			}
		}
		dup := !r.Time.After(latest)
		if !dup {
			latest = r.Time
		}
		s.latest[k] = latest
		s.mu.Unlock()
		out[i].Accepted = true
		accepted++
		if !dup {
			s.pushed(r)
		}
	}
	// A replay waits too: the first push of these results may have been
	// answered 503 and its results not be stored yet.
	if accepted > 0 && s.o.Durable != nil {
		dctx, cancel := context.WithTimeout(ctx, DurableTimeout)
		defer cancel()
		if err := s.o.Durable(dctx); err != nil {
			return nil, errs.Errorf(errs.EUNAVAILABLE, "the results could not be stored yet (%v); keep them and send them again", err)
		}
	}
	return out, nil
}

func (s *Server) pushed(r probe.Result) {
	if s.o.Pushed != nil {
		s.o.Pushed(r)
		return
	}
	s.o.Submit(r)
}

// Monitors are the `agent:<id>` monitors of every agent, for the engine.
func (s *Server) Monitors(cfg *config.Config) []config.Monitor {
	var out []config.Monitor
	for _, id := range s.identities(cfg) {
		out = append(out, config.Monitor{ID: MonitorID(id.ID), Name: "agent " + id.ID, Type: MonitorType,
			FailureThreshold: 1, SuccessThreshold: 1, Interval: cfg.Server.AgentSilentAfter, Timeout: cfg.Server.AgentSilentAfter})
	}
	return out
}

// identities lists the agents of cfg and the valid stored ones, by id.
func (s *Server) identities(cfg *config.Config) []Identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Identity
	have := map[string]bool{}
	for _, a := range cfg.Agents {
		out = append(out, Identity{ID: a.ID, Location: a.AgentLocation(), FromFile: true})
		have[a.ID] = true
	}
	for _, a := range s.stored {
		if a.RevokedAt.IsZero() && !have[a.ID] {
			out = append(out, Identity{ID: a.ID, Location: a.Location})
		}
	}
	slices.SortFunc(out, func(a, b Identity) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Silence decides whether an agent is silent at now: it is when its last
// contact (or, if it never reported, since) is more than after ago. It
// returns the result its monitor gets.
func Silence(id string, last, since, now time.Time, after time.Duration) probe.Result {
	r := probe.Result{MonitorID: MonitorID(id), Time: now, Status: probe.OK}
	ref := last
	if ref.IsZero() {
		ref = since
	}
	if now.Sub(ref) > after {
		r.Status = probe.Critical
		if last.IsZero() {
			r.Reason = fmt.Sprintf("agent %s has not reported since %s", id, ref.UTC().Format("15:04 UTC"))
		} else {
			r.Reason = fmt.Sprintf("agent %s silent since %s", id, ref.UTC().Format("15:04 UTC"))
		}
		if now.Sub(ref) >= 24*time.Hour {
			r.Reason += " (" + ref.UTC().Format("2006-01-02") + ")"
		}
		return r
	}
	if last.IsZero() {
		r.Reason = fmt.Sprintf("agent %s: waiting for its first report", id)
		return r
	}
	r.Reason = fmt.Sprintf("agent %s reported at %s", id, last.UTC().Format("15:04:05 UTC"))
	return r
}

// Check submits the result of every agent whose silence changed since the
// last check, and stores when agents were last seen.
func (s *Server) Check(ctx context.Context) {
	if s.o.Shared {
		s.readSeen(ctx)
	}
	now := s.o.Now()
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	for _, id := range s.identities(cfg) {
		s.mu.Lock()
		last := s.seen[id.ID]
		s.mu.Unlock()
		r := Silence(id.ID, last, s.since(id.ID), now, cfg.Server.AgentSilentAfter.D())
		live := !r.Failed()
		s.mu.Lock()
		prev, ok := s.reported[id.ID]
		s.reported[id.ID] = live
		s.mu.Unlock()
		if ok && prev == live {
			continue
		}
		if !live {
			s.o.Logger.Warn("agent silent", "agent", id.ID, "reason", r.Reason)
		} else if ok {
			s.o.Logger.Info("agent reporting again", "agent", id.ID)
		}
		s.o.Submit(r)
	}
	s.mu.Lock()
	dirty := s.dirty
	s.dirty = map[string]time.Time{}
	s.mu.Unlock()
	if err := s.o.Store.TouchAgents(ctx, dirty); err != nil {
		s.o.Logger.Error("recording when agents were seen", "err", err)
		s.mu.Lock()
		for id, t := range dirty {
			if t.After(s.dirty[id]) {
				s.dirty[id] = t
			}
		}
		s.mu.Unlock()
	}
}

// readSeen takes the newer of each agent's last contacts as the other
// replicas recorded them.
func (s *Server) readSeen(ctx context.Context) {
	seen, err := s.o.Store.AgentsLastSeen(ctx)
	if err != nil {
		s.o.Logger.Warn("reading when the other replicas last saw the agents", "err", err)
		return
	}
	s.mu.Lock()
	for id, t := range seen {
		if t.After(s.seen[id]) {
			s.seen[id] = t
		}
	}
	s.mu.Unlock()
}

// since is when agent id's silence is counted from when it never
// reported: its creation or the server's start, the later.
func (s *Server) since(id string) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.stored {
		if a.ID == id && a.CreatedAt.After(s.started) {
			return a.CreatedAt
		}
	}
	return s.started
}

// CheckEvery is how often Run checks for silent agents.
const CheckEvery = 5 * time.Second

// Run checks for silent agents every CheckEvery until ctx ends, then
// stores when agents were last seen one last time.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(CheckEvery)
	defer t.Stop()
	for {
		s.Check(ctx)
		select {
		case <-ctx.Done():
			s.Check(context.WithoutCancel(ctx))
			return
		case <-t.C:
		}
	}
}

// List lists every agent, of the file and stored, revoked ones too.
func (s *Server) List(ctx context.Context) ([]Status, error) {
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	now := s.o.Now()
	s.mu.Lock()
	cfg := s.cfg
	var out []Status
	have := map[string]bool{}
	for _, a := range cfg.Agents {
		out = append(out, Status{Identity: Identity{ID: a.ID, Location: a.AgentLocation(), FromFile: true}})
		have[a.ID] = true
	}
	for _, a := range s.stored {
		if have[a.ID] {
			continue
		}
		out = append(out, Status{Identity: Identity{ID: a.ID, Location: a.Location}, CreatedAt: a.CreatedAt, RevokedAt: a.RevokedAt})
	}
	for i := range out {
		out[i].LastSeen = s.seen[out[i].ID]
		out[i].Live = out[i].RevokedAt.IsZero() && !out[i].LastSeen.IsZero() && now.Sub(out[i].LastSeen) <= cfg.Server.AgentSilentAfter.D()
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Create makes an agent and returns its token, shown this once.
// ECONFLICT when an agent of the file or a valid stored one has the id.
func (s *Server) Create(ctx context.Context, id, location string) (Status, string, error) {
	if !config.ValidID(id) {
		return Status{}, "", errs.Errorf(errs.EINVALID, "invalid agent id %q: lowercase letters, digits, '_', '.' and '-', at most 63 characters, starting with a letter or digit", id)
	}
	if location == "" {
		location = id
	}
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	home := config.LocalLocation
	if cfg != nil {
		home = cfg.Server.Home()
	}
	if !config.ValidID(location) || location == home {
		return Status{}, "", errs.Errorf(errs.EINVALID, "invalid location %q: lowercase letters, digits, '_', '.' and '-', and not %q (the server)", location, home)
	}
	for _, a := range cfg.Agents {
		if a.ID == id {
			return Status{}, "", errs.Errorf(errs.ECONFLICT, "agent %q is declared in the config file", id)
		}
	}
	token := NewToken()
	a, err := s.o.Store.CreateAgent(ctx, store.Agent{ID: id, Location: location, TokenHash: HashToken(token), CreatedAt: s.o.Now()})
	if err != nil {
		return Status{}, "", err
	}
	if err := s.refresh(ctx); err != nil {
		return Status{}, "", err
	}
	s.o.Logger.Info("agent created", "agent", id, "location", location)
	return Status{Identity: Identity{ID: a.ID, Location: a.Location}, CreatedAt: a.CreatedAt}, token, nil
}

// Revoke revokes a stored agent's token: its next request is refused.
func (s *Server) Revoke(ctx context.Context, id string) error {
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	for _, a := range cfg.Agents {
		if a.ID == id {
			return errs.Errorf(errs.ECONFLICT, "agent %q is declared in the config file: remove it there", id)
		}
	}
	if err := s.o.Store.RevokeAgent(ctx, id, s.o.Now()); err != nil {
		return err
	}
	s.o.Logger.Info("agent revoked", "agent", id)
	return s.refresh(ctx)
}

// LocationLive reports whether some agent of location loc has reported
// within the silence limit: the probes of a location without one are
// unknown, not down.
func (s *Server) LocationLive(loc string) bool {
	now := s.o.Now()
	s.mu.Lock()
	cfg := s.cfg
	s.mu.Unlock()
	if cfg == nil {
		return false
	}
	after := cfg.Server.AgentSilentAfter.D()
	for _, id := range s.identities(cfg) {
		if id.Location != loc {
			continue
		}
		s.mu.Lock()
		last := s.seen[id.ID]
		s.mu.Unlock()
		if !last.IsZero() && now.Sub(last) <= after {
			return true
		}
	}
	return false
}
