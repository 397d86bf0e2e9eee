-- +goose Up
-- agents are the agents created at run time; their tokens are kept as
-- SHA-256 hashes. agent_seen is when any agent, stored or declared in the
-- config file, last talked to a server.
CREATE TABLE agents (
    id          TEXT PRIMARY KEY,
    location    TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE TABLE agent_seen (
    agent_id  TEXT PRIMARY KEY,
    seen_at   INTEGER NOT NULL
);

-- +goose Down
DROP TABLE agent_seen;
DROP TABLE agents;
