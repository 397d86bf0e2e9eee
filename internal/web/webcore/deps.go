package webcore

import (
	"context"
	"net/http"
	"time"

	"github.com/tocsin/tocsin/internal/audit"
	"github.com/tocsin/tocsin/internal/store"
)

// Handler is a handler behind a login: u is the logged-in user; a returned
// error becomes the audience's error answer (a JSON body for the API, a
// page for the UI) with the status of its code.
type Handler = func(w http.ResponseWriter, r *http.Request, u store.User) error

// Deps is what the audience packages need from the server that mounts
// them. Every field is required.
type Deps struct {
	Store      store.Store
	Runtime    Runtime
	Heartbeats Heartbeats
	// Monitors creates the monitors made through the API.
	Monitors Monitors
	Kinds    Kinds
	// Channels sends test notifications through a channel.
	Channels ChannelTester
	Now      func() time.Time
	// Version is shown in the footer and in /api/v1/status.
	Version string
	// CreateToken validates name and stores a new API token for u,
	// returning it with its secret; RevokeToken deletes token id of u.
	// The web package owns API tokens, their secrets and hashing.
	CreateToken func(r *http.Request, u store.User, name string, role store.Role) (store.APIToken, string, error)
	RevokeToken func(r *http.Request, u store.User, id int64) error
	// Schedules are the on-call schedules of the running configuration,
	// converted once per configuration and shared by the pages, the API
	// and /metrics.
	Schedules *Schedules
	// Mutes holds the maintenance windows and silences; nil when the
	// server runs without them (then nothing is muted).
	Mutes Mutes
	// AlertActed is called after a person acted on a paged alert, so the
	// escalator sends the news at once; nil when nothing listens.
	AlertActed func()
	// IncidentEvent queues an incident event (incident.opened, .updated,
	// .resolved) for the channels subscribed to it, with the message of
	// the update that caused it ("" for none); nil when nothing listens.
	IncidentEvent func(event string, in store.Incident, message string)
	// FollowUpsChanged is called after a follow-up action was added or
	// changed; nil when nothing listens.
	FollowUpsChanged func()
	// Agents are the remote agents; nil when the server has none.
	Agents Agents
	// AcceptBaseline accepts what an integrity check observed as its
	// monitor's baseline; nil when the server keeps none.
	AcceptBaseline AcceptBaseline
	// Audit records the changes and actions people make; the web root
	// records every successful change by its route, handlers add what
	// the route cannot say (audit.Annotate).
	Audit audit.Recorder
	// Alertmanager takes the alerts Alertmanager posts.
	Alertmanager Alertmanager
	// Replicas describes the replicas sharing the database; nil when the
	// server runs alone (SQLite).
	Replicas func() ReplicasView
}

// ReplicasView is the replicas sharing one PostgreSQL database, as this
// replica last read their registry.
type ReplicasView struct {
	// Self is this replica's id.
	Self string
	// Read is when the registry was last read.
	Read time.Time
	// Fenced is true while this replica could not renew its leases and
	// runs none of their monitors.
	Fenced bool
	// LeaseTTL is server.lease_ttl; Buckets the number of buckets.
	LeaseTTL time.Duration
	Buckets  int
	Replicas []ReplicaView
}

// ReplicaView is one replica on the Replicas page.
type ReplicaView struct {
	ID, Host, Address, Version string
	PID                        int
	Started, Seen              time.Time
	Buckets, Monitors          int
	Lag                        time.Duration
	// Live is true when it heartbeated within the lease time.
	Live bool
}

// AcceptBaseline makes the observed facts of a monitor that differ from
// its baseline (a file's new hash, owner or mode) the new baseline, as
// accepted by who. It returns the subjects accepted: ENOTFOUND for a
// monitor not configured, ECONFLICT when nothing differs.
type AcceptBaseline func(ctx context.Context, monitorID, who string) ([]string, error)

// AgentView is a remote agent as the pages and the API show it.
type AgentView struct {
	ID       string
	Location string
	// FromFile is true for agents declared in the config file: those are
	// changed there, not in the UI or the API.
	FromFile  bool
	CreatedAt time.Time
	RevokedAt time.Time
	LastSeen  time.Time
	// Live is true when the agent reported within server.agent_silent_after.
	Live bool
}

// Agents lists, creates and revokes remote agents.
type Agents interface {
	Agents(ctx context.Context) ([]AgentView, error)
	// CreateAgent returns the new agent and its token, shown this once:
	// EINVALID for a bad id or location, ECONFLICT for a taken id.
	CreateAgent(ctx context.Context, id, location string) (AgentView, string, error)
	// RevokeAgent revokes a created agent's token: ENOTFOUND when there is
	// none, ECONFLICT for an agent of the config file.
	RevokeAgent(ctx context.Context, id string) error
}
