-- +goose Up
-- changed is the id of the transaction that last saved a monitor's state
-- (pg_current_xact_id), so that a replica reads only the states saved
-- since its last read: those of transactions at or after the oldest one
-- still running then (MonitorStatesSince). There is no index on it: the
-- column changes with every state saved, and an index would cost each of
-- those writes more (and their HOT updates) than the scan of the table a
-- read every lease_ttl costs.
ALTER TABLE monitor_states ADD COLUMN changed bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE monitor_states DROP COLUMN changed;
