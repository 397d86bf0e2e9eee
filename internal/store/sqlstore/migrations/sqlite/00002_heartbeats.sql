-- +goose Up
-- pings holds every heartbeat ping; monitor_key is the heartbeat's key in
-- monitors (a heartbeat is evaluated as the monitor of the same id). Times
-- are unix milliseconds, durations microseconds; body is NULL when empty.
-- Ids grow with time, so pruning walks the primary key from the start.
CREATE TABLE pings (
    id          INTEGER PRIMARY KEY,
    monitor_key INTEGER NOT NULL,
    t           INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    exit_status INTEGER,
    rid         TEXT    NOT NULL DEFAULT '',
    duration_us INTEGER NOT NULL DEFAULT 0,
    body        BLOB,
    truncated   INTEGER NOT NULL DEFAULT 0,
    transport   TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    user_agent  TEXT    NOT NULL
);
CREATE INDEX pings_monitor ON pings (monitor_key, id);

-- heartbeat_states is the state the pings left (last ping, open runs),
-- saved every second or so with a batch of pings; heartbeat_checkpoint
-- holds the id of the last ping those states include, so a restart
-- replays only the pings after it.
CREATE TABLE heartbeat_states (
    monitor_key INTEGER PRIMARY KEY,
    state       TEXT    NOT NULL
);

CREATE TABLE heartbeat_checkpoint (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    through_ping INTEGER NOT NULL
);

-- heartbeats holds the heartbeats created through the API or by a ping
-- (?create=1); those of the config file are not stored.
CREATE TABLE heartbeats (
    id         TEXT    PRIMARY KEY,
    uuid       TEXT    NOT NULL UNIQUE,
    slug       TEXT    UNIQUE,
    spec       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE heartbeats;
DROP TABLE heartbeat_checkpoint;
DROP TABLE heartbeat_states;
DROP TABLE pings;
