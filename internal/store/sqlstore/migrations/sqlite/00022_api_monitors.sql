-- +goose Up
-- api_monitors are the monitors created through the API; spec is the
-- definition in the configuration's own schema, as it was accepted.
CREATE TABLE api_monitors (
    id          TEXT PRIMARY KEY,
    spec        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL
);

-- +goose Down
DROP TABLE api_monitors;
