package store

import (
	"context"
	"time"
)

// Agent is an agent created at run time (the UI, the API, `tocsin
// agent-token create`), as opposed to one declared in the config file.
// The store keeps only the SHA-256 hash of its token.
type Agent struct {
	ID string
	// Location is where the agent runs; its results carry it.
	Location  string
	TokenHash []byte
	CreatedAt time.Time
	// RevokedAt is zero while the token is valid.
	RevokedAt time.Time
	// LastSeen is when the agent last talked to a server, zero if never.
	LastSeen time.Time
}

// Agents keeps the agents created at run time and when each was last seen.
type Agents interface {
	// CreateAgent stores an agent; ECONFLICT when an agent with that id
	// exists and is not revoked (a revoked one is replaced), EINVALID
	// without id, location or token hash.
	CreateAgent(ctx context.Context, a Agent) (Agent, error)
	// Agents lists the stored agents, revoked ones too, by id.
	Agents(ctx context.Context) ([]Agent, error)
	// AgentByTokenHash returns the agent holding a token; ENOTFOUND when
	// none does or its agent is revoked.
	AgentByTokenHash(ctx context.Context, hash []byte) (Agent, error)
	// RevokeAgent revokes an agent's token at at; ENOTFOUND when there is
	// no such agent or it is revoked already.
	RevokeAgent(ctx context.Context, id string, at time.Time) error
	// TouchAgents records when agents were last seen; ids that are not
	// stored (agents of the config file) are recorded too, so their last
	// contact survives a restart. A time older than the stored one is
	// ignored.
	TouchAgents(ctx context.Context, seen map[string]time.Time) error
	// AgentsLastSeen returns the recorded last contact of every agent,
	// stored or declared in the file.
	AgentsLastSeen(ctx context.Context) (map[string]time.Time, error)
}
