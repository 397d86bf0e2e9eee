-- +goose Up
-- baselines are the accepted facts (JSON, name → value) of one subject of a
-- monitor, such as a file's content hash, owner and mode; observed holds
-- the newest differing observation and changed_at when a difference was
-- first seen, both NULL while the subject matches. accepted_by is '' for a
-- baseline recorded automatically on the first run.
CREATE TABLE baselines (
    monitor_id   text NOT NULL,
    subject      text NOT NULL,
    vals         text NOT NULL,
    observed     text,
    changed_at   bigint,
    accepted_by  text NOT NULL DEFAULT '',
    accepted_at  bigint NOT NULL,
    PRIMARY KEY (monitor_id, subject)
);

-- +goose Down
DROP TABLE baselines;
