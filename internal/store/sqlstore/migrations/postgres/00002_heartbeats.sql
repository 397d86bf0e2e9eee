-- +goose Up
-- pings holds every heartbeat ping; monitor_key is the heartbeat's key in
-- monitors (a heartbeat is evaluated as the monitor of the same id). Times
-- are unix milliseconds, durations microseconds; body is NULL when empty.
-- Ids grow with time, so pruning walks the primary key from the start.
CREATE TABLE pings (
    id          bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    monitor_key integer  NOT NULL,
    t           bigint   NOT NULL,
    kind        text     NOT NULL,
    exit_status smallint,
    rid         text     NOT NULL DEFAULT '',
    duration_us bigint   NOT NULL DEFAULT 0,
    body        bytea,
    truncated   boolean  NOT NULL DEFAULT false,
    transport   text     NOT NULL,
    method      text     NOT NULL,
    source      text     NOT NULL,
    user_agent  text     NOT NULL
);
CREATE INDEX pings_monitor ON pings (monitor_key, id);

-- heartbeat_states is the state the pings left (last ping, open runs),
-- saved every second or so with a batch of pings; heartbeat_checkpoint
-- holds the id of the last ping those states include, so a restart
-- replays only the pings after it.
CREATE TABLE heartbeat_states (
    monitor_key integer PRIMARY KEY,
    state       text    NOT NULL
);

CREATE TABLE heartbeat_checkpoint (
    id           integer PRIMARY KEY CHECK (id = 1),
    through_ping bigint  NOT NULL
);

-- heartbeats holds the heartbeats created through the API or by a ping
-- (?create=1); those of the config file are not stored.
CREATE TABLE heartbeats (
    id         text   PRIMARY KEY,
    uuid       text   NOT NULL UNIQUE,
    slug       text   UNIQUE,
    spec       text   NOT NULL,
    created_at bigint NOT NULL
);

-- +goose Down
DROP TABLE heartbeats;
DROP TABLE heartbeat_checkpoint;
DROP TABLE heartbeat_states;
DROP TABLE pings;
