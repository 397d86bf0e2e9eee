package app

import (
	"context"
	"fmt"
	"time"

	"github.com/tocsin/tocsin/internal/agent"
	"github.com/tocsin/tocsin/internal/config"
	"github.com/tocsin/tocsin/internal/probe"
	"github.com/tocsin/tocsin/internal/web/webcore"
)

// buildAgents makes the server side of the agents: their results and the
// results of their silence enter the engine like the probes' own.
func (a *App) buildAgents(ctx context.Context, cfg *config.Config) error {
	s, err := agent.NewServer(ctx, agent.ServerOptions{
		Store:   a.store,
		Submit:  func(r probe.Result) { a.submit(context.Background(), r) },
		Pushed:  a.pushed,
		Shared:  a.replicas != nil,
		Durable: a.pushedDurable,
		Newest:  a.newestResult,
		Now:     a.now,
		Logger:  a.log.With("component", "agents"),
	})
	if err != nil {
		return err
	}
	if err := s.Apply(cfg); err != nil {
		return fmt.Errorf("agents: %w", err)
	}
	a.agents = s
	return nil
}

// newestResult is the time of the newest result the engine holds for a
// monitor at a location — after a restart, the one its stored state
// remembers — or zero.
func (a *App) newestResult(monitorID, location string) time.Time {
	v, ok := a.eng.View(monitorID)
	if !ok {
		return time.Time{}
	}
	for _, l := range v.Locations {
		if l.Location == location && l.Last != nil {
			return l.Last.Time
		}
	}
	if len(v.Locations) == 0 && v.Last != nil {
		return v.Last.Time
	}
	return time.Time{}
}

// agentRuntime is the App seen through webcore.Agents.
type agentRuntime App

func toAgentView(s agent.Status) webcore.AgentView {
	return webcore.AgentView{ID: s.ID, Location: s.Location, FromFile: s.FromFile, CreatedAt: s.CreatedAt,
		RevokedAt: s.RevokedAt, LastSeen: s.LastSeen, Live: s.Live}
}

// Agents lists every agent.
func (r *agentRuntime) Agents(ctx context.Context) ([]webcore.AgentView, error) {
	list, err := r.agents.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]webcore.AgentView, 0, len(list))
	for _, s := range list {
		out = append(out, toAgentView(s))
	}
	return out, nil
}

// CreateAgent makes an agent and starts watching its silence.
func (r *agentRuntime) CreateAgent(ctx context.Context, id, location string) (webcore.AgentView, string, error) {
	a := (*App)(r)
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	s, token, err := a.agents.Create(ctx, id, location)
	if err != nil {
		return webcore.AgentView{}, "", err
	}
	cfg := a.config()
	if err := a.eng.Apply(a.evalConfig(cfg), a.eng.Probers()); err != nil {
		return webcore.AgentView{}, "", err
	}
	return toAgentView(s), token, nil
}

// RevokeAgent revokes an agent's token.
func (r *agentRuntime) RevokeAgent(ctx context.Context, id string) error {
	a := (*App)(r)
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	if err := a.agents.Revoke(ctx, id); err != nil {
		return err
	}
	return a.eng.Apply(a.evalConfig(a.config()), a.eng.Probers())
}
