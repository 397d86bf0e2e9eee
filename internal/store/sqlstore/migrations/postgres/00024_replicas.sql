-- +goose Up
-- replicas are the `tocsin serve` processes sharing the database, each
-- as its last heartbeat described it (times in unix milliseconds).
CREATE TABLE replicas (
    id          text PRIMARY KEY,
    instance    text NOT NULL,
    host        text NOT NULL,
    pid         bigint NOT NULL,
    address     text NOT NULL,
    version     text NOT NULL,
    started_at  bigint NOT NULL,
    seen_at     bigint NOT NULL,
    buckets     bigint NOT NULL,
    monitors    bigint NOT NULL,
    lag_us      bigint NOT NULL
);

-- bucket_leases split the monitors between the replicas: each monitor
-- hashes into a bucket, and the owner of a bucket runs its monitors until
-- lease_until. A free bucket has owner ''.
CREATE TABLE bucket_leases (
    bucket       integer PRIMARY KEY,
    owner        text NOT NULL,
    lease_until  bigint NOT NULL
);

-- +goose Down
DROP TABLE bucket_leases;
DROP TABLE replicas;
