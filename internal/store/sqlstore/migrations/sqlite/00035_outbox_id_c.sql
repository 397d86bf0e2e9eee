-- +goose Up
-- PostgreSQL needs an index on the outbox ids in byte order for an
-- incident's timeline; SQLite's unique (id, channel) index is in byte
-- order already. This number is kept so both databases count the same
-- migrations.
SELECT 1;

-- +goose Down
SELECT 1;
