-- +goose Up
-- follow_ups are the follow-up actions of an incident's postmortem. due is
-- the due date (YYYY-MM-DD, '' for none) in timezone; due_at is the end of
-- that day as unix milliseconds (NULL without a due date), kept for the
-- overdue listing and the reminders. reminded_due_at and
-- reminded_overdue_at record the last reminder of each kind so a restart
-- sends none twice. Times are unix milliseconds, 0 for never.
CREATE TABLE follow_ups (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id         bigint  NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    title               text    NOT NULL,
    owner               text    NOT NULL DEFAULT '',
    due                 text    NOT NULL DEFAULT '',
    timezone            text    NOT NULL DEFAULT 'UTC',
    due_at              bigint,
    priority            text    NOT NULL,
    type                text    NOT NULL,
    status              text    NOT NULL,
    link                text    NOT NULL DEFAULT '',
    created_by          text    NOT NULL,
    created_at          bigint  NOT NULL,
    updated_by          text    NOT NULL,
    updated_at          bigint  NOT NULL,
    done_at             bigint  NOT NULL DEFAULT 0,
    reminded_due_at     bigint  NOT NULL DEFAULT 0,
    reminded_overdue_at bigint  NOT NULL DEFAULT 0
);
CREATE INDEX follow_ups_incident ON follow_ups (incident_id);
CREATE INDEX follow_ups_due ON follow_ups (status, due_at);
CREATE INDEX follow_ups_owner ON follow_ups (owner, id);

-- +goose Down
DROP TABLE follow_ups;
