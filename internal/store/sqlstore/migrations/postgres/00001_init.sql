-- +goose Up
-- Monitors are referenced everywhere by a small integer key so the result
-- table stays compact. rolled_until is the hour (unix ms) up to which hourly
-- rollups have been computed for the monitor.
CREATE TABLE monitors (
    key          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text    NOT NULL UNIQUE,
    rolled_until bigint
);

CREATE TABLE monitor_states (
    monitor_key integer PRIMARY KEY,
    state       text    NOT NULL
);

-- metric_kinds maps the constant part of a metric (name, unit, thresholds)
-- to a small key; results store only key=value pairs.
CREATE TABLE metric_kinds (
    key  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    spec text    NOT NULL UNIQUE
);

-- Times are unix milliseconds, durations microseconds. reason is NULL for
-- OK results. detail packs timings, certificate expiry and metrics
-- (sqlstore/detail.go); NULL when the result has none.
CREATE TABLE results (
    monitor_key   integer  NOT NULL,
    t             bigint   NOT NULL,
    status        smallint NOT NULL,
    duration_us   bigint   NOT NULL,
    reason        text,
    detail        bytea,
    PRIMARY KEY (monitor_key, t)
);

CREATE TABLE rollups (
    monitor_key integer NOT NULL,
    hour        bigint  NOT NULL,
    total       integer NOT NULL,
    failed      integer NOT NULL,
    sum_us      bigint  NOT NULL,
    p50_us      bigint  NOT NULL,
    p95_us      bigint  NOT NULL,
    p99_us      bigint  NOT NULL,
    max_us      bigint  NOT NULL,
    PRIMARY KEY (monitor_key, hour)
);

CREATE TABLE transitions (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    monitor_key integer NOT NULL,
    t           bigint  NOT NULL,
    from_status text    NOT NULL,
    to_status   text    NOT NULL,
    reason      text    NOT NULL,
    flapping    boolean NOT NULL,
    result      text    NOT NULL
);
CREATE INDEX transitions_monitor ON transitions (monitor_key, id);
CREATE INDEX transitions_time ON transitions (t);

CREATE TABLE outbox (
    seq          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           text    NOT NULL,
    channel      text    NOT NULL,
    monitor_id   text    NOT NULL,
    event        text    NOT NULL,
    state        text    NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    next_attempt bigint  NOT NULL,
    last_error   text    NOT NULL DEFAULT '',
    created_at   bigint  NOT NULL,
    lease_owner  text,
    lease_until  bigint,
    UNIQUE (id, channel)
);
CREATE INDEX outbox_due ON outbox (next_attempt) WHERE state = 'pending';
CREATE INDEX outbox_monitor ON outbox (monitor_id, seq);

CREATE TABLE attempts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id  text   NOT NULL,
    channel     text   NOT NULL,
    monitor_id  text   NOT NULL,
    event       text   NOT NULL,
    t           bigint NOT NULL,
    duration_us bigint NOT NULL,
    error       text   NOT NULL,
    outcome     text   NOT NULL
);
CREATE INDEX attempts_monitor ON attempts (monitor_id, id);

CREATE TABLE users (
    id            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text    NOT NULL UNIQUE,
    password_hash text    NOT NULL,
    admin         boolean NOT NULL,
    created_at    bigint  NOT NULL
);

CREATE TABLE sessions (
    token_hash bytea  PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text   NOT NULL,
    token_hash   bytea  NOT NULL UNIQUE,
    prefix       text   NOT NULL,
    created_at   bigint NOT NULL,
    last_used_at bigint,
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
