-- +goose Up
-- incidents are service problems as a process: opened by a paged alert or
-- declared by hand, with a state (investigating, identified, monitoring,
-- resolved, postmortem), a severity and who reported them. Times are unix
-- milliseconds, 0 when not yet. monitoring_since is when every monitor of
-- the incident was up again: it resolves resolve_after later, which
-- survives restarts. services is a JSON array of service ids.
CREATE TABLE incidents (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title            text     NOT NULL,
    state            text     NOT NULL,
    severity         text     NOT NULL,
    services         text     NOT NULL,
    opened_at        bigint    NOT NULL,
    detected_at      bigint    NOT NULL DEFAULT 0,
    acknowledged_at  bigint    NOT NULL DEFAULT 0,
    monitoring_since bigint    NOT NULL DEFAULT 0,
    resolved_at      bigint    NOT NULL DEFAULT 0,
    reported_name    text     NOT NULL DEFAULT '',
    reported_kind    text     NOT NULL,
    reported_at      bigint    NOT NULL DEFAULT 0,
    declared_by      text     NOT NULL DEFAULT '',
    resolved_by      text     NOT NULL DEFAULT ''
);
CREATE INDEX incidents_state ON incidents (state, id);

-- incident_alerts links each paged alert to the one incident it belongs to.
CREATE TABLE incident_alerts (
    alert_id    bigint NOT NULL PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    linked_at   bigint NOT NULL
);
CREATE INDEX incident_alerts_incident ON incident_alerts (incident_id);

-- incident_roles is who held which role when: a handover ends one row
-- (until_t) and starts the next.
CREATE TABLE incident_roles (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id bigint  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    role        text   NOT NULL,
    holder      text   NOT NULL,
    assigned_by text   NOT NULL,
    from_t      bigint  NOT NULL,
    until_t     bigint  NOT NULL DEFAULT 0
);
CREATE INDEX incident_roles_incident ON incident_roles (incident_id, id);

-- incident_timeline holds the entries written for the incident itself
-- (notes, severity, role and state changes); the alerts' own logs are
-- merged in when read. alert_id and action_id point at the source of an
-- entry, 0 for none.
CREATE TABLE incident_timeline (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id bigint  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    t           bigint  NOT NULL,
    kind        text   NOT NULL,
    body        text   NOT NULL,
    who         text   NOT NULL,
    key_event   bigint  NOT NULL DEFAULT 0,
    misleading  bigint  NOT NULL DEFAULT 0,
    alert_id    bigint  NOT NULL DEFAULT 0,
    action_id   bigint  NOT NULL DEFAULT 0,
    created_at  bigint  NOT NULL
);
CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, t);

-- incident_marks are key and misleading marks on entries derived from an
-- alert's log (its action id), which has no row of its own here.
CREATE TABLE incident_marks (
    incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    action_id   bigint NOT NULL,
    key_event   bigint NOT NULL DEFAULT 0,
    misleading  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (incident_id, action_id)
);

-- +goose Down
DROP TABLE incident_marks;
DROP TABLE incident_timeline;
DROP TABLE incident_roles;
DROP TABLE incident_alerts;
DROP TABLE incidents;
