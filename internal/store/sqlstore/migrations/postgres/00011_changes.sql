-- +goose Up
-- changes are the change events people and pipelines announce: a deploy,
-- a firewall rule. at is when the change happened, created_at when it was
-- recorded (unix milliseconds); services and components are JSON arrays.
-- change_services indexes the services for the ?service= filter.
CREATE TABLE changes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title       text    NOT NULL,
    author      text    NOT NULL DEFAULT '',
    at          bigint  NOT NULL,
    services    text    NOT NULL,
    components  text    NOT NULL,
    link        text    NOT NULL DEFAULT '',
    created_at  bigint  NOT NULL,
    created_by  text    NOT NULL DEFAULT ''
);
CREATE INDEX changes_at ON changes (at);

CREATE TABLE change_services (
    change_id bigint  NOT NULL REFERENCES changes (id) ON DELETE CASCADE,
    service   text    NOT NULL,
    PRIMARY KEY (service, change_id)
);

-- +goose Down
DROP TABLE change_services;
DROP TABLE changes;
