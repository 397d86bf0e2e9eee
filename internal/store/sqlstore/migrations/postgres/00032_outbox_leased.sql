-- +goose Up
-- outbox_leased finds the pending messages in someone's hand, so that the
-- next due message is found without reading every pending one: during an
-- alert storm there are tens of thousands.
CREATE INDEX outbox_leased ON outbox (lease_until) WHERE state = 'pending' AND lease_until IS NOT NULL;
-- outbox_channel_due serves the claims that leave out busy channels: the
-- due messages of the other channels, without reading those of the busy
-- ones.
CREATE INDEX outbox_channel_due ON outbox (channel, next_attempt) WHERE state = 'pending';

-- +goose Down
DROP INDEX outbox_channel_due;
DROP INDEX outbox_leased;
