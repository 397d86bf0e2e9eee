-- +goose Up
-- cursors are where a process is in a stream of rows: incidents.alerts is
-- the highest alert id the incident process has seen. It starts at the
-- alerts already stored, so upgrading opens no incidents for old alerts.
CREATE TABLE cursors (
    name     TEXT    PRIMARY KEY,
    position INTEGER NOT NULL
);
INSERT INTO cursors (name, position) SELECT 'incidents.alerts', COALESCE(MAX(id), 0) FROM alerts;

-- +goose Down
DROP TABLE cursors;
