-- +goose Up
-- alerts are paged alerts: one per group key (a service, or a monitor
-- without one) while it is not resolved. Times are unix milliseconds;
-- the *_at columns of what has not happened are NULL.
CREATE TABLE alerts (
    id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_key       text    NOT NULL,
    service_id      text    NOT NULL DEFAULT '',
    policy_id       text    NOT NULL DEFAULT '',
    state           text    NOT NULL,
    opened_at       bigint  NOT NULL,
    acknowledged_by text    NOT NULL DEFAULT '',
    acknowledged_at bigint,
    snoozed_until   bigint,
    resolved_by     text    NOT NULL DEFAULT '',
    resolved_at     bigint,
    step            bigint  NOT NULL DEFAULT 0,
    round           bigint  NOT NULL DEFAULT 0,
    updated_at      bigint
);
-- At most one alert per group key is not resolved.
CREATE UNIQUE INDEX alerts_active ON alerts (group_key) WHERE state <> 'resolved';
CREATE INDEX alerts_state ON alerts (state, id);

-- alert_monitors are the monitors of an alert and their current status.
CREATE TABLE alert_monitors (
    alert_id    bigint  NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    monitor_id  text    NOT NULL,
    status      text    NOT NULL,
    reason      text    NOT NULL DEFAULT '',
    joined_at   bigint  NOT NULL,
    changed_at  bigint  NOT NULL,
    impacted_by text    NOT NULL DEFAULT '',
    PRIMARY KEY (alert_id, monitor_id)
);

-- alert_actions is the log of an alert: what happened, who did it, when.
CREATE TABLE alert_actions (
    id       bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id bigint  NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    t        bigint  NOT NULL,
    kind     text    NOT NULL,
    who      text    NOT NULL,
    step     bigint  NOT NULL DEFAULT 0,
    round    bigint  NOT NULL DEFAULT 0,
    target   text    NOT NULL DEFAULT '',
    channel  text    NOT NULL DEFAULT '',
    address  text    NOT NULL DEFAULT '',
    detail   text    NOT NULL DEFAULT ''
);
CREATE INDEX alert_actions_alert ON alert_actions (alert_id, id);

-- alert_timers are the escalation's pending work, claimed like the
-- outbox: the next step, a contact's delayed rule, a rate-limited update,
-- the end of a snooze, a notification of an acknowledgement.
CREATE TABLE alert_timers (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id    bigint  NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    due_at      bigint  NOT NULL,
    kind        text    NOT NULL,
    step        bigint  NOT NULL DEFAULT 0,
    round       bigint  NOT NULL DEFAULT 0,
    payload     text    NOT NULL DEFAULT '',
    lease_owner text,
    lease_until bigint
);
CREATE INDEX alert_timers_due ON alert_timers (due_at);
CREATE INDEX alert_timers_alert ON alert_timers (alert_id, kind);

-- alert_links are the one-click links used: each works once.
CREATE TABLE alert_links (
    token_hash bytea   PRIMARY KEY,
    alert_id   bigint  NOT NULL,
    used_at    bigint  NOT NULL
);

-- secrets are server keys generated once (the signing key of the links).
CREATE TABLE secrets (
    name  text PRIMARY KEY,
    value bytea NOT NULL
);

-- +goose Down
DROP TABLE secrets;
DROP TABLE alert_links;
DROP TABLE alert_timers;
DROP TABLE alert_actions;
DROP TABLE alert_monitors;
DROP TABLE alerts;
