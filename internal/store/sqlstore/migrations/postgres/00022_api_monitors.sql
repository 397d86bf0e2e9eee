-- +goose Up
-- api_monitors are the monitors created through the API; spec is the
-- definition in the configuration's own schema, as it was accepted.
CREATE TABLE api_monitors (
    id          text PRIMARY KEY,
    spec        text NOT NULL,
    created_at  bigint NOT NULL,
    created_by  text NOT NULL,
    updated_at  bigint NOT NULL,
    updated_by  text NOT NULL
);

-- +goose Down
DROP TABLE api_monitors;
