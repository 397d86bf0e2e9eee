-- +goose Up
-- replica is the replica that last saved a monitor's state (see the
-- PostgreSQL migration). One process serves a SQLite file, which leaves it
-- empty; the column keeps the two schemas alike for backups.
ALTER TABLE monitor_states ADD COLUMN replica TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE monitor_states DROP COLUMN replica;
