-- +goose Up
-- outbox_leased finds the pending messages in someone's hand, so that the
-- next due message is found without reading every pending one: during an
-- alert storm there are tens of thousands.
CREATE INDEX outbox_leased ON outbox (lease_until) WHERE state = 'pending' AND lease_until IS NOT NULL;

-- +goose Down
DROP INDEX outbox_leased;
