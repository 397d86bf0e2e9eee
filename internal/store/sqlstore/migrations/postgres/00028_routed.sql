-- +goose Up
-- routed holds work one replica accepted for the replica that runs its
-- monitor: a heartbeat ping (stored in pings as well) or an agent result.
-- The replica holding the lease of bucket takes the rows of its buckets,
-- applies them and deletes them in one transaction. Times in unix
-- milliseconds.
CREATE TABLE routed (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bucket      integer NOT NULL,
    kind        text NOT NULL,
    subject     text NOT NULL,
    payload     text NOT NULL,
    created_at  bigint NOT NULL
);
CREATE INDEX routed_bucket ON routed (bucket, id);

-- +goose Down
DROP TABLE routed;
