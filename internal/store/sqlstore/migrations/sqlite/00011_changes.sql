-- +goose Up
-- changes are the change events people and pipelines announce: a deploy,
-- a firewall rule. at is when the change happened, created_at when it was
-- recorded (unix milliseconds); services and components are JSON arrays.
-- change_services indexes the services for the ?service= filter.
CREATE TABLE changes (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL,
    author      TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    services    TEXT    NOT NULL,
    components  TEXT    NOT NULL,
    link        TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    created_by  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX changes_at ON changes (at);

CREATE TABLE change_services (
    change_id INTEGER NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    service   TEXT    NOT NULL,
    PRIMARY KEY (service, change_id)
);

-- +goose Down
DROP TABLE change_services;
DROP TABLE changes;
