-- +goose Up
-- changed numbers the transactions that saved monitor states, one more
-- than the highest stored each time (SQLite has one writer at a time), so
-- that a read can ask for only the states saved since the last one
-- (MonitorStatesSince). The index finds the highest number.
ALTER TABLE monitor_states ADD COLUMN changed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX monitor_states_changed ON monitor_states (changed);

-- +goose Down
DROP INDEX monitor_states_changed;
ALTER TABLE monitor_states DROP COLUMN changed;
