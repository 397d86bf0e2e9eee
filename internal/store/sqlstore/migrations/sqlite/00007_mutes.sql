-- +goose Up
-- maintenance_windows are the windows created from the UI, the API or the
-- command line: one-off (cron empty) from starts_at to ends_at, or
-- recurring, opening at each cron time read in timezone for duration_ms,
-- between starts_at and ends_at, where an ends_at of 0 means until ended.
-- silences mute what their matchers match. Times are unix milliseconds;
-- the match lists and matchers are JSON arrays. A window or silence ended
-- early keeps its row, with ends_at moved to when and who did it.
CREATE TABLE maintenance_windows (
    id          INTEGER PRIMARY KEY,
    reason      TEXT    NOT NULL,
    match       TEXT    NOT NULL,
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    cron        TEXT    NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL DEFAULT 0,
    timezone    TEXT    NOT NULL DEFAULT '',
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    ended_by    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX maintenance_windows_ends ON maintenance_windows (ends_at);

CREATE TABLE silences (
    id              INTEGER PRIMARY KEY,
    matchers        TEXT    NOT NULL,
    reason          TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    starts_at       INTEGER NOT NULL,
    ends_at         INTEGER NOT NULL,
    expired_by      TEXT    NOT NULL DEFAULT '',
    reminded_expiry INTEGER NOT NULL DEFAULT 0,
    reminded_use    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX silences_ends ON silences (ends_at);

-- +goose Down
DROP TABLE silences;
DROP TABLE maintenance_windows;
