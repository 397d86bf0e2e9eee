-- +goose Up
-- routed holds work one replica accepted for the replica that runs its
-- monitor: a heartbeat ping (stored in pings as well) or an agent result.
-- One process serves a SQLite file, so it stays empty there; the table
-- exists so both schemas match.
CREATE TABLE routed (
    id          INTEGER PRIMARY KEY,
    bucket      INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX routed_bucket ON routed (bucket, id);

-- +goose Down
DROP TABLE routed;
