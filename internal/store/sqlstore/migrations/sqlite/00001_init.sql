-- +goose Up
-- Monitors are referenced everywhere by a small integer key so the result
-- table stays compact. rolled_until is the hour (unix ms) up to which hourly
-- rollups have been computed for the monitor.
CREATE TABLE monitors (
    key          INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    rolled_until INTEGER
);

CREATE TABLE monitor_states (
    monitor_key INTEGER PRIMARY KEY,
    state       TEXT    NOT NULL
);

-- metric_kinds maps the constant part of a metric (name, unit, thresholds)
-- to a small key; results store only key=value pairs.
CREATE TABLE metric_kinds (
    key  INTEGER PRIMARY KEY,
    spec TEXT    NOT NULL UNIQUE
);

-- results is clustered on (monitor_key, t): one B-tree, no second index.
-- Times are unix milliseconds, durations microseconds. reason is NULL for
-- OK results. detail packs timings, certificate expiry and metrics
-- (sqlstore/detail.go); NULL when the result has none.
CREATE TABLE results (
    monitor_key   INTEGER NOT NULL,
    t             INTEGER NOT NULL,
    status        INTEGER NOT NULL,
    duration_us   INTEGER NOT NULL,
    reason        TEXT,
    detail        BLOB,
    PRIMARY KEY (monitor_key, t)
) WITHOUT ROWID;

CREATE TABLE rollups (
    monitor_key INTEGER NOT NULL,
    hour        INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    sum_us      INTEGER NOT NULL,
    p50_us      INTEGER NOT NULL,
    p95_us      INTEGER NOT NULL,
    p99_us      INTEGER NOT NULL,
    max_us      INTEGER NOT NULL,
    PRIMARY KEY (monitor_key, hour)
) WITHOUT ROWID;

CREATE TABLE transitions (
    id          INTEGER PRIMARY KEY,
    monitor_key INTEGER NOT NULL,
    t           INTEGER NOT NULL,
    from_status TEXT    NOT NULL,
    to_status   TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    flapping    INTEGER NOT NULL,
    result      TEXT    NOT NULL
);
CREATE INDEX transitions_monitor ON transitions (monitor_key, id);
CREATE INDEX transitions_time ON transitions (t);

CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL,
    channel      TEXT    NOT NULL,
    monitor_id   TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL,
    last_error   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    lease_owner  TEXT,
    lease_until  INTEGER,
    UNIQUE (id, channel)
);
CREATE INDEX outbox_due ON outbox (next_attempt) WHERE state = 'pending';
CREATE INDEX outbox_monitor ON outbox (monitor_id, seq);

CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT    NOT NULL,
    channel     TEXT    NOT NULL,
    monitor_id  TEXT    NOT NULL,
    event       TEXT    NOT NULL,
    t           INTEGER NOT NULL,
    duration_us INTEGER NOT NULL,
    error       TEXT    NOT NULL,
    outcome     TEXT    NOT NULL
);
CREATE INDEX attempts_monitor ON attempts (monitor_id, id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    admin         INTEGER NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    UNIQUE (user_id, name)
);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE attempts;
DROP TABLE outbox;
DROP TABLE transitions;
DROP TABLE rollups;
DROP TABLE results;
DROP TABLE metric_kinds;
DROP TABLE monitor_states;
DROP TABLE monitors;
