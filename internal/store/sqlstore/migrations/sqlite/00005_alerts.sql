-- +goose Up
-- alerts are paged alerts: one per group key (a service, or a monitor
-- without one) while it is not resolved. Times are unix milliseconds;
-- the *_at columns of what has not happened are NULL.
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    group_key       TEXT    NOT NULL,
    service_id      TEXT    NOT NULL DEFAULT '',
    policy_id       TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL,
    opened_at       INTEGER NOT NULL,
    acknowledged_by TEXT    NOT NULL DEFAULT '',
    acknowledged_at INTEGER,
    snoozed_until   INTEGER,
    resolved_by     TEXT    NOT NULL DEFAULT '',
    resolved_at     INTEGER,
    step            INTEGER NOT NULL DEFAULT 0,
    round           INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER
);
-- At most one alert per group key is not resolved.
CREATE UNIQUE INDEX alerts_active ON alerts (group_key) WHERE state <> 'resolved';
CREATE INDEX alerts_state ON alerts (state, id);

-- alert_monitors are the monitors of an alert and their current status.
CREATE TABLE alert_monitors (
    alert_id    INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    monitor_id  TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    joined_at   INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL,
    impacted_by TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (alert_id, monitor_id)
);

-- alert_actions is the log of an alert: what happened, who did it, when.
CREATE TABLE alert_actions (
    id       INTEGER PRIMARY KEY,
    alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    t        INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    who      TEXT    NOT NULL,
    step     INTEGER NOT NULL DEFAULT 0,
    round    INTEGER NOT NULL DEFAULT 0,
    target   TEXT    NOT NULL DEFAULT '',
    channel  TEXT    NOT NULL DEFAULT '',
    address  TEXT    NOT NULL DEFAULT '',
    detail   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX alert_actions_alert ON alert_actions (alert_id, id);

-- alert_timers are the escalation's pending work (ids never reused, so a
-- stale firing cannot delete a newer timer), claimed like the
-- outbox: the next step, a contact's delayed rule, a rate-limited update,
-- the end of a snooze, a notification of an acknowledgement.
CREATE TABLE alert_timers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id    INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    due_at      INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    step        INTEGER NOT NULL DEFAULT 0,
    round       INTEGER NOT NULL DEFAULT 0,
    payload     TEXT    NOT NULL DEFAULT '',
    lease_owner TEXT,
    lease_until INTEGER
);
CREATE INDEX alert_timers_due ON alert_timers (due_at);
CREATE INDEX alert_timers_alert ON alert_timers (alert_id, kind);

-- alert_links are the one-click links used: each works once.
CREATE TABLE alert_links (
    token_hash BLOB    PRIMARY KEY,
    alert_id   INTEGER NOT NULL,
    used_at    INTEGER NOT NULL
);

-- secrets are server keys generated once (the signing key of the links).
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE alert_links;
DROP TABLE alert_timers;
DROP TABLE alert_actions;
DROP TABLE alert_monitors;
DROP TABLE alerts;
