-- +goose Up
-- agents are the agents created at run time; their tokens are kept as
-- SHA-256 hashes. agent_seen is when any agent, stored or declared in the
-- config file, last talked to a server.
CREATE TABLE agents (
    id          text PRIMARY KEY,
    location    text NOT NULL,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  bigint NOT NULL,
    revoked_at  bigint
);
CREATE TABLE agent_seen (
    agent_id  text PRIMARY KEY,
    seen_at   bigint NOT NULL
);

-- +goose Down
DROP TABLE agent_seen;
DROP TABLE agents;
