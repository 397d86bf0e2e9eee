-- +goose Up
-- maintenance_windows are the windows created from the UI, the API or the
-- command line: one-off (cron empty) from starts_at to ends_at, or
-- recurring, opening at each cron time read in timezone for duration_ms,
-- between starts_at and ends_at, where an ends_at of 0 means until ended.
-- silences mute what their matchers match. Times are unix milliseconds;
-- the match lists and matchers are JSON arrays. A window or silence ended
-- early keeps its row, with ends_at moved to when and who did it.
CREATE TABLE maintenance_windows (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reason      text   NOT NULL,
    match       text   NOT NULL,
    starts_at   bigint NOT NULL,
    ends_at     bigint NOT NULL,
    cron        text   NOT NULL DEFAULT '',
    duration_ms bigint NOT NULL DEFAULT 0,
    timezone    text   NOT NULL DEFAULT '',
    created_by  text   NOT NULL,
    created_at  bigint NOT NULL,
    ended_by    text   NOT NULL DEFAULT ''
);
CREATE INDEX maintenance_windows_ends ON maintenance_windows (ends_at);

CREATE TABLE silences (
    id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    matchers        text    NOT NULL,
    reason          text    NOT NULL,
    created_by      text    NOT NULL,
    created_at      bigint  NOT NULL,
    starts_at       bigint  NOT NULL,
    ends_at         bigint  NOT NULL,
    expired_by      text    NOT NULL DEFAULT '',
    reminded_expiry boolean NOT NULL DEFAULT false,
    reminded_use    boolean NOT NULL DEFAULT false
);
CREATE INDEX silences_ends ON silences (ends_at);

-- +goose Down
DROP TABLE silences;
DROP TABLE maintenance_windows;
