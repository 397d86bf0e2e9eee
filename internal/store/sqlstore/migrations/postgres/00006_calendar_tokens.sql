-- +goose Up
-- calendar_tokens open the iCal feeds of on-call schedules without a login:
-- a schedule's (kind 'schedule') or a person's shifts (kind 'person'),
-- subject being the schedule's or the person's id. Only the SHA-256 of
-- the secret is kept.
CREATE TABLE calendar_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('schedule', 'person')),
    subject      text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_by   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   bigint NOT NULL,
    last_used_at bigint
);
CREATE INDEX calendar_tokens_subject ON calendar_tokens (kind, subject, id);

-- +goose Down
DROP TABLE calendar_tokens;
