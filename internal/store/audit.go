package store

import (
	"context"
	"time"
)

// Actors of audit entries that are not a person or a token.
const (
	// ActorSystem is the server acting on its own (a configuration file
	// reloaded on change or SIGHUP).
	ActorSystem = "system"
	// ActorCLI is a command run on the server's host (tocsin ack, mute…).
	ActorCLI = "cli"
)

// AuditEntry is one recorded change or action: who did what to which
// object, when and from where.
type AuditEntry struct {
	ID   int64
	Time time.Time
	// Actor says who acted: "user:<name>" for a person in the UI or the
	// API with a session, "token:<id>" for an API token, ActorSystem or
	// ActorCLI.
	Actor string
	// User is the name of the person behind the actor (a token's owner);
	// empty for the system and the command line.
	User string
	// TokenID is the API token used; 0 for none.
	TokenID int64
	// IP is the client address as the web layer derives it (behind
	// server.trusted_proxies, the forwarded one); empty outside the web.
	IP string
	// Action names what was done, "<kind>.<verb>": "monitor.pause",
	// "alert.ack", "config.reload".
	Action string
	// ObjectKind and ObjectID name what it was done to ("monitor", "web").
	ObjectKind string
	ObjectID   string
	// Summary says in a line what changed.
	Summary string
}

// AuditFilter selects audit entries: those whose Time is at or after Since
// and before Until when set, whose Actor or User is Actor when set, whose
// Action is Action (or starts with it when it ends in "."), of ObjectKind
// and ObjectID when set; one Page of them, newest (highest ID) first.
type AuditFilter struct {
	Since, Until time.Time
	Actor        string
	Action       string
	ObjectKind   string
	ObjectID     string
	Page         Page
}

// Audit keeps the audit log. Entries are only added and, past their
// retention, pruned: nothing edits them.
type Audit interface {
	// AddAudit stores an entry; the store sets ID, and Time when it is
	// zero. EINVALID for an entry without an actor or an action.
	AddAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// AuditLog lists the entries f selects, highest ID first.
	AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
	// PruneAudit deletes the entries older than before, returning how many
	// went.
	PruneAudit(ctx context.Context, before time.Time) (int64, error)
}
