-- +goose Up
-- calendar_tokens open the iCal feeds of on-call schedules without a login:
-- a schedule's (kind 'schedule') or a person's shifts (kind 'person'),
-- subject being the schedule's or the person's id. Only the SHA-256 of
-- the secret is kept.
CREATE TABLE calendar_tokens (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('schedule', 'person')),
    subject      TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_by   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX calendar_tokens_subject ON calendar_tokens (kind, subject, id);

-- +goose Down
DROP TABLE calendar_tokens;
