-- +goose Up
-- baselines are the accepted facts (JSON, name → value) of one subject of a
-- monitor, such as a file's content hash, owner and mode; observed holds
-- the newest differing observation and changed_at when a difference was
-- first seen, both NULL while the subject matches. accepted_by is '' for a
-- baseline recorded automatically on the first run.
CREATE TABLE baselines (
    monitor_id   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    vals         TEXT NOT NULL,
    observed     TEXT,
    changed_at   INTEGER,
    accepted_by  TEXT NOT NULL DEFAULT '',
    accepted_at  INTEGER NOT NULL,
    PRIMARY KEY (monitor_id, subject)
);

-- +goose Down
DROP TABLE baselines;
