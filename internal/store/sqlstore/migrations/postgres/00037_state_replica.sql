-- +goose Up
-- replica is the replica that last saved a monitor's state, so that each
-- replica's refresh of the states the others saved (MonitorStatesSince)
-- leaves its own out in the query: they are most of what changed since
-- its last read, and it holds them in memory already. Empty on a single
-- process and for the states saved before.
ALTER TABLE monitor_states ADD COLUMN replica text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE monitor_states DROP COLUMN replica;
