package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tocsin/tocsin/internal/errs"
	"github.com/tocsin/tocsin/internal/store"
)

// CreateAgent stores an agent, replacing a revoked one of the same id.
func (d *DB) CreateAgent(ctx context.Context, a store.Agent) (store.Agent, error) {
	if strings.TrimSpace(a.ID) == "" || strings.TrimSpace(a.Location) == "" {
		return store.Agent{}, errs.Errorf(errs.EINVALID, "create agent: the id and the location are required")
	}
	if len(a.TokenHash) == 0 {
		return store.Agent{}, errs.Errorf(errs.EINVALID, "create agent %q: the token hash is empty", a.ID)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = d.now()
	}
	a.CreatedAt, a.RevokedAt = fromMS(ms(a.CreatedAt)), time.Time{}
	err := d.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, d.q("DELETE FROM agents WHERE id = ? AND revoked_at IS NOT NULL"), text(a.ID)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, d.q("INSERT INTO agents (id, location, token_hash, created_at) VALUES (?, ?, ?, ?)"),
			text(a.ID), text(a.Location), a.TokenHash, ms(a.CreatedAt))
		return err
	})
	if isUniqueViolation(err) {
		return store.Agent{}, errs.Errorf(errs.ECONFLICT, "an agent %q exists already; revoke it first", a.ID)
	}
	if err != nil {
		return store.Agent{}, fmt.Errorf("create agent %q: %w", a.ID, refused(err))
	}
	return a, nil
}

const agentColumns = "a.id, a.location, a.token_hash, a.created_at, a.revoked_at, s.seen_at FROM agents a LEFT JOIN agent_seen s ON s.agent_id = a.id"

func scanAgent(sc interface{ Scan(...any) error }) (store.Agent, error) {
	var a store.Agent
	var created int64
	var revoked, seen sql.NullInt64
	if err := sc.Scan(&a.ID, &a.Location, &a.TokenHash, &created, &revoked, &seen); err != nil {
		return a, err
	}
	a.CreatedAt, a.RevokedAt, a.LastSeen = fromMS(created), fromNullMS(revoked), fromNullMS(seen)
	return a, nil
}

// Agents lists the stored agents by id.
func (d *DB) Agents(ctx context.Context) ([]store.Agent, error) {
	rows, err := d.read.QueryContext(ctx, "SELECT "+agentColumns+" ORDER BY a.id")
	if err != nil {
		return nil, fmt.Errorf("read the agents: %w", err)
	}
	out := []store.Agent{}
	for rows.Next() {
		a, err := scanAgent(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the agents: %w", err)
		}
		out = append(out, a)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read the agents: %w", err)
	}
	return out, nil
}

// AgentByTokenHash returns the unrevoked agent holding a token.
func (d *DB) AgentByTokenHash(ctx context.Context, hash []byte) (store.Agent, error) {
	a, err := scanAgent(d.read.QueryRowContext(ctx, d.q("SELECT "+agentColumns+" WHERE a.token_hash = ? AND a.revoked_at IS NULL"), hash))
	if err == sql.ErrNoRows {
		return store.Agent{}, errs.Errorf(errs.ENOTFOUND, "no agent holds this token")
	}
	if err != nil {
		return store.Agent{}, fmt.Errorf("read an agent by token: %w", err)
	}
	return a, nil
}

// RevokeAgent revokes an agent's token.
func (d *DB) RevokeAgent(ctx context.Context, id string, at time.Time) error {
	res, err := d.write.ExecContext(ctx, d.q("UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"), ms(at), text(id))
	if err != nil {
		return fmt.Errorf("revoke agent %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("revoke agent %q: %w", id, err)
	} else if n == 0 {
		return errs.Errorf(errs.ENOTFOUND, "there is no agent %q with a valid token", id)
	}
	return nil
}

// TouchAgents records when agents were last seen, never moving back.
func (d *DB) TouchAgents(ctx context.Context, seen map[string]time.Time) error {
	if len(seen) == 0 {
		return nil
	}
	return d.inTx(ctx, func(tx *sql.Tx) error {
		for id, at := range seen {
			if _, err := tx.ExecContext(ctx, d.q("INSERT INTO agent_seen (agent_id, seen_at) VALUES (?, ?) ON CONFLICT (agent_id) DO UPDATE SET seen_at = excluded.seen_at WHERE agent_seen.seen_at < excluded.seen_at"),
				text(id), ms(at)); err != nil {
				return fmt.Errorf("record when agent %q was seen: %w", id, refused(err))
			}
		}
		return nil
	})
}

// AgentsLastSeen returns the recorded last contact of every agent.
func (d *DB) AgentsLastSeen(ctx context.Context) (map[string]time.Time, error) {
	rows, err := d.read.QueryContext(ctx, "SELECT agent_id, seen_at FROM agent_seen")
	if err != nil {
		return nil, fmt.Errorf("read when agents were seen: %w", err)
	}
	out := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at int64
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read when agents were seen: %w", err)
		}
		out[id] = fromMS(at)
	}
	if err := rowsDone(rows); err != nil {
		return nil, fmt.Errorf("read when agents were seen: %w", err)
	}
	return out, nil
}

var _ store.Agents = (*DB)(nil)
