-- +goose Up
-- outbox_id_c answers "the messages whose id starts with this incident's or
-- this alert's prefix" (an incident's timeline) as a range of ids. A range
-- follows byte order only under the C collation; the unique (id, channel)
-- index follows the database's, which may sort "alert-1-" anywhere.
CREATE INDEX outbox_id_c ON outbox (id COLLATE "C");

-- +goose Down
DROP INDEX outbox_id_c;
